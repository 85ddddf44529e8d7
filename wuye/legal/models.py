"""The legal stage (法律程序, rules R5, M3, S1, S2b, X3, X6, X7): a tracked case per
account, from the proposal through the lawyer letter (律師函) to a payment order (支付令)
or a lawsuit, each stage change an event row; and the one-year LPR with its effective
dates for the litigation estimates of X6.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from wuye.approvals.models import ApprovalRequest
from wuye.billing.models import MONEY
from wuye.dunning.models import Notice
from wuye.properties.models import Account, Customer, Project


class Stage(models.TextChoices):
    PROPOSED = "proposed", "建議法律程序"
    LETTER_APPROVED = "letter_approved", "律師函已批准"
    LETTER_SENT = "letter_sent", "律師函已寄出"
    OWNERS_COMMITTEE = "owners_committee", "業主委員會督促（X7）"
    PAYMENT_ORDER = "payment_order", "申請支付令（X3）"
    LAWSUIT = "lawsuit", "起訴"
    CLOSED = "closed", "已結案"


class LegalCase(models.Model):
    """One account's legal case (R5, M3; S1 batch; S2b). Its stage changes only through
    `services.advance_case` (or the lawyer-letter approval), each with a `LegalEvent`."""

    class Source(models.TextChoices):
        ESCALATION = "escalation", "催繳上報（R5/S2b）"
        S1_BATCH = "s1_batch", "空置單位律師函批量（S1）"
        MANUAL = "manual", "人工"

    number = models.CharField(max_length=40, unique=True, help_text="e.g. CY-L2026-000001")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="legal_cases")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    notice = models.OneToOneField(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_case",
        help_text="the escalation notice (R5/S2b) the case came from",
    )  # fmt: skip
    opened_on = models.DateField()
    reason = models.CharField(max_length=500)
    arrears_at_opening = models.DecimalField(**MONEY)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.PROPOSED)
    stage_on = models.DateField(help_text="date of the last stage change")
    approval = models.ForeignKey(
        ApprovalRequest, null=True, blank=True, on_delete=models.PROTECT,
        related_name="legal_cases", help_text="the lawyer-letter approval (one for an S1 batch)",
    )  # fmt: skip
    unserviceable_reason = models.CharField(
        max_length=300, blank=True, help_text="X3: why the owner cannot be served (empty: can)"
    )
    letter_sent_on = models.DateField(null=True, blank=True)
    letter_carrier = models.CharField(max_length=60, blank=True)
    letter_tracking = models.CharField(max_length=60, blank=True, help_text="EMS tracking")
    letter_delivered_on = models.DateField(
        null=True, blank=True, help_text="the carrier's proof of delivery (X2 restarts)"
    )
    outcome = models.CharField(max_length=500, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    opened_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(closed_on__isnull=True), name="one_open_legal_case"
            ),
            models.CheckConstraint(
                condition=Q(stage="closed", closed_on__isnull=False)
                | (~Q(stage="closed") & Q(closed_on__isnull=True)),
                name="legal_case_closed_dated",
            ),
        ]
        indexes = [models.Index(fields=["project", "stage"])]

    def __str__(self) -> str:
        return self.number


class LegalEvent(models.Model):
    """One stage change of a case: from, to, date, who, note (STYLE: oscar)."""

    case = models.ForeignKey(LegalCase, on_delete=models.PROTECT, related_name="events")
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    on = models.DateField()
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=500, blank=True)
    tracking = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField()


class LprRate(models.Model):
    """X6: the one-year loan prime rate (貸款市場報價利率) in force from a date (a setting
    an administrator extends when the PBoC publishes a new figure)."""

    effective_from = models.DateField(unique=True)
    rate = models.DecimalField(max_digits=6, decimal_places=4, help_text="per year, 0.0300 = 3%")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from} {self.rate}"
