"""The receivable ledger: append-only entries per account (STYLE §4).

Sign: an entry's amount is positive when it raises what the account owes, negative when
it lowers it. An entry with a bill line targets one debt (that line's principal or late
fee); an entry without one is the account's unallocated money: the credit is minus their
sum. Balances are always sums of entries, never stored.
"""

from __future__ import annotations

from django.db import models

from wuye.billing.models import MONEY, Bill, BillLine, FeeItem
from wuye.properties.models import Account


class Entry(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", "應收"
        LATE_FEE = "late_fee", "違約金"
        PAYMENT = "payment", "收款"
        REFUND = "refund", "退款"
        WAIVER = "waiver", "減免違約金"
        REDUCTION = "reduction", "減收"
        WRITE_OFF = "write_off", "核銷"
        REVERSAL = "reversal", "沖銷"
        CREDIT_APPLIED = "credit_applied", "預收款抵扣"
        ALLOCATION_RELEASED = "allocation_released", "撥回預收"

    class Component(models.TextChoices):
        PRINCIPAL = "principal", "本金"
        LATE_FEE = "late_fee", "違約金"
        NONE = "", "未分配"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    component = models.CharField(max_length=20, choices=Component.choices, blank=True)
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT)
    bill_line = models.ForeignKey(BillLine, null=True, blank=True, on_delete=models.PROTECT)
    fee_item = models.ForeignKey(FeeItem, null=True, blank=True, on_delete=models.PROTECT)
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    amount = models.DecimalField(**MONEY)
    entry_date = models.DateField(help_text="when it was booked")
    value_date = models.DateField(help_text="when it takes effect")
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["account", "value_date"]),
            models.Index(fields=["bill_line", "component"]),
            models.Index(fields=["bill"]),
        ]
