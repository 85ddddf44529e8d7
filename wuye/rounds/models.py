"""S2a: evening visit rounds (夜間上門收費) through the occupied units of one building,
with a collector from finance who takes payments and issues receipts on the spot; the
takings are handed over to finance and reconciled the next day.

Payments are ordinary `wuye.payments.Payment`s (gapless receipts, P1 allocation); a
`RoundPayment` links one to its round without changing the payments model."""

from __future__ import annotations

from django.db import models

from wuye.billing.models import MONEY
from wuye.payments.models import Payment
from wuye.properties.models import Account, Building, Project

#: the methods a collector can take at the door (no bank transfer or auto-debit)
ROUND_METHODS = ["cash", "wechat", "alipay", "card"]


class EveningRound(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "已計劃"
        DONE = "done", "已交款"  # the takings were handed over to finance
        RECONCILED = "reconciled", "已對賬"

    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="rounds")
    on = models.DateField()
    collector = models.CharField(max_length=150, help_text="a member of finance (roles, S2a)")
    assistants = models.CharField(max_length=300, blank=True, help_text="comma-separated")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    forced = models.BooleanField(default=False, help_text="planned beyond the monthly policy")
    planned_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["building", "on"])]


class RoundStop(models.Model):
    """One account to visit on the round, with its overdue arrears when planned."""

    class Outcome(models.TextChoices):
        PENDING = "", "待訪"
        PAID = "paid", "已收款"
        REACHED = "reached", "已聯絡上"
        NOBODY = "nobody_present", "無人在"
        REFUSED = "refused", "拒絕"

    round = models.ForeignKey(EveningRound, on_delete=models.PROTECT, related_name="stops")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="round_stops")
    arrears = models.DecimalField(**MONEY)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "account"], name="one_stop_per_account")
        ]


class RoundPayment(models.Model):
    round = models.ForeignKey(EveningRound, on_delete=models.PROTECT, related_name="payments")
    stop = models.ForeignKey(RoundStop, on_delete=models.PROTECT, related_name="payments")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="round_link")


class RoundHandOver(models.Model):
    """What the collector handed over to finance, per method (cash counted; the slips
    of WeChat, Alipay and card payments totalled)."""

    round = models.ForeignKey(EveningRound, on_delete=models.PROTECT, related_name="handovers")
    method = models.CharField(max_length=20, choices=Payment.Method.choices)
    amount = models.DecimalField(**MONEY)
    handed_over_on = models.DateField()
    handed_over_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "method"], name="one_handover_per_method")
        ]


class RoundReconciliation(models.Model):
    """Per method: taken on the round (the receipts) against handed over. A difference is
    recorded and reported, never booked away."""

    round = models.ForeignKey(EveningRound, on_delete=models.PROTECT, related_name="reconciliation")
    method = models.CharField(max_length=20, choices=Payment.Method.choices)
    taken = models.DecimalField(**MONEY)
    handed_over = models.DecimalField(**MONEY)
    difference = models.DecimalField(**MONEY, help_text="handed over − taken")
    reconciled_on = models.DateField()
    reconciled_by = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "method"], name="one_reconciliation_line")
        ]


class RoundEvent(models.Model):
    """Every change of a round's status, with who and when (STYLE: a history row)."""

    round = models.ForeignKey(EveningRound, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    on = models.DateField()
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
