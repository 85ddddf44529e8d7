"""Hand-over and delivery of bills: rules A1, B1, C1, E1 (courier receipt) and E3.

Finance's issued bills are signed for by an assistant (A1); each is then handed to the
client's designated contact the same day (B1), every attempt logged (C1); a bill still
undelivered some days after hand-over goes by EMS/courier (E3), whose recorded delivery,
or else posting + N days, is its receipt date (E1). A signed delivery records the bill's
receipt and so its due date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from wuye.billing.models import (
    Bill,
    BillReceipt,
    Contract,
    CourierDispatch,
    DeliveryAttempt,
    HandOver,
)
from wuye.billing.services import get_bill, record_bill_receipt
from wuye.errors import NotFound, WuyeError
from wuye.policies.selectors import policy
from wuye.properties.models import Project


def to_hand_over(bills):
    """Issued bills still to be signed for: not yet handed over or received, and not of a
    fixed-due-day contract (E1: those are posted or messaged, not signed for)."""
    return bills.filter(
        status=Bill.Status.ISSUED, handovers__isnull=True, receipt__isnull=True
    ).exclude(contract__payment_term=Contract.Term.FIXED_DAY)


def handover_bills(
    *, on: dt.date, signed_by: str, actor: str, project_code: str | None = None,
    at: dt.time | None = None,
) -> list[HandOver]:  # fmt: skip
    """A1: the assistant signs for every issued bill not yet handed over, one batch per
    project; a batch signed after the project's hand-over time is marked late."""
    projects = Project.objects.order_by("code")
    if project_code:
        projects = projects.filter(code=project_code)
        if not projects.exists():
            raise NotFound("project", project_code)
    batches = []
    with transaction.atomic():
        for project in projects:
            bills = to_hand_over(Bill.objects.filter(project=project, issue_date__lte=on))
            ids = list(bills.values_list("id", flat=True))
            if not ids:
                continue
            batch = HandOver.objects.create(
                project=project, handed_over_on=on, signed_by=signed_by, signed_at=at,
                late=bool(at and at > project.handover_time), actor=actor,
                created_at=timezone.now(),
            )  # fmt: skip
            batch.bills.add(*ids)
            batches.append(batch)
    return batches


def pending_handovers(
    *, on: dt.date, at: dt.time, project_code: str | None = None, projects=None
) -> list[dict]:
    """A1: per project, the issued bills and notices not yet signed for by an assistant;
    late once the project's hand-over time has passed on `on` (or they are from an
    earlier day). `projects` (projects or a queryset of them) narrows it to those.

    Two grouped queries over the company's open work (issue 6: fast at 100,000 units):
    the counts are read for every project and the ones asked for are kept, so that no
    project filter steers the planner away from the indexes of open bills and notices."""
    scope = projects
    projects = Project.objects.order_by("code")
    if scope is not None:
        projects = projects.filter(pk__in=scope)
    if project_code:
        projects = projects.filter(code=project_code)
        if not projects.exists():
            raise NotFound("project", project_code)
    bills = _bills_to_hand_over_by_project(on)
    notices = _notices_to_hand_over_by_project(on)
    rows = []
    for project in projects:
        b_count, b_since = bills.get(project.pk, (0, None))
        n_count, n_since = notices.get(project.pk, (0, None))
        if not b_count and not n_count:
            continue
        since = min(d for d in (b_since, n_since) if d is not None)
        rows.append({
            "project": project.code, "bills": b_count, "notices": n_count, "since": since,
            "handover_time": project.handover_time.strftime("%H:%M"),
            "late": since < on or at > project.handover_time,
        })  # fmt: skip
    return rows


def _bills_to_hand_over_by_project(on: dt.date) -> dict[int, tuple[int, dt.date]]:
    """(count, oldest issue date) per project of `to_hand_over` bills issued by `on`.

    The bills are found from their contracts: a bill without one (an opening balance)
    or of a contract not paid on a fixed day, through the partial index of issued bills
    not yet received (billing 0006) — so the cost follows the bills still to deliver, not
    all the fixed-day bills (never signed for) ever issued. `receipt_date` is set in
    the same transaction as the `BillReceipt` (`record_bill_receipt(s)`), so asking for
    it empty as well leaves the result as `to_hand_over` gives it."""
    from django.db.models import Count, Min

    hand_delivered = Contract.objects.exclude(payment_term=Contract.Term.FIXED_DAY)
    candidates = Bill.objects.filter(
        status=Bill.Status.ISSUED, receipt_date__isnull=True, issue_date__lte=on
    )
    result: dict[int, tuple[int, dt.date]] = {}
    # two queries, not one with OR: each can use the index (contract_id = / IS NULL)
    for part in (
        candidates.filter(contract__isnull=True),
        candidates.filter(contract_id__in=hand_delivered.values("pk")),
    ):
        grouped = (
            to_hand_over(part)
            .values("project_id")
            .annotate(n=Count("id"), since=Min("issue_date"))
            .order_by()
            .values_list("project_id", "n", "since")
        )
        for project_id, n, since in grouped:
            before, oldest = result.get(project_id, (0, since))
            result[project_id] = (before + n, min(oldest, since))
    return result


def _notices_to_hand_over_by_project(on: dt.date) -> dict[int, tuple[int, dt.date]]:
    """(count, oldest issue date) per project of notices issued by `on` that go by hand
    and are not yet signed for (A1, E3)."""
    from django.db.models import Count, Min

    from wuye.dunning.models import DELIVERED_ACTIONS, Notice

    return {
        project_id: (n, since)
        for project_id, n, since in Notice.objects.filter(
            status=Notice.Status.ISSUED,
            handed_over_on__isnull=True,
            issued_on__lte=on,
            action__in=list(DELIVERED_ACTIONS),
        )
        .values("project_id")
        .annotate(n=Count("id"), since=Min("issued_on"))
        .order_by()
        .values_list("project_id", "n", "since")
    }


def record_delivery(
    *, number: str, on: dt.date, staff: str, signed_by: str | None = None,
    relation: str = "", failed: str | None = None, note: str = "",
) -> DeliveryAttempt:  # fmt: skip
    """B1/C1: one attempt to hand the bill over. Signed → the bill's receipt date (and due
    date, E1) with the signer's name and relation (X2); failed → it stays on the list."""
    if bool(signed_by) == bool(failed):
        raise WuyeError(
            "usage", "give either --signed-by NAME or --failed REASON",
            "須指定 --signed-by（簽收人）或 --failed（未能送達原因）其一",
        )  # fmt: skip
    if failed and failed not in DeliveryAttempt.Result.values:
        raise WuyeError(
            "invalid_result",
            f"--failed: '{failed}' is not one of "
            + ", ".join(v for v in DeliveryAttempt.Result.values if v != "signed"),
            f"--failed：「{failed}」無效",
        )
    with transaction.atomic():
        bill = get_bill(number)
        handover = bill.handovers.order_by("handed_over_on").first()
        if handover is None:
            raise WuyeError(
                "not_handed_over", f"bill {number} has not been signed for by an assistant (A1)",
                f"帳單 {number} 尚未由客服助理簽收（A1）",
            )  # fmt: skip
        if on < handover.handed_over_on:
            raise WuyeError(
                "invalid_date", f"--on: {on} is before the hand-over ({handover.handed_over_on})",
                f"日期 {on} 早於簽收交接日 {handover.handed_over_on}",
            )  # fmt: skip
        if BillReceipt.objects.filter(bill=bill).exists():
            raise WuyeError(
                "already_received", f"bill {number} was already delivered",
                f"帳單 {number} 已送達",
            )  # fmt: skip
        attempt = DeliveryAttempt.objects.create(
            bill=bill, attempted_on=on, staff=staff,
            result=DeliveryAttempt.Result.SIGNED if signed_by else failed,
            signer=signed_by or "", signer_relation=relation, note=note,
            created_at=timezone.now(),
        )  # fmt: skip
        if signed_by:
            record_bill_receipt(
                number=number, received_on=on, actor=staff, signer=signed_by,
                signer_relation=relation,
            )  # fmt: skip
    return attempt


def dispatch_courier(
    *, number: str, carrier: str, tracking: str, posted_on: dt.date, actor: str
) -> CourierDispatch:
    """E3: the bill goes by EMS/courier to the client's contact address."""
    with transaction.atomic():
        bill = get_bill(number)
        if BillReceipt.objects.filter(bill=bill).exists():
            raise WuyeError(
                "already_received", f"bill {number} was already delivered",
                f"帳單 {number} 已送達",
            )  # fmt: skip
        if CourierDispatch.objects.filter(bill=bill).exists():
            raise WuyeError(
                "already_posted", f"bill {number} was already sent by courier",
                f"帳單 {number} 已以快遞寄出",
            )  # fmt: skip
        if not carrier.strip() or not tracking.strip():
            raise WuyeError(
                "courier_required", "--carrier and --tracking are required (E3 evidence)",
                "須填寫快遞公司及運單號（E3 證據）",
            )  # fmt: skip
        return CourierDispatch.objects.create(
            bill=bill, carrier=carrier, tracking_number=tracking, posted_on=posted_on,
            actor=actor, created_at=timezone.now(),
        )  # fmt: skip


def record_courier_delivery(*, number: str, delivered_on: dt.date, actor: str) -> Bill:
    """E1/E3: the carrier's recorded delivery date is the bill's receipt date."""
    with transaction.atomic():
        bill = get_bill(number)
        dispatch = CourierDispatch.objects.filter(bill=bill).first()
        if dispatch is None:
            raise WuyeError(
                "not_posted",
                f"bill {number} was not sent by courier",
                f"帳單 {number} 未經快遞寄出",
            )
        if delivered_on < dispatch.posted_on:
            raise WuyeError(
                "invalid_date", f"--on: {delivered_on} is before the posting ({dispatch.posted_on})",
                f"送達日 {delivered_on} 早於寄出日 {dispatch.posted_on}",
            )  # fmt: skip
        CourierDispatch.objects.filter(pk=dispatch.pk).update(delivered_on=delivered_on)
        return record_bill_receipt(
            number=number, received_on=delivered_on, actor=actor,
            method=BillReceipt.Method.COURIER, signer=f"{dispatch.carrier} {dispatch.tracking_number}",
        )  # fmt: skip


def settle_courier_receipts(*, as_of: dt.date, actor: str) -> list[str]:
    """E1: a courier posting with no recorded delivery counts as received N days (policy)
    after posting. Run daily; returns the bills whose receipt it recorded."""
    done = []
    pending = CourierDispatch.objects.filter(
        delivered_on__isnull=True, bill__receipt__isnull=True, bill__status=Bill.Status.ISSUED
    ).select_related("bill")
    days_by_project: dict[int, int] = {}
    for dispatch in pending.order_by("posted_on", "id"):
        project_id = dispatch.bill.project_id
        if project_id not in days_by_project:
            days_by_project[project_id] = policy("courier_receipt_days", project_id=project_id)
        days = days_by_project[project_id]
        deemed = dispatch.posted_on + dt.timedelta(days=days)
        if deemed <= as_of:
            record_bill_receipt(
                number=dispatch.bill.number, received_on=deemed, actor=actor,
                method=BillReceipt.Method.COURIER,
                signer=f"{dispatch.carrier} {dispatch.tracking_number} (posting + {days} days)",
            )  # fmt: skip
            done.append(dispatch.bill.number)
    return done


def delivery_worklist(
    *, on: dt.date, project_code: str | None = None, projects=None, with_project: bool = False
) -> list[dict]:
    """C1, E3: bills signed for and not yet received, with their attempts; flagged when
    still undelivered at the end of their hand-over day, and when they are due to go by
    courier (policy: 5 days after hand-over). `projects` narrows it to those projects;
    `with_project` adds each bill's project (code) to its row.

    One query from the hand-over links (issue 6: fast at 100,000 units), each bill with
    its first hand-over day, its attempts and what is still open on it as subqueries;
    the projects are kept in Python so that no project filter makes the planner read
    every bill of a project instead of the bills signed for."""
    from django.db.models import Count, DecimalField, Exists, OuterRef, Subquery, Sum

    from wuye.ledger.models import Entry

    links = HandOver.bills.through.objects
    # the links of the bills not yet received nor sent by courier: the receipts and
    # postings are checked on the links, so the database narrows the links down before
    # it reads a bill (PostgreSQL otherwise read every bill)
    signed_for = links.filter(handover__handed_over_on__lte=on).filter(
        ~Exists(BillReceipt.objects.filter(bill_id=OuterRef("bill_id"))),
        ~Exists(CourierDispatch.objects.filter(bill_id=OuterRef("bill_id"))),
    )
    attempts = DeliveryAttempt.objects.filter(bill_id=OuterRef("pk"))
    rows = (
        Bill.objects.filter(pk__in=signed_for.values("bill_id"), status=Bill.Status.ISSUED)
        .annotate(
            since=Subquery(
                links.filter(bill_id=OuterRef("pk"))
                .order_by("handover__handed_over_on")
                .values("handover__handed_over_on")[:1]
            ),
            tried=Subquery(
                attempts.order_by().values("bill_id").annotate(n=Count("pk")).values("n")
            ),
            last_result=Subquery(attempts.order_by("-attempted_on", "-id").values("result")[:1]),
            # F1: what is still open on the bill on `on` (none: no entries yet)
            open=Subquery(
                Entry.objects.filter(bill_id=OuterRef("pk"), value_date__lte=on)
                .order_by()
                .values("bill_id")
                .annotate(open=Sum("amount"))
                .values("open"),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
        )
        .order_by("number")
        .values_list(
            "number", "project_id", "account__unit__code", "since", "tried", "last_result", "open"
        )
    )
    wanted = narrowed_project_ids(project_code=project_code, projects=projects)
    codes = dict(Project.objects.values_list("pk", "code")) if with_project else {}
    limits = {}
    result = []
    for number, project_id, unit, since, tried, last_result, open_amount in rows:
        if wanted is not None and project_id not in wanted:
            continue
        if project_id not in limits:
            limits[project_id] = policy("courier_after_days", project_id=project_id)
        paid = open_amount is not None and open_amount < Decimal("0.005")
        result.append({
            **({"project": codes[project_id]} if with_project else {}),
            "bill": number, "unit": unit, "handed_over_on": since,
            "attempts": tried or 0, "last_result": last_result,
            "undelivered_end_of_day": on > since,
            "send_by_courier": (on - since).days >= limits[project_id] and not paid,
            # F1: a bill paid meanwhile needs no delivery; its task is cancelled
            "cancelled": "paid in full before delivery (F1)" if paid else None,
        })  # fmt: skip
    return result


def narrowed_project_ids(*, project_code: str | None = None, projects=None) -> set[int] | None:
    """The ids of the projects a worklist is narrowed to by a project code and/or
    `projects` (projects, their ids or a queryset); None: not narrowed."""
    if not project_code and projects is None:
        return None
    chosen = Project.objects.all()
    if project_code:
        chosen = chosen.filter(code=project_code)
    if projects is not None:
        if not isinstance(projects, QuerySet):
            projects = [getattr(p, "pk", p) for p in projects]
        chosen = chosen.filter(pk__in=projects)
    return set(chosen.values_list("pk", flat=True))


def same_day_delivery_rate(
    *, start: dt.date, until: dt.date, project_code: str | None = None,
    building: str | None = None, segment: str | None = None,
) -> dict:  # fmt: skip
    """B1: of the bills signed for in [start, until], the share delivered (signed by the
    client) on the day of their hand-over, per project and per assistant; `building`
    (code) and `segment` count only those accounts' bills (the dashboards)."""
    batches = HandOver.objects.filter(handed_over_on__range=(start, until))
    if project_code:
        batches = batches.filter(project__code=project_code)
    links = HandOver.bills.through.objects.filter(handover__in=batches)
    from wuye.properties.selectors import accounts_where

    accounts = accounts_where(building=building, segment=segment, on=until)
    if accounts is not None:
        links = links.filter(bill__account_id__in=accounts)
    links = links.values_list(
        "bill_id", "handover__handed_over_on", "handover__project__code", "handover__signed_by"
    )
    signed_on = dict(
        DeliveryAttempt.objects.filter(
            result=DeliveryAttempt.Result.SIGNED, bill__handovers__in=batches
        ).values_list("bill_id", "attempted_on")
    )
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for bill_id, handed_over_on, project, assistant in links:
        for key in (("project", project), ("assistant", assistant)):
            totals[key][0] += 1
            totals[key][1] += signed_on.get(bill_id) == handed_over_on

    def rate(total, same):
        return f"{same * 100 / total:.1f}%" if total else "-"

    result: dict = {"projects": {}, "assistants": {}}
    for (kind, name), (total, same) in sorted(totals.items()):
        result[f"{kind}s"][name] = {"bills": total, "same_day": same, "rate": rate(total, same)}
    return result
