"""Collection by phone and in person (催收): the call log with the reason for the arrears
and the amount stated (R2), promises to pay (R2, and acknowledgements under X2), visits
(R4) and the prepared answers staff take on a visit (the FAQ, R4).

A call or visit *task* is a `wuye.dunning.models.Notice` of action "call" or "visit" that
the dunning engine issued; recording the call or visit closes it. Every call and visit is
also a `Contact` row (the evidence log of X2/X3); the rows here add what only a call or a
visit has: the reason category, the amount stated, the promise, the outcome.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from wuye.billing.models import MONEY
from wuye.dunning.models import Contact, Notice
from wuye.properties.models import Account


class Reason(models.TextChoices):
    """R2: the main reason for the arrears, as the caller hears it."""

    SERVICE = "service", "不滿服務"
    DEFECT = "defect", "房屋質量問題"
    THEFT = "theft", "失竊"
    DEVELOPER = "developer", "與開發商糾紛"
    VACANT = "vacant", "空置未入住"
    HARDSHIP = "hardship", "經濟困難"
    FORGOT = "forgot", "遺忘"
    NO_REASON = "no_reason", "無理拒繳"
    OTHER = "other", "其他"


class CallOutcome(models.TextChoices):
    """The values are `Contact.Result` values: the contact row carries the outcome."""

    REACHED = "reached", "已聯絡上"
    NO_ANSWER = "no_answer", "無人接聽"
    WRONG_NUMBER = "wrong_number", "號碼錯誤"
    REFUSED = "refused", "拒絕"


class VisitOutcome(models.TextChoices):
    """The values are `Contact.Result` values: the contact row carries the outcome."""

    REACHED = "reached", "已聯絡上"
    NOBODY = "nobody_present", "無人在"
    ABSENT = "contact_absent", "業主不在"
    REFUSED = "refused", "拒絕"


class Call(models.Model):
    """R2: one phone call about an account's arrears: why it is unpaid, what amount the
    caller stated, what came of it. `task` is the call task it carried out, if any."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="calls")
    task = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="call")
    on = models.DateField()
    staff = models.CharField(max_length=150)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    amount_stated = models.DecimalField(**MONEY)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account", "on"])]


class Promise(models.Model):
    """R2: a promise to pay `amount` by `promised_on`, made on a call. Kept when payments
    on the account from `made_on` to `promised_on` reach the amount; broken otherwise,
    and then the account is back on the caller's list the day after. X2: the promise
    acknowledges the debt, so it restarts the limitation period of the open bills."""

    class Status(models.TextChoices):
        OPEN = "open", "待兌現"
        KEPT = "kept", "已兌現"
        BROKEN = "broken", "未兌現"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="promises")
    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="promise")
    made_on = models.DateField()
    promised_on = models.DateField()
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    settled_on = models.DateField(
        null=True, blank=True, help_text="kept: the last payment counted; broken: the day after"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "promised_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_on__gte=models.F("made_on")), name="promise_not_before_call"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
        ]


class Visit(models.Model):
    """R4: a visit to the unit (上門溝通), with its outcome and, if learned, the reason."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="visits")
    task = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="visit")
    on = models.DateField()
    staff = models.CharField(max_length=150)
    outcome = models.CharField(max_length=20, choices=VisitOutcome.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()


class FaqEntry(models.Model):
    """R4: a question an owner may ask on a visit, with the prepared answer, per reason
    category. Data an administrator edits; the seed is migration collection/0002."""

    reason = models.CharField(max_length=20, choices=Reason.choices)
    question = models.CharField(max_length=300)
    answer = models.TextField()
    sort_order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["reason", "sort_order", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ"

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.question}"

    def clean(self) -> None:
        """X1: an answer never threatens to cut water, electricity, heating or gas."""
        from wuye.dunning.validation import check_text

        check_text(self.question, field="question")
        check_text(self.answer, field="answer")


class AutoDebit(models.Model):
    """S1: a sign-up for bank auto-debit (銀行托收) of one account, the aim of the monthly
    call to a vacant investment unit. It moves proposed → form_sent → signed → active, or
    ends cancelled or refused, only through `services._transition` (one history row per
    change). At most one sign-up per account is open (not cancelled or refused); after a
    refusal the next call may propose again.

    `bank_account` is personal data: stored in full (the bank needs it), shown masked
    (the last 4 digits) in every list and CLI output."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "已建議"
        FORM_SENT = "form_sent", "已寄表格"
        SIGNED = "signed", "已簽約"
        ACTIVE = "active", "已生效"
        CANCELLED = "cancelled", "已取消"
        REFUSED = "refused", "業主拒絕"

    #: the statuses that end a sign-up: a new one may then be proposed
    FINAL = (Status.CANCELLED, Status.REFUSED)

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="auto_debits")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    status_on = models.DateField(help_text="the date of the last status change")
    proposed_on = models.DateField()
    proposed_by = models.CharField(max_length=150)
    bank_name = models.CharField(max_length=100, blank=True)
    account_holder = models.CharField(max_length=100, blank=True)
    bank_account = models.CharField(max_length=34, blank=True, help_text="digits only")
    mandate_reference = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=~Q(status__in=["cancelled", "refused"]),
                name="one_open_auto_debit_per_account",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "form_sent", "cancelled", "refused"])
                | (~Q(bank_name="") & ~Q(account_holder="") & ~Q(bank_account="")),
                name="auto_debit_signed_has_bank_data",
            ),
        ]


class AutoDebitEvent(models.Model):
    """One status change of an auto-debit sign-up: from, to, date, who, note."""

    auto_debit = models.ForeignKey(AutoDebit, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=AutoDebit.Status.choices)
    on = models.DateField()
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["auto_debit", "on"])]
