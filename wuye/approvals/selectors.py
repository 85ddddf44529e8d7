"""Reads: approval requests, notifications and error reports, as plain dicts for edges."""

from __future__ import annotations

from django.db.models import QuerySet

from wuye.approvals.models import ApprovalRequest, ErrorReport, InstalmentPlan, Notification
from wuye.approvals.notifications import check_role
from wuye.errors import NotFound, WuyeError
from wuye.properties.models import Project


def _project(code: str | None) -> Project | None:
    if not code:
        return None
    project = Project.objects.filter(code=code).first()
    if project is None:
        raise NotFound("project", code)
    return project


def approvals(
    *, project_code: str | None = None, status: str | None = None, projects=None
) -> QuerySet:
    """Approval requests, oldest first (a project's, in a status; `projects`: only
    those projects')."""
    rows = ApprovalRequest.objects.select_related("project", "account__unit", "bill")
    if project_code:
        rows = rows.filter(project=_project(project_code))
    if projects is not None:
        rows = rows.filter(project__in=projects)
    if status:
        if status not in ApprovalRequest.Status.values:
            raise WuyeError(
                "invalid_status",
                f"--status: '{status}' is not one of {', '.join(ApprovalRequest.Status.values)}",
                f"--status：「{status}」無效",
            )
        rows = rows.filter(status=status)
    return rows.order_by("requested_on", "id")


def approval_dict(request: ApprovalRequest) -> dict:
    entries = request.entries.select_related("bill", "fee_item").order_by("id")
    return {
        "number": request.number,
        "project": request.project.code,
        "account": request.account.code,
        "unit": request.account.unit.code,
        "kind": request.kind,
        "bill": request.bill.number if request.bill_id else None,
        "amount": request.amount,
        "reason": request.reason,
        "requested_by": request.requested_by,
        "requested_on": request.requested_on,
        "status": request.status,
        "decided_by": request.decided_by or None,
        "decided_role": request.decided_role or None,
        "decided_on": request.decided_on,
        "decision_note": request.decision_note or None,
        "given": request.given or None,
        "plan": plan_dict(request.plan) if hasattr(request, "plan") else None,
        "entries": [
            {
                "kind": e.kind,
                "bill": e.bill.number,
                "fee_item": e.fee_item.code,
                "component": e.component,
                "amount": e.amount,
                "value_date": e.value_date,
            }
            for e in entries
        ],
    }


def instalment_plans(*, project_code: str | None = None, status: str | None = None) -> QuerySet:
    """S3 instalment plans, oldest first, with the status `check_instalment_plans` recorded."""
    rows = InstalmentPlan.objects.select_related("request__project", "account__unit")
    if project_code:
        rows = rows.filter(request__project=_project(project_code))
    if status:
        if status not in InstalmentPlan.Status.values:
            raise WuyeError(
                "invalid_status",
                f"--status: '{status}' is not one of {', '.join(InstalmentPlan.Status.values)}",
                f"--status：「{status}」無效",
            )
        rows = rows.filter(status=status)
    return rows.order_by("starts_on", "id")


def plan_dict(plan: InstalmentPlan) -> dict:
    return {
        "approval": plan.request.number,
        "unit": plan.account.unit.code,
        "account": plan.account.code,
        "bills": sorted(plan.bills.values_list("number", flat=True)),
        "starts_on": plan.starts_on,
        "total": plan.total,
        "status": plan.status,
        "status_on": plan.status_on,
        "instalments": [
            {"due_on": due_on, "amount": amount}
            for due_on, amount in plan.instalments.order_by("due_on").values_list(
                "due_on", "amount"
            )
        ],
    }


def notifications(*, role: str, unread: bool = False, project_code: str | None = None) -> QuerySet:
    """A role's notifications, newest first."""
    rows = Notification.objects.filter(recipient_role=check_role(role)).select_related(
        "project", "bill", "approval"
    )
    if unread:
        rows = rows.filter(read_on__isnull=True)
    if project_code:
        rows = rows.filter(project=_project(project_code))
    return rows.order_by("-created_on", "-id")


def notification_dict(n: Notification) -> dict:
    return {
        "id": n.pk,
        "recipient_role": n.recipient_role,
        "project": n.project.code,
        "subject": n.subject,
        "body": n.body,
        "bill": n.bill.number if n.bill_id else None,
        "approval": n.approval.number if n.approval_id else None,
        "error_report": n.error_report_id,
        "created_on": n.created_on,
        "read_on": n.read_on,
        "read_by": n.read_by or None,
    }


def error_report_dict(r: ErrorReport) -> dict:
    return {
        "id": r.pk,
        "bill": r.bill.number,
        "reason": r.reason,
        "reported_by": r.reported_by,
        "reported_on": r.reported_on,
        "resolved_on": r.resolved_on,
        "resolution": r.resolution or None,
        "replacement": r.replacement.number if r.replacement_id else None,
        "resolution_note": r.resolution_note or None,
    }
