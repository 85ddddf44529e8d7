"""The limitation clock (訴訟時效, rule X2): per bill, the date its period ends and the
evidence that last restarted it, and the report of debts close to that date.

Each bill is its own debt (court practice), so each has its own clock: 3 years (policy
`limitation_years`) from the latest of its due date and the evidence that restarted it
(《民法典》 art. 188, 195):

- a part payment on it: the debtor's acknowledgement (a payment reversed by the as-of
  date — bounced, booked to the wrong account — is not one);
- a notice listing it, handed over and signed (a demand that reached the debtor); a
  signature without the signer's relation still counts, flagged, because X2 needs the
  signer to be the debtor, an adult family member living there or an authorised person;
- a notice listing it sent by EMS/courier with a recorded delivery; a posting without
  proof of delivery does not restart it.
- a promise to pay (R2, `wuye.collection`): an acknowledgement of every bill of the
  account open on the day it was made.

The receipt of the bill itself (`BillReceipt`, a bill's `CourierDispatch`) happens before
the due date, so it can never be the latest date and is not a source. Every source is one
grouped query for a set of bills (`SOURCES`); promises to pay, instalment plans and suits
join there. Notices are read from their own fields (delivered_on, signer, relation,
courier_delivered_on), which `wuye.dunning.notices` writes in the same transaction as
the matching `Contact` row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import F, Max, OuterRef, QuerySet, Subquery, Sum

from wuye.billing.models import Bill
from wuye.dates import add_months
from wuye.errors import NotFound, WuyeError
from wuye.ledger.models import Entry
from wuye.ledger.selectors import _SUM
from wuye.money import HALF_FEN, money
from wuye.policies.selectors import policy
from wuye.properties.models import Project

DUE_DATE = "due_date"
PART_PAYMENT = "part_payment"
SIGNED_NOTICE = "signed_notice"
COURIER_DELIVERY = "courier_delivery"
PROMISE = "promise"
LAWYER_LETTER = "lawyer_letter"
LEGAL_ACTION = "legal_action"

#: the evidence kinds in the user's language (UI Chinese, STYLE §2)
KIND_LABELS = {
    DUE_DATE: "到期日",
    PART_PAYMENT: "部分付款（承認債務）",
    SIGNED_NOTICE: "催繳通知書簽收",
    COURIER_DELIVERY: "快遞送達",
    PROMISE: "承諾付款（承認債務）",
    LAWYER_LETTER: "律師函送達",
    LEGAL_ACTION: "申請支付令／起訴",
}

NO_RELATION = "signer_relation_missing"

CHUNK = 2000  # bill ids per query: well below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Evidence:
    """One fact that restarts a bill's limitation period (X2)."""

    bill_id: int
    kind: str
    on: dt.date
    reference: str = ""
    flag: str = ""


@dataclass(frozen=True)
class Limitation:
    """When a bill's limitation period ends and what last started or restarted it."""

    ends_on: dt.date | None
    evidence_kind: str | None
    evidence_date: dt.date | None
    reference: str = ""
    flag: str = ""

    @property
    def evidence(self) -> str:
        """One line for people: `signed notice 2026-03-13 HT-N2026-000001 張 (經理)`."""
        if self.evidence_kind is None:
            return ""
        text = f"{self.evidence_kind.replace('_', ' ')} {self.evidence_date}"
        if self.reference:
            text += f" {self.reference}"
        if self.flag == NO_RELATION:
            text += " [signer's relation not recorded]"
        return text


NOT_STARTED = Limitation(None, None, None)  # no due date yet (not received) or void

BillIds = list[int] | QuerySet


# --- evidence sources: each one grouped query for a set of bills ----------------------


def _part_payments(bill_ids: BillIds, as_of: dt.date) -> Iterable[Evidence]:
    """Acknowledgement: a payment allocated to the bill (P1), one row per payment."""
    rows = (
        Entry.objects.filter(
            bill_id__in=bill_ids,
            kind=Entry.Kind.PAYMENT,
            payment__isnull=False,
            value_date__lte=as_of,
        )
        .exclude(payment__reversal__reversed_on__lte=as_of)
        .values("bill_id", "payment__receipt_number")
        .annotate(on=Max("value_date"))
        .order_by()
        .values_list("bill_id", "payment__receipt_number", "on")
    )
    for bill_id, receipt, on in rows:
        yield Evidence(bill_id, PART_PAYMENT, on, receipt)


def _signed_notices(bill_ids: BillIds, as_of: dt.date) -> Iterable[Evidence]:
    """A demand that reached the debtor: a notice listing the bill, signed for."""
    from wuye.dunning.models import NoticeLine

    rows = (
        NoticeLine.objects.filter(bill_id__in=bill_ids, notice__delivered_on__lte=as_of)
        .exclude(notice__signer="")
        .order_by()
        .values_list(
            "bill_id",
            "notice__number",
            "notice__delivered_on",
            "notice__signer",
            "notice__signer_relation",
        )
        .distinct()  # a line per fee item: one row per (bill, notice)
    )
    for bill_id, number, on, signer, relation in rows:
        relation = relation.strip()
        yield Evidence(
            bill_id,
            SIGNED_NOTICE,
            on,
            f"{number} {signer}" + (f" ({relation})" if relation else ""),
            "" if relation else NO_RELATION,
        )


def _courier_deliveries(bill_ids: BillIds, as_of: dt.date) -> Iterable[Evidence]:
    """A demand proven delivered: a notice listing the bill with the carrier's delivery
    record (E3). The posting date alone is not proof that it reached the debtor."""
    from wuye.dunning.models import NoticeLine

    rows = (
        NoticeLine.objects.filter(bill_id__in=bill_ids, notice__courier_delivered_on__lte=as_of)
        .order_by()
        .values_list(
            "bill_id",
            "notice__number",
            "notice__courier_delivered_on",
            "notice__carrier",
            "notice__tracking_number",
        )
        .distinct()
    )
    for bill_id, number, on, carrier, tracking in rows:
        yield Evidence(bill_id, COURIER_DELIVERY, on, f"{number} {carrier} {tracking}".strip())


def _promises(bill_ids: BillIds, as_of: dt.date) -> Iterable[Evidence]:
    """Acknowledgement: a promise to pay (R2, wuye.collection) acknowledges every bill of
    the account that was open on the day it was made (issued by then, not fully paid)."""
    open_then = (
        Entry.objects.filter(bill_id=OuterRef("pk"), value_date__lte=OuterRef("promise_on"))
        .order_by()
        .values("bill_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        Bill.objects.filter(
            pk__in=bill_ids,
            account__promises__made_on__lte=as_of,
            issue_date__lte=F("account__promises__made_on"),
        )
        .annotate(
            promise_on=F("account__promises__made_on"),
            promised_on=F("account__promises__promised_on"),
            promised=F("account__promises__amount"),
            open_then=Subquery(open_then),
        )
        .filter(open_then__gt=HALF_FEN)
        .order_by()
        .values_list("pk", "promise_on", "promised_on", "promised")
    )
    for bill_id, on, promised_on, amount in rows:
        yield Evidence(bill_id, PROMISE, on, f"{money(amount)} by {promised_on}")


def _legal_steps(bill_ids: BillIds, as_of: dt.date) -> Iterable[Evidence]:
    """A lawyer letter proven delivered (a demand that reached the debtor), and a
    payment-order application or a suit (R5, X3): each restarts every bill of the
    account that was due by then."""
    from django.db.models import CharField, Value

    from wuye.legal.models import LegalCase, LegalEvent, Stage

    letters = (
        LegalCase.objects.filter(account__bills__in=bill_ids, letter_delivered_on__lte=as_of)
        .annotate(kind=Value(LAWYER_LETTER, output_field=CharField()))
        .values_list("account_id", "letter_delivered_on", "kind", "number")
    )
    actions = (
        LegalEvent.objects.filter(
            case__account__bills__in=bill_ids,
            to_stage__in=[Stage.PAYMENT_ORDER, Stage.LAWSUIT],
            on__lte=as_of,
        )
        .annotate(kind=Value(LEGAL_ACTION, output_field=CharField()))
        .values_list("case__account_id", "on", "kind", "case__number")
    )
    facts = set(letters.union(actions))  # one query for both kinds of fact
    if not facts:
        return
    by_account: dict[int, list] = {}
    for fact in facts:
        by_account.setdefault(fact[0], []).append(fact)
    for bill_id, account_id, due in Bill.objects.filter(
        pk__in=bill_ids, account_id__in=list(by_account), due_date__isnull=False
    ).values_list("pk", "account_id", "due_date"):
        for _, on, kind, reference in by_account[account_id]:
            if due <= on:
                yield Evidence(bill_id, kind, on, reference)


#: where restarting evidence comes from (X2). The next sources (instalment plan, suit /
#: arbitration / payment order) are added here, nowhere else. On equal dates
#: the earlier source in this list is kept.
SOURCES: list[Callable[[BillIds, dt.date], Iterable[Evidence]]] = [
    _part_payments,
    _signed_notices,
    _courier_deliveries,
    _promises,
    _legal_steps,
]


def _replaces(item: Evidence, known: Evidence | None) -> bool:
    if known is None or item.on != known.on:
        return known is None or item.on > known.on
    # same day: the earlier source stays; within a source the higher number (deterministic)
    return item.kind == known.kind and item.reference > known.reference


def restart_evidence(bill_ids: BillIds, as_of: dt.date) -> dict[int, Evidence]:
    """The latest restarting evidence per bill, up to and including `as_of`."""
    latest: dict[int, Evidence] = {}
    for source in SOURCES:
        for item in source(bill_ids, as_of):
            known = latest.get(item.bill_id)
            if _replaces(item, known):
                latest[item.bill_id] = item
    return latest


# --- the clock ------------------------------------------------------------------------


def limitation_end(start: dt.date, years: int) -> dt.date:
    """X2: the period ends `years` (policy) after its start, to the same calendar day."""
    return add_months(start, 12 * years)


class _Years:
    """`limitation_years` per project, read once per project."""

    def __init__(self):
        self._cache: dict[int, int] = {}

    def __call__(self, project_id: int) -> int:
        if project_id not in self._cache:
            self._cache[project_id] = policy("limitation_years", project_id=project_id)
        return self._cache[project_id]


def _limitations(bill_ids: BillIds, as_of: dt.date, years: _Years) -> dict[int, Limitation]:
    bills = Bill.objects.filter(pk__in=bill_ids).order_by()
    rows = list(bills.values_list("pk", "project_id", "due_date", "status"))
    evidence = restart_evidence(bill_ids, as_of) if rows else {}
    result = {}
    for pk, project_id, due, status in rows:
        if due is None or status != Bill.Status.ISSUED:
            result[pk] = NOT_STARTED
            continue
        item = evidence.get(pk)
        if item is None or item.on <= due:  # the period cannot start before the due date
            item = Evidence(pk, DUE_DATE, due)
        ends_on = limitation_end(item.on, years(project_id))
        result[pk] = Limitation(ends_on, item.kind, item.on, item.reference, item.flag)
    return result


def limitation_by_bill(bills: Iterable[int] | QuerySet, *, as_of: dt.date) -> dict[int, Limitation]:
    """X2: per bill, when its limitation period ends and the evidence that last restarted
    it, counting only what happened up to `as_of`. `bills` is a list of bill ids (queried
    in chunks) or a queryset (of bills, or of bill ids), used as a subquery; either way a
    fixed number of grouped queries per chunk, none per bill. A bill without a due date
    (not yet received) or a void bill has `ends_on` None."""
    years = _Years()
    if isinstance(bills, QuerySet):
        subquery = bills.values("pk") if bills.model is Bill else bills
        return _limitations(subquery.order_by(), as_of, years)
    ids = sorted(set(bills))
    result: dict[int, Limitation] = {}
    for start in range(0, len(ids), CHUNK):
        result.update(_limitations(ids[start : start + CHUNK], as_of, years))
    return result


# --- the near-expiry report -----------------------------------------------------------


def _projects(project_code: str | None) -> list[Project]:
    projects = Project.objects.order_by("code")
    if project_code:
        projects = projects.filter(code=project_code)
        if not projects.exists():
            raise NotFound("project", project_code)
    return list(projects)


def limitation_report(
    *, as_of: dt.date, project_code: str | None = None, within_days: int | None = None
) -> list[dict]:
    """X2: open bills whose limitation period ends within `within_days` (policy
    `limitation_warning_days`, per project) of `as_of`, and those already expired
    (`expired`: the end date is before `as_of`), soonest first.

    Evidence only ever moves the end later, so a bill whose due date alone puts the end
    beyond the horizon is never read: the candidates are the bills due early enough,
    walked by id in chunks, each chunk one query for the bills, one for their open
    amounts and one per evidence source."""
    if within_days is not None and within_days < 0:
        raise WuyeError(
            "invalid_days",
            f"--within: {within_days} must be 0 or more",
            f"--within：{within_days} 不能為負數",
        )
    rows: list[dict] = []
    for project in _projects(project_code):
        days = within_days
        if days is None:
            days = policy("limitation_warning_days", project_id=project.pk)
        horizon = as_of + dt.timedelta(days=days)
        years = _Years()
        # add_months clamps month ends (29 Feb); the slack keeps every candidate, the
        # exact test is on the computed end date
        cutoff = add_months(horizon, -12 * years(project.pk)) + dt.timedelta(days=3)
        candidates = Bill.objects.filter(
            project=project,
            status=Bill.Status.ISSUED,
            due_date__isnull=False,
            due_date__lte=cutoff,
            issue_date__lte=as_of,
        )
        last = 0
        while True:
            chunk = list(
                candidates.filter(pk__gt=last)
                .order_by("pk")
                .values_list(
                    "pk",
                    "number",
                    "due_date",
                    "account__code",
                    "account__unit__code",
                    "account__customer__name",
                )[:CHUNK]
            )
            if not chunk:
                break
            last = chunk[-1][0]
            ids = [row[0] for row in chunk]
            open_amounts = dict(
                Entry.objects.filter(bill_id__in=ids, value_date__lte=as_of)
                .values("bill_id")
                .annotate(open=_SUM)
                .filter(open__gt=HALF_FEN)
                .order_by()
                .values_list("bill_id", "open")
            )
            if not open_amounts:
                continue
            clocks = _limitations(list(open_amounts), as_of, years)
            for pk, number, due, account, unit, customer in chunk:
                clock = clocks.get(pk)
                if pk not in open_amounts or clock is None or clock.ends_on is None:
                    continue
                if clock.ends_on > horizon:
                    continue
                left = (clock.ends_on - as_of).days
                rows.append({
                    "project": project.code,
                    "bill": number,
                    "unit": unit,
                    "account": account,
                    "customer": customer,
                    "open": money(open_amounts[pk]),
                    "due_date": due,
                    "ends_on": clock.ends_on,
                    "days_left": left,
                    "expired": left < 0,
                    "evidence_kind": clock.evidence_kind,
                    "evidence_date": clock.evidence_date,
                    "reference": clock.reference,
                    "flag": clock.flag,
                    "evidence": clock.evidence,
                })  # fmt: skip
    rows.sort(key=lambda r: (r["ends_on"], r["project"], r["bill"]))
    return rows
