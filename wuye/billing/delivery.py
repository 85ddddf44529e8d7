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
    earlier day). `projects` (projects or a queryset of them) narrows it to those."""
    from django.db.models import Count, Min

    from wuye.dunning.models import DELIVERED_ACTIONS, Notice

    scope = projects
    projects = Project.objects.order_by("code")
    if scope is not None:
        projects = projects.filter(pk__in=scope)
    if project_code:
        projects = projects.filter(code=project_code)
        if not projects.exists():
            raise NotFound("project", project_code)
    bills = dict(
        (row["project_id"], (row["n"], row["since"]))
        for row in to_hand_over(Bill.objects.filter(issue_date__lte=on, project__in=projects))
        .values("project_id")
        .annotate(n=Count("id"), since=Min("issue_date"))
        .order_by()
    )
    notices = dict(
        (row["project_id"], (row["n"], row["since"]))
        for row in Notice.objects.filter(
            status=Notice.Status.ISSUED,
            handed_over_on__isnull=True,
            issued_on__lte=on,
            action__in=list(DELIVERED_ACTIONS),
            project__in=projects,
        )
        .values("project_id")
        .annotate(n=Count("id"), since=Min("issued_on"))
        .order_by()
    )
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


def delivery_worklist(*, on: dt.date, project_code: str | None = None, projects=None) -> list[dict]:
    """C1, E3: bills signed for and not yet received, with their attempts; flagged when
    still undelivered at the end of their hand-over day, and when they are due to go by
    courier (policy: 5 days after hand-over). `projects` narrows it to those projects."""
    bills = Bill.objects.filter(
        status=Bill.Status.ISSUED, receipt__isnull=True, courier__isnull=True,
        handovers__handed_over_on__lte=on,
    ).select_related("project", "account__unit").distinct()  # fmt: skip
    if project_code:
        bills = bills.filter(project__code=project_code)
    if projects is not None:
        bills = bills.filter(project__in=projects)
    bills = list(bills.order_by("number"))
    handed = defaultdict(list)
    for bill_id, day in HandOver.bills.through.objects.filter(
        bill_id__in=[b.pk for b in bills]
    ).values_list("bill_id", "handover__handed_over_on"):
        handed[bill_id].append(day)
    attempts = defaultdict(list)
    for a in DeliveryAttempt.objects.filter(bill__in=bills).order_by("attempted_on", "id"):
        attempts[a.bill_id].append(a)
    paid = _paid_in_full([b.pk for b in bills], on)
    limits = {}
    rows = []
    for bill in bills:
        if bill.project_id not in limits:
            limits[bill.project_id] = policy("courier_after_days", project_id=bill.project_id)
        since = min(handed[bill.pk])
        tried = attempts[bill.pk]
        rows.append({
            "bill": bill.number, "unit": bill.account.unit.code, "handed_over_on": since,
            "attempts": len(tried), "last_result": tried[-1].result if tried else None,
            "undelivered_end_of_day": on > since,
            "send_by_courier": (on - since).days >= limits[bill.project_id]
            and bill.pk not in paid,
            # F1: a bill paid meanwhile needs no delivery; its task is cancelled
            "cancelled": "paid in full before delivery (F1)" if bill.pk in paid else None,
        })  # fmt: skip
    return rows


def _paid_in_full(bill_ids: list[int], on: dt.date) -> set[int]:
    """Bills with nothing open on `on` (sums of their ledger entries, in chunks)."""
    from django.db.models import Sum

    from wuye.ledger.models import Entry

    open_by_bill: dict[int, object] = {}
    for start in range(0, len(bill_ids), 5000):
        open_by_bill.update(
            Entry.objects.filter(bill_id__in=bill_ids[start : start + 5000], value_date__lte=on)
            .values("bill_id")
            .annotate(open=Sum("amount"))
            .order_by()
            .values_list("bill_id", "open")
        )
    return {b for b in bill_ids if b in open_by_bill and open_by_bill[b] < Decimal("0.005")}


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
