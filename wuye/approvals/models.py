"""Approvals (審批), bill error reports (D1) and notifications to roles.

An approval request asks a supervisor or manager to allow a money change (M1, M2, S3):
a late-fee waiver, a reduction (S3), a write-off (M2), non-cash goodwill (M1) and an
instalment plan (S3, with its schedule in `InstalmentPlan`); lawyer letters on the same
table. Nothing here is deleted: a request changes status
only through `services._transition`, which writes an `ApprovalEvent` for each change,
and an approval's ledger entries are linked to it.

There is no login yet: who acts is a name (`--user`) and the role they act in is given
with each decision (`--role`); the rules about roles are policy data (RULES.md "Who may
do what", `wuye/policies/registry.py`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from wuye.billing.models import MONEY, Bill
from wuye.properties.models import Account, Project


class Role(models.TextChoices):
    """RULES.md "Who is who"; the names used for `--role` and notification recipients."""

    FINANCE = "finance", "財務部"
    ASSISTANT = "assistant", "客服助理"
    COLLECTOR = "collector", "收款員"
    SUPERVISOR = "supervisor", "部門主管"
    MANAGER = "manager", "經理"
    PROJECT_LEAD = "project_lead", "項目負責人"
    LEGAL = "legal", "法務"


#: the roles that decide approval requests
APPROVER_ROLES = (Role.SUPERVISOR, Role.MANAGER)


class ApprovalRequest(models.Model):
    class Kind(models.TextChoices):
        WAIVER = "waiver", "減免違約金"  # M1, S3, L1
        REDUCTION = "reduction", "減收"  # S3
        WRITE_OFF = "write_off", "核銷"  # M2
        INSTALMENT_PLAN = "instalment_plan", "分期付款"  # S3
        LAWYER_LETTER = "lawyer_letter", "律師函"  # R5
        GOODWILL = "goodwill", "非現金補償"  # M1

    class Status(models.TextChoices):
        REQUESTED = "requested", "待審批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "已駁回"
        WITHDRAWN = "withdrawn", "已撤回"

    number = models.CharField(max_length=40, unique=True, help_text="e.g. HT-A2026-000001")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="approvals")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="approvals")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    bill = models.ForeignKey(
        Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="approvals",
        help_text="none: every open item of the account",
    )  # fmt: skip
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=500)
    requested_by = models.CharField(max_length=150)
    requested_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    given = models.CharField(
        max_length=300, blank=True, help_text="goodwill (M1): what was given; amount = its value"
    )
    entries = models.ManyToManyField(
        "ledger.Entry", blank=True, related_name="approvals",
        help_text="the ledger entries the approval posted",
    )  # fmt: skip
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="approval_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "withdrawn"], decided_on__isnull=True)
                | Q(status__in=["approved", "rejected"], decided_on__isnull=False),
                name="approval_decision_dated",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["account"]),
        ]

    def __str__(self) -> str:
        return self.number


class ApprovalEvent(models.Model):
    """One status change of a request: who, in which role, when, why (STYLE: oscar)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=ApprovalRequest.Status.choices)
    on = models.DateField()
    actor = models.CharField(max_length=150)
    role = models.CharField(max_length=30, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()


class InstalmentPlan(models.Model):
    """S3 分期付款: a schedule of dated amounts for the covered bills, agreed with the
    request (its amount is the schedule's total). While it is kept, dunning of the covered
    bills pauses (`wuye.dunning.selectors.held_bills`); an instalment not paid within the
    grace period (policy `instalment_grace_days`) puts it in default and dunning resumes.
    `status` is what `check_instalment_plans` last recorded; dunning computes the state
    for its own date (`wuye.approvals.instalments`)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待審批"
        ACTIVE = "active", "履行中"
        DEFAULTED = "defaulted", "已違約"
        COMPLETED = "completed", "已完成"
        CANCELLED = "cancelled", "未生效"  # the request was rejected or withdrawn

    request = models.OneToOneField(ApprovalRequest, on_delete=models.PROTECT, related_name="plan")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="instalment_plans")
    bills = models.ManyToManyField(Bill, related_name="instalment_plans")
    starts_on = models.DateField(help_text="payments from this date count towards the plan")
    total = models.DecimalField(**MONEY)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    status_on = models.DateField(
        null=True, blank=True, help_text="since when (S3 default: due + grace)"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"plan {self.request.number}"


class Instalment(models.Model):
    """One dated amount of a plan."""

    plan = models.ForeignKey(InstalmentPlan, on_delete=models.PROTECT, related_name="instalments")
    due_on = models.DateField()
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on"], name="one_instalment_per_day"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]


class ErrorReport(models.Model):
    """Rule D1: a bill found wrong, reported to the supervisor and finance. Finance
    resolves it by voiding the bill (and reissuing a corrected one), or finds no error."""

    class Resolution(models.TextChoices):
        REISSUED = "reissued", "已作廢並重發"
        VOIDED = "voided", "已作廢"
        NO_ERROR = "no_error", "帳單無誤"

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="error_reports")
    reason = models.CharField(max_length=500)
    reported_by = models.CharField(max_length=150)
    reported_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    replacement = models.ForeignKey(
        Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="the corrected bill (D1)",
    )  # fmt: skip
    resolution_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bill"], condition=Q(resolved_on__isnull=True), name="one_open_error_report"
            )
        ]


class Notification(models.Model):
    """A message to everyone in a role (per project, once logins map roles to people)."""

    recipient_role = models.CharField(max_length=30, choices=Role.choices)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    bill = models.ForeignKey(
        Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approval = models.ForeignKey(
        ApprovalRequest, null=True, blank=True, on_delete=models.PROTECT,
        related_name="notifications",
    )  # fmt: skip
    error_report = models.ForeignKey(
        ErrorReport, null=True, blank=True, on_delete=models.PROTECT,
        related_name="notifications",
    )  # fmt: skip
    created_on = models.DateField()
    read_on = models.DateField(null=True, blank=True)
    read_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["recipient_role", "read_on"])]
