"""Dunning (催繳): policies as data, runs as reviewable proposals, notices as evidence.

Rules E2, E3, F1, G1 (RULES.md Part 1); the residential rules of Part 2 add steps and
task kinds on the same tables. A policy is an ordered list of steps; an account's
*arrears episode* (E2) holds the notices the ladder has sent since its debt fell due;
a run stores a proposal (one line per account) that staff trim before it is executed.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from wuye.billing.models import MONEY, Bill, FeeItem
from wuye.properties.models import Account, Customer, Project


class Action(models.TextChoices):
    """What a step does. Cutting water, electricity, heating or gas is deliberately not
    an action (X1, 《民法典》 art. 944)."""

    NOTICE = "notice", "催繳通知書（簽收）"
    SMS = "sms", "短信"
    EMAIL = "email", "電郵"
    CALL = "call", "電話催收"
    POSTING = "posting", "張貼催款單"
    VISIT = "visit", "上門溝通"
    LAWYER_LETTER = "lawyer_letter", "律師函"
    PAYMENT_ORDER = "payment_order", "支付令"
    ESCALATION = "escalation", "上報主管及經理"


#: actions whose document must reach the client (signature, posting or courier) before
#: the next step may follow (E2: "a notice not yet delivered or posted holds the next level")
DELIVERED_ACTIONS = {Action.NOTICE, Action.POSTING, Action.LAWYER_LETTER}


class DunningPolicy(models.Model):
    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    segments = models.CharField(
        max_length=200, blank=True, help_text="contract segments it applies to by default (comma)"
    )
    min_amount = models.DecimalField(
        **MONEY, default=Decimal("1.00"), help_text="arrears below this are not chased"
    )
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "dunning policies"

    def __str__(self) -> str:
        return self.code


class DunningStep(models.Model):
    """One rung of a ladder (its `track`). Trigger: all of days overdue ≥ `days_overdue`, days since
    the previous step was delivered/done ≥ `gap_days`, and (arrears ≥ `min_arrears` or
    oldest debt overdue ≥ `min_age_days`; either suffices when both are set);
    `without_result` also needs no payment since the previous step. A step with
    `repeat_every_days` repeats while the account stays in arrears."""

    policy = models.ForeignKey(DunningPolicy, on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField(help_text="the level: 1, 2, 3 …")
    track = models.CharField(
        max_length=30, default="main",
        help_text="steps of one track form a ladder; tracks run side by side (e.g. R1 "
        "reminders every 14 days beside the calls and visits of R2–R4)",
    )  # fmt: skip
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=100, help_text="e.g. 第一次催繳通知書")
    action = models.CharField(max_length=20, choices=Action.choices)
    template = models.CharField(max_length=100, blank=True, help_text="document template file")
    role = models.CharField(max_length=100, help_text="who does it (RULES.md roles)")
    days_overdue = models.PositiveIntegerField(default=0)
    gap_days = models.PositiveIntegerField(default=0)
    min_arrears = models.DecimalField(**MONEY, null=True, blank=True)
    min_age_days = models.PositiveIntegerField(null=True, blank=True)
    without_result = models.BooleanField(default=False)
    repeat_every_days = models.PositiveIntegerField(null=True, blank=True)
    pay_within_days = models.PositiveIntegerField(
        default=3, help_text="pay-by date on the document: issue date + N (to a working day)"
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="step_position_unique"),
            models.UniqueConstraint(fields=["policy", "code"], name="step_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy.code}/{self.position} {self.code}"

    def clean(self) -> None:
        from wuye.dunning.validation import validate_step

        validate_step(self)


class Episode(models.Model):
    """E2: an arrears episode of a payer in a project (all its accounts there: one notice
    lists each unit's overdue items); it ends when nothing of theirs is overdue."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="episodes")
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="episodes", help_text="the lead account"
    )
    opened_on = models.DateField()
    oldest_due = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "customer"],
                condition=Q(closed_on__isnull=True),
                name="one_open_episode",
            )
        ]


class RunMark(models.Model):
    """The latest executed run date per project; locked while a run executes, so two
    overlapping runs serialize, and an earlier date is refused."""

    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="dunning_mark")
    last_as_of = models.DateField(null=True, blank=True)


class DunningRun(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "待審核"
        EXECUTED = "executed", "已執行"
        SUPERSEDED = "superseded", "已失效"

    as_of = models.DateField()
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, help_text="empty: all"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.CharField(max_length=150)
    proposed_at = models.DateTimeField()
    executed_by = models.CharField(max_length=150, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    notices_created = models.IntegerField(default=0)
    episodes_closed = models.IntegerField(default=0)


class ProposalLine(models.Model):
    """What the run proposes for one account; staff may exclude it with a reason."""

    run = models.ForeignKey(DunningRun, on_delete=models.CASCADE, related_name="lines")
    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, help_text="lead account: its oldest overdue bill"
    )
    step = models.ForeignKey(DunningStep, on_delete=models.PROTECT)
    arrears = models.DecimalField(**MONEY)
    oldest_due = models.DateField()
    days_overdue = models.IntegerField()
    excluded = models.BooleanField(default=False)
    exclude_reason = models.CharField(max_length=300, blank=True)
    excluded_by = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "project", "customer", "step"], name="one_line_per_payer_step"
            )
        ]


class Notice(models.Model):
    """A step carried out for a payer in a project: a 催繳通知書 (or other document or task), with
    the amounts it stated. Never edited in amount: F1 voids it and issues a new one."""

    class Status(models.TextChoices):
        ISSUED = "issued", "待送達"
        DELIVERED = "delivered", "已簽收"
        POSTED = "posted", "已郵寄"
        OPEN = "open", "處理中"
        CLOSED = "closed", "已結案"
        CANCELLED = "cancelled", "已取消"
        VOID = "void", "已作廢重發"

    number = models.CharField(max_length=40, unique=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="notices")
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="notices", help_text="lead account"
    )
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="notices")
    run = models.ForeignKey(DunningRun, null=True, blank=True, on_delete=models.PROTECT)
    step = models.ForeignKey(DunningStep, on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField()
    occurrence = models.PositiveSmallIntegerField(
        default=1, help_text="the n-th time a repeating step (R1 every 14 days) was issued"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    issued_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices)
    principal = models.DecimalField(**MONEY)
    late_fee = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    pay_by = models.DateField(null=True, blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    handed_over_on = models.DateField(null=True, blank=True)
    handed_over_by = models.CharField(max_length=150, blank=True)
    delivered_on = models.DateField(null=True, blank=True)
    signer = models.CharField(max_length=200, blank=True)
    signer_relation = models.CharField(max_length=60, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=60, blank=True)
    posted_on = models.DateField(null=True, blank=True)
    courier_delivered_on = models.DateField(null=True, blank=True)
    posting_place = models.CharField(
        max_length=200, blank=True, help_text="R3: where it was posted (door, stairwell, board)"
    )
    photo_ref = models.CharField(max_length=200, blank=True, help_text="R3: the photo taken")
    settled_on = models.DateField(
        null=True, blank=True, help_text="delivered, posted or done: the E2 gap counts from it"
    )
    ended_on = models.DateField(null=True, blank=True, help_text="cancelled, voided or closed")
    end_reason = models.CharField(max_length=300, blank=True)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["project", "issued_on"])]
        constraints = [
            # E2: a level is issued once per episode (a reissue replaces, F1); a repeating
            # step once per occurrence
            models.UniqueConstraint(
                fields=["episode", "level", "occurrence"],
                condition=Q(replaces__isnull=True) & ~Q(status="cancelled"),
                name="one_level_per_episode",
            )
        ]


class NoticeLine(models.Model):
    """One overdue item the notice states: a bill's fee item, its open principal and
    late fee as of the notice date."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="lines")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="notice_lines")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT)
    period_start = models.DateField()
    due_date = models.DateField()
    principal = models.DecimalField(**MONEY)
    late_fee = models.DecimalField(**MONEY)


class Contact(models.Model):
    """Evidence (X2, X3): every attempt to reach the client about a notice or bill, with
    its channel, date and result."""

    class Channel(models.TextChoices):
        HAND = "hand", "親送簽收"
        COURIER = "courier", "EMS/快遞"
        SMS = "sms", "短信"
        EMAIL = "email", "電郵"
        CALL = "call", "電話"
        POSTING = "posting", "張貼"
        VISIT = "visit", "上門"
        SYSTEM = "system", "系統"

    class Result(models.TextChoices):
        SIGNED = "signed", "已簽收"
        NOBODY = "nobody_present", "無人在"
        ABSENT = "contact_absent", "負責人不在"
        REFUSED = "refused", "拒收"
        WRONG_ADDRESS = "wrong_address", "地址錯誤"
        POSTED = "posted", "已寄出"
        COURIER_DELIVERED = "courier_delivered", "快遞已送達"
        CANCELLED = "cancelled", "已取消"
        VOIDED = "voided", "已作廢重發"
        # calls and visits (R2, R4; wuye.collection)
        REACHED = "reached", "已聯絡上"
        NO_ANSWER = "no_answer", "無人接聽"
        WRONG_NUMBER = "wrong_number", "號碼錯誤"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="contacts")
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    on = models.DateField()
    staff = models.CharField(max_length=150)
    result = models.CharField(max_length=30, choices=Result.choices)
    signer = models.CharField(max_length=200, blank=True)
    signer_relation = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()


class Exclusion(models.Model):
    """A pause of dunning, with its reason, for a project, a segment, an account or a
    bill, from `starts_on` to `ends_on` (inclusive; empty: until lifted)."""

    class Scope(models.TextChoices):
        PROJECT = "project", "項目"
        SEGMENT = "segment", "客戶類別"
        ACCOUNT = "account", "帳戶"
        BILL = "bill", "帳單"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    segment = models.CharField(max_length=30, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT)
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
