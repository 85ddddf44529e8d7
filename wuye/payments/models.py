"""Payments with gapless receipt numbers, refunds and reversals (rule P1)."""

from __future__ import annotations

from django.db import models

from wuye.billing.models import MONEY, Bill
from wuye.properties.models import Account, Project


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", "現金"
        BANK_TRANSFER = "bank_transfer", "銀行轉賬"
        AUTO_DEBIT = "auto_debit", "銀行托收"
        WECHAT = "wechat", "微信支付"
        ALIPAY = "alipay", "支付寶"
        CARD = "card", "刷卡"

    receipt_number = models.CharField(max_length=40, unique=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=20, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="bank/WeChat/Alipay ref.")
    paid_on = models.DateField()
    designated_bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)


class PaymentReversal(models.Model):
    """A payment that bounced or was booked to the wrong account: reversed, never deleted."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal")
    reversed_on = models.DateField()
    reason = models.CharField(max_length=300)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()


class Refund(models.Model):
    number = models.CharField(max_length=40, unique=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    method = models.CharField(max_length=20, choices=Payment.Method.choices)
    refunded_on = models.DateField()
    reason = models.CharField(max_length=300)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()
