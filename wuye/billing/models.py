"""Fee items, contracts (versioned), bills and their lines, bill runs, number sequences.

A bill is immutable once issued: its lines and amounts never change. Voiding (rule D1)
records who, when and why and links the replacement; the ledger gets reversing entries.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from wuye.properties.models import Account, Project

MONEY = {"max_digits": 14, "decimal_places": 2}


class FeeItem(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100, help_text="中文名稱, e.g. 物業服務費")
    name_en = models.CharField(max_length=100, blank=True)
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="VAT rate; bill amounts are tax-inclusive"
    )
    bears_late_fee = models.BooleanField(default=True, help_text="rule L1")
    pass_through = models.BooleanField(
        default=False, help_text="utility collected for a supplier: no surcharge (X5)"
    )
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_through=False) | Q(bears_late_fee=False),
                name="pass_through_bears_no_late_fee",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """The terms of one account, versioned by effective date: a change is a new version."""

    class Cycle(models.IntegerChoices):
        MONTHLY = 1, "每月"
        QUARTERLY = 3, "每季"
        YEARLY = 12, "每年"

    class Term(models.TextChoices):
        AFTER_RECEIPT = "after_receipt", "收到帳單後N日"  # rule E1
        FIXED_DAY = "fixed_day", "固定到期日"  # rule E1, posted or messaged bills

    class Segment(models.TextChoices):
        OFFICE = "office", "辦公"
        RESIDENTIAL = "residential", "住宅（已入住）"
        VACANT_INVESTMENT = "vacant_investment", "空置投資（S1）"
        SHOP_VILLA = "shop_villa", "商鋪別墅（S2b）"
        HARDSHIP = "hardship", "特殊戶（S3）"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="contracts")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    billing_cycle = models.PositiveSmallIntegerField(choices=Cycle.choices, default=Cycle.MONTHLY)
    payment_term = models.CharField(max_length=20, choices=Term.choices)
    payment_term_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="E1: days after receipt (after_receipt)"
    )
    fixed_due_day = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="E1: day of the period's first month; 0 = its last day"
    )
    late_fee_clause = models.BooleanField(default=False, help_text="L1, X3")
    late_fee_rate = models.DecimalField(
        max_digits=8, decimal_places=6, default=0, help_text="L1: per day, e.g. 0.000500 = 0.5‰"
    )
    late_fee_first = models.BooleanField(
        default=True, help_text="P1: late fee before principal within one debt (art. 561)"
    )
    segment = models.CharField(max_length=30, choices=Segment.choices)
    dunning_policy = models.CharField(max_length=50, blank=True)
    collector = models.CharField(max_length=150, blank=True, help_text="responsible collector, M4")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "version"], name="contract_version_unique"),
            models.UniqueConstraint(
                fields=["account", "effective_from"], name="contract_effective_unique"
            ),
        ]
        indexes = [models.Index(fields=["account", "effective_from"])]


class ContractLine(models.Model):
    class Basis(models.TextChoices):
        PER_AREA = "per_area", "每平方米每月"
        FIXED = "fixed", "每月定額"
        SUPPLIED = "supplied", "按期提供金額"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="lines")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT)
    basis = models.CharField(max_length=20, choices=Basis.choices)
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=4, default=0, help_text="per m² per month, or per month"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "fee_item"], name="contract_line_unique"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="unit_price_not_negative"),
        ]


class SuppliedAmount(models.Model):
    """An amount for one account, fee item and period: shared utilities, meter charges."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT)
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT)
    period_start = models.DateField()
    amount = models.DecimalField(**MONEY)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fee_item", "period_start"], name="supplied_amount_unique"
            )
        ]


class NumberSequence(models.Model):
    """Gapless counters for bill, receipt and refund numbers, advanced in the writer's
    transaction: a rolled-back write gives its numbers back."""

    key = models.CharField(max_length=80, unique=True)
    last = models.BigIntegerField(default=0)


class BillRun(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    period_start = models.DateField()
    run_on = models.DateField()
    bills_created = models.IntegerField(default=0)
    total = models.DecimalField(**MONEY, default=0)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()


class Bill(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", "已發出"
        VOID = "void", "已作廢"

    class Source(models.TextChoices):
        RUN = "run", "發單"
        OPENING = "opening", "期初欠費"  # unpaid before wuye, imported (issue 3)

    number = models.CharField(max_length=40, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.RUN)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="bills")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="bills")
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, help_text="none: opening"
    )
    original_number = models.CharField(
        max_length=60, blank=True, help_text="the bill's number in the system before wuye"
    )
    period_start = models.DateField()
    period_end = models.DateField(help_text="first day after the period (half-open)")
    issue_date = models.DateField()
    receipt_date = models.DateField(null=True, blank=True, help_text="收到帳單日, rule B1")
    due_date = models.DateField(null=True, blank=True, help_text="rule E1")
    total = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    run = models.ForeignKey(
        BillRun, null=True, blank=True, on_delete=models.PROTECT, related_name="bills"
    )
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    void_reason = models.CharField(max_length=300, blank=True)
    voided_on = models.DateField(null=True, blank=True)
    voided_by = models.CharField(max_length=150, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One live bill per account and period: the bill run's idempotency key.
            models.UniqueConstraint(
                fields=["account", "period_start"],
                condition=Q(status="issued"),
                name="one_live_bill_per_account_period",
            )
        ]
        indexes = [
            models.Index(fields=["project", "period_start"]),
            models.Index(fields=["account", "period_start"]),
            models.Index(fields=["run"]),
        ]

    def __str__(self) -> str:
        return self.number


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="lines")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT)
    basis = models.CharField(max_length=20, choices=ContractLine.Basis.choices)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, help_text="m², or 1")
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    days = models.IntegerField(help_text="days billed in the cycle (proration)")
    cycle_days = models.IntegerField()
    amount = models.DecimalField(**MONEY)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    tax_amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bill", "fee_item"], name="bill_line_fee_item_unique")
        ]


class BillReceipt(models.Model):
    """A plain record that the bill reached the client (B1): sets receipt and due date.
    The delivery workflow (issue 4) produces these from signed delivery attempts."""

    class Method(models.TextChoices):
        HAND = "hand", "親手簽收"
        COURIER = "courier", "EMS/快遞"
        POSTED = "posted", "張貼/郵寄"

    bill = models.OneToOneField(Bill, on_delete=models.PROTECT, related_name="receipt")
    received_on = models.DateField()
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.HAND)
    signer = models.CharField(max_length=200, blank=True)
    signer_relation = models.CharField(max_length=60, blank=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()


class Dispute(models.Model):
    """Rule D2: a client's query about a bill's amount (異議). While open, the bill is held
    out of dunning and its late fee accrues but is not posted (L1)."""

    class Resolution(models.TextChoices):
        UPHELD = "upheld", "異議成立（更正帳單 D1）"
        REJECTED = "rejected", "異議不成立（恢復催繳）"

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="disputes")
    opened_on = models.DateField()
    reason = models.CharField(max_length=300)
    opened_by = models.CharField(max_length=150)
    resolved_on = models.DateField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolution_note = models.CharField(max_length=300, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bill"], condition=Q(resolved_on__isnull=True), name="one_open_dispute"
            )
        ]


class HandOver(models.Model):
    """Rule A1: a customer-service assistant signs for a batch of bills from finance."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    handed_over_on = models.DateField()
    signed_by = models.CharField(max_length=150, help_text="the assistant who signed for it")
    signed_at = models.TimeField(null=True, blank=True, help_text="local time of signing")
    late = models.BooleanField(default=False, help_text="signed after the project's time (A1)")
    bills = models.ManyToManyField(Bill, related_name="handovers")
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()


class DeliveryAttempt(models.Model):
    """Rules B1, C1, X2: each attempt to hand a bill to the designated contact."""

    class Result(models.TextChoices):
        SIGNED = "signed", "已簽收"
        NOBODY = "nobody_present", "無人"
        CONTACT_ABSENT = "contact_absent", "負責人不在"
        REFUSED = "refused", "拒收"
        WRONG_ADDRESS = "wrong_address", "地址錯誤"

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="delivery_attempts")
    attempted_on = models.DateField()
    staff = models.CharField(max_length=150)
    result = models.CharField(max_length=20, choices=Result.choices)
    signer = models.CharField(max_length=200, blank=True)
    signer_relation = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()


class CourierDispatch(models.Model):
    """Rule E3: a bill the client could not be reached for goes by EMS/courier; the
    recorded delivery (or posting + N days, E1) is its receipt date; evidence for X2."""

    bill = models.OneToOneField(Bill, on_delete=models.PROTECT, related_name="courier")
    carrier = models.CharField(max_length=60)
    tracking_number = models.CharField(max_length=60)
    posted_on = models.DateField()
    delivered_on = models.DateField(null=True, blank=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()
