"""Rule D1: a bill found wrong is reported at once to the department supervisor and to
finance; finance corrects it by void and reissue, and the corrected bill is delivered
again (it is a new issued bill, so the next hand-over picks it up, A1)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from wuye.approvals.models import ErrorReport, Role
from wuye.approvals.notifications import notify
from wuye.billing.models import Bill
from wuye.billing.services import get_bill
from wuye.errors import WuyeError

#: D1: who is told about a wrong bill
REPORTED_TO = (Role.SUPERVISOR, Role.FINANCE)


def report_bill_error(*, number: str, on: dt.date, reason: str, actor: str) -> ErrorReport:
    """D1: record that a bill is wrong and notify the supervisor and finance."""
    if not reason or not reason.strip():
        raise WuyeError("reason_required", "an error report needs a reason", "報錯須註明原因")
    with transaction.atomic():
        bill = get_bill(number)
        Bill.objects.select_for_update().filter(pk=bill.pk).first()
        bill.refresh_from_db()
        if bill.status != Bill.Status.ISSUED:
            raise WuyeError("bill_void", f"bill {number} is void", f"帳單 {number} 已作廢")
        if on < bill.issue_date:
            raise WuyeError(
                "invalid_date",
                f"--on: {on} is before the bill's issue date ({bill.issue_date})",
                f"日期 {on} 早於帳單發出日期 {bill.issue_date}",
            )
        if ErrorReport.objects.filter(bill=bill, resolved_on__isnull=True).exists():
            raise WuyeError(
                "already_reported",
                f"bill {number} already has an open error report",
                f"帳單 {number} 已有未處理的報錯",
            )
        report = ErrorReport.objects.create(
            bill=bill, reason=reason.strip(), reported_by=actor, reported_on=on,
            created_at=timezone.now(),
        )  # fmt: skip
        for role in REPORTED_TO:
            notify(
                role=role, project=bill.project, on=on, bill=bill, error_report=report,
                subject=f"帳單 {number} 報錯（D1）：{report.reason}",
                body=f"bill {number} ({bill.account.code}, {bill.period_start:%Y-%m}, "
                     f"{bill.total}) reported wrong by {actor} on {on}: {report.reason}. "
                     f"Finance: void and reissue it (wuye bills void {number} --reason … "
                     f"--reissue) or record that it is right.",
            )  # fmt: skip
    return report


def record_no_error(*, number: str, on: dt.date, note: str, actor: str) -> ErrorReport:
    """D1: finance checked the reported bill and found it right."""
    if not note or not note.strip():
        raise WuyeError(
            "note_required", "say why the bill is right (--note)", "須註明帳單無誤的理由"
        )
    with transaction.atomic():
        bill = get_bill(number)
        report = (
            ErrorReport.objects.select_for_update()
            .filter(bill=bill, resolved_on__isnull=True)
            .first()
        )
        if report is None:
            raise WuyeError(
                "no_open_report", f"bill {number} has no open error report",
                f"帳單 {number} 沒有未處理的報錯",
            )  # fmt: skip
        if on < report.reported_on:
            raise WuyeError(
                "invalid_date",
                f"--on: {on} is before the report ({report.reported_on})",
                f"日期 {on} 早於報錯日期 {report.reported_on}",
            )
        ErrorReport.objects.filter(pk=report.pk).update(
            resolved_on=on, resolved_by=actor, resolution=ErrorReport.Resolution.NO_ERROR,
            resolution_note=note.strip(),
        )  # fmt: skip
        report.refresh_from_db()
    return report


def bill_voided(*, bill: Bill, replacement: Bill | None, on: dt.date, actor: str) -> int:
    """D1: called by `void_bill` in its transaction: the bill's open error reports are
    resolved by the void (and its replacement, if reissued). Returns how many."""
    resolution = ErrorReport.Resolution.REISSUED if replacement else ErrorReport.Resolution.VOIDED
    return ErrorReport.objects.filter(bill=bill, resolved_on__isnull=True).update(
        resolved_on=on, resolved_by=actor, resolution=resolution, replacement=replacement,
        resolution_note=bill.void_reason,
    )  # fmt: skip
