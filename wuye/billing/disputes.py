"""Rule D2: disputes (異議) about a bill: opened, held out of dunning, resolved."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from wuye.billing.models import Bill, Dispute
from wuye.billing.services import get_bill
from wuye.errors import WuyeError


def open_dispute(*, number: str, on: dt.date, reason: str, actor: str) -> Dispute:
    """Record a client's query about a bill; until resolved the bill is held out of
    dunning and its late fee is not posted (D2, L1)."""
    if not reason or not reason.strip():
        raise WuyeError("reason_required", "a dispute needs a reason", "異議須註明原因")
    with transaction.atomic():
        bill = get_bill(number)
        if bill.status != Bill.Status.ISSUED:
            raise WuyeError("bill_void", f"bill {number} is void", f"帳單 {number} 已作廢")
        if Dispute.objects.filter(bill=bill, resolved_on__isnull=True).exists():
            raise WuyeError(
                "dispute_open", f"bill {number} already has an open dispute",
                f"帳單 {number} 已有未解決的異議",
            )  # fmt: skip
        return Dispute.objects.create(
            bill=bill, opened_on=on, reason=reason, opened_by=actor, created_at=timezone.now()
        )


def resolve_dispute(
    *, number: str, on: dt.date, resolution: str, actor: str, note: str = ""
) -> Dispute:
    """Resolve the open dispute of a bill (D2): upheld → finance corrects the bill by void
    and reissue (D1); rejected → dunning resumes and the accrued late fee is posted by the
    next run (L1)."""
    if resolution not in Dispute.Resolution.values:
        raise WuyeError(
            "invalid_resolution",
            f"--resolve: '{resolution}' is not one of upheld, rejected",
            f"--resolve：「{resolution}」須為 upheld 或 rejected",
        )
    with transaction.atomic():
        bill = get_bill(number)
        dispute = (
            Dispute.objects.select_for_update().filter(bill=bill, resolved_on__isnull=True).first()
        )
        if dispute is None:
            raise WuyeError(
                "no_open_dispute", f"bill {number} has no open dispute",
                f"帳單 {number} 沒有未解決的異議",
            )  # fmt: skip
        if on < dispute.opened_on:
            raise WuyeError(
                "invalid_date", f"--on: {on} is before the dispute was opened ({dispute.opened_on})",
                f"日期 {on} 早於異議提出日 {dispute.opened_on}",
            )  # fmt: skip
        Dispute.objects.filter(pk=dispute.pk).update(
            resolved_on=on, resolution=resolution, resolution_note=note, resolved_by=actor
        )
        dispute.refresh_from_db()
    return dispute


def disputed_bills(as_of: dt.date) -> QuerySet:
    """Ids of bills with a dispute open on `as_of` (for dunning and late fees)."""
    return (
        Dispute.objects.filter(opened_on__lte=as_of)
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
        .values("bill_id")
    )


def open_disputes(
    *, as_of: dt.date, project_code: str | None = None, projects=None,
    building: str | None = None, segment: str | None = None,
) -> list[dict]:  # fmt: skip
    """Open disputes and their age in days (D2 report); `projects`: only those projects'."""
    rows = Dispute.objects.filter(
        pk__in=Dispute.objects.filter(opened_on__lte=as_of)
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
        .values("pk")
    ).select_related("bill", "bill__account", "bill__project")
    if project_code:
        rows = rows.filter(bill__project__code=project_code)
    if projects is not None:
        rows = rows.filter(bill__project__in=projects)
    from wuye.properties.selectors import accounts_where

    accounts = accounts_where(building=building, segment=segment, on=as_of)
    if accounts is not None:  # a building's or a segment's accounts (the dashboards)
        rows = rows.filter(bill__account_id__in=accounts)
    return [
        {
            "bill": d.bill.number,
            "account": d.bill.account.code,
            "opened_on": d.opened_on,
            "age_days": (as_of - d.opened_on).days,
            "reason": d.reason,
            "amount": d.bill.total,
        }
        for d in rows.order_by("opened_on", "id")
    ]
