"""Writes of collection by phone and in person: calls (R2), promises to pay (R2, X2) and
visits (R4). Each service is one transaction; a call or visit that carries out a dunning
task closes that task with a targeted update that only succeeds while it is still open,
so two people cannot both complete it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from wuye.collection.models import (
    AutoDebit,
    AutoDebitEvent,
    Call,
    CallOutcome,
    FaqEntry,
    Promise,
    Reason,
    Visit,
    VisitOutcome,
)
from wuye.dunning.models import Action, Contact, Notice
from wuye.errors import NotFound, WuyeError
from wuye.money import CENT, HALF_FEN, MAX_AMOUNT, ZERO, fmt
from wuye.payments.models import Payment
from wuye.properties.models import Account
from wuye.properties.selectors import account_for_unit

NOTE_MAX = 300

#: call outcomes that leave the task open: the caller tries again (as C1 does for bills)
RETRY = {CallOutcome.NO_ANSWER}


# --- validation (errors name the field, STYLE §8) ------------------------------------


def check_amount(value, *, field: str) -> Decimal:
    """A positive amount with at most 2 decimals (分); never a float."""
    if isinstance(value, float) or not isinstance(value, Decimal | int):
        raise WuyeError(
            "invalid_amount",
            f"{field}: '{value}' is not an exact amount",
            f"{field}：「{value}」不是金額",
        )
    value = Decimal(value)
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise WuyeError(
            "invalid_amount",
            f"{field}: '{value}' must be more than 0 and at most {MAX_AMOUNT}",
            f"{field}：「{value}」必須大於零且不超過 {MAX_AMOUNT}",
        )
    if value != value.quantize(CENT):
        raise WuyeError(
            "invalid_amount",
            f"{field}: '{value}' has more than 2 decimals (分)",
            f"{field}：「{value}」超過兩位小數（分）",
        )
    return value.quantize(CENT)


def parse_reason(value: str | None, *, field: str = "--reason") -> str:
    """A reason category by its code (`vacant`) or its Chinese label (`空置未入住`)."""
    text = (value or "").strip()
    for code, label in Reason.choices:
        if text in (code, label):
            return code
    raise WuyeError(
        "invalid_reason",
        f"{field}: '{value}' is not one of {', '.join(Reason.values)}",
        f"{field}：「{value}」不是有效的欠費原因（{'、'.join(Reason.labels)}）",
    )


def _choice(value: str, choices, *, field: str) -> str:
    if value not in choices.values:
        raise WuyeError(
            f"invalid_{field.strip('-').replace('-', '_')}",
            f"{field}: '{value}' is not one of {', '.join(choices.values)}",
            f"{field}：「{value}」無效（{'、'.join(choices.values)}）",
        )
    return value


def _text(value: str, *, field: str, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise WuyeError(f"{field.strip('-')}_required", f"{field} is required", f"須填寫 {field}")
    if len(text) > NOTE_MAX:
        raise WuyeError(
            "too_long",
            f"{field}: at most {NOTE_MAX} characters",
            f"{field}：最多 {NOTE_MAX} 個字",
        )
    return text


def _account_and_task(
    *, number: str | None, unit_code: str | None, on: dt.date, action: str
) -> tuple[Account, Notice | None]:
    """The open task `number` (its lead account), or the account of the unit on `on`."""
    if bool(number) == bool(unit_code):
        raise WuyeError(
            "task_or_unit",
            "give either a task NUMBER or --unit, not both",
            "請指定任務編號或 --unit（二選一）",
        )
    if unit_code:
        return account_for_unit(unit_code, on=on), None
    task = Notice.objects.select_related("account").filter(number=number).first()
    if task is None:
        raise NotFound("task", number)
    label = Action(action).label
    if task.action != action or task.status != Notice.Status.OPEN:
        raise WuyeError(
            f"not_open_{action}_task",
            f"NUMBER: {number} is not an open {action} task ({task.action}, {task.status})",
            f"編號：{number} 不是未完成的{label}任務",
        )
    if on < task.issued_on:
        raise WuyeError(
            "invalid_date",
            f"--on: {on} is before the task was issued ({task.issued_on})",
            f"--on：{on} 早於任務發出日 {task.issued_on}",
        )
    return task.account, task


def _close_task(task: Notice, *, on: dt.date, reason: str) -> None:
    """Close the task only if it is still open (a targeted update, no lost update)."""
    done = Notice.objects.filter(pk=task.pk, status=Notice.Status.OPEN).update(
        status=Notice.Status.CLOSED, ended_on=on, end_reason=reason[:NOTE_MAX]
    )
    if not done:
        raise WuyeError(
            "task_closed",
            f"task {task.number} was closed meanwhile",
            f"任務 {task.number} 已被處理",
        )


# --- R2: the call log and promises to pay ---------------------------------------------


def _log_contact(account, task, channel, *, on, staff, result, summary, now) -> Contact:
    """The evidence row of a call or visit (X2, X3), with its summary as the note."""
    return Contact.objects.create(
        account=account, notice=task, channel=channel, on=on, staff=staff, result=result,
        note="；".join(summary)[:NOTE_MAX], created_at=now,
    )  # fmt: skip


def record_call(
    *,
    number: str | None = None,
    unit_code: str | None = None,
    on: dt.date,
    staff: str,
    reason: str,
    amount_stated: Decimal,
    outcome: str,
    promise_on: dt.date | None = None,
    promise_amount: Decimal | None = None,
    note: str = "",
    at: dt.time | None = None,
) -> Call:
    """R2: log a phone call: the main reason for the arrears (category), the amount the
    caller stated, the outcome and, if the owner gave one, a promise to pay (date,
    amount). With a task `number` the call carries out that open call task, which closes
    unless nobody answered (it stays on the list for another try); with `unit_code` it
    is an ad-hoc call, logged as contact evidence. Every call is a `Contact` row."""
    staff = _text(staff, field="--user", required=True)
    reason = parse_reason(reason)
    amount_stated = check_amount(amount_stated, field="--amount")
    outcome = _choice(outcome, CallOutcome, field="--outcome")
    note = _text(note, field="--note")
    if (promise_on is None) != (promise_amount is None):
        raise WuyeError(
            "promise_incomplete",
            "--promise-on and --promise-amount go together",
            "承諾付款須同時填寫 --promise-on 與 --promise-amount",
        )
    if promise_on is not None:
        promise_amount = check_amount(promise_amount, field="--promise-amount")
        if outcome != CallOutcome.REACHED:
            raise WuyeError(
                "promise_needs_reached",
                f"--promise-on: a promise needs --outcome reached, not {outcome}",
                "只有聯絡上業主時才能記錄承諾付款",
            )
        if promise_on < on:
            raise WuyeError(
                "invalid_date",
                f"--promise-on: {promise_on} is before the call ({on})",
                f"--promise-on：{promise_on} 早於通話日 {on}",
            )
    with transaction.atomic():
        account, task = _account_and_task(
            number=number, unit_code=unit_code, on=on, action=Action.CALL
        )
        from wuye.collection.limits import refuse_quiet_hours

        refuse_quiet_hours(at, project_id=account.project_id)  # no calls in quiet hours
        summary = [f"原因：{Reason(reason).label}", f"所述欠款 {fmt(amount_stated)}"]
        if promise_on is not None:
            summary.append(f"承諾 {promise_on} 前付 {fmt(promise_amount)}")
        if note:
            summary.append(note)
        now = timezone.now()
        contact = _log_contact(account, task, Contact.Channel.CALL, on=on, staff=staff,
                               result=outcome, summary=summary, now=now)  # fmt: skip
        call = Call.objects.create(
            account=account,
            task=task,
            contact=contact,
            on=on,
            staff=staff,
            reason=reason,
            amount_stated=amount_stated,
            outcome=outcome,
            note=note,
            created_at=now,
        )
        if promise_on is not None:
            Promise.objects.create(
                account=account,
                call=call,
                made_on=on,
                promised_on=promise_on,
                amount=promise_amount,
            )
        if task is not None and outcome not in RETRY:
            _close_task(task, on=on, reason=f"call: {outcome} ({staff})")
    return call


def _paid(as_of: dt.date):
    """Per promise (outer row), payments on its account from `made_on` to `promised_on`,
    paid by `as_of` and not reversed by then."""
    payments = (
        Payment.objects.filter(
            account_id=OuterRef("account_id"),
            paid_on__gte=OuterRef("made_on"),
            paid_on__lte=OuterRef("promised_on"),
        )
        .filter(paid_on__lte=as_of)
        .exclude(reversal__reversed_on__lte=as_of)
        .order_by()
        .values("account_id")
    )
    money_field = DecimalField(max_digits=14, decimal_places=2)
    total = Subquery(payments.annotate(t=Sum("amount")).values("t"), output_field=money_field)
    last = Subquery(payments.annotate(d=Max("paid_on")).values("d"))
    return Coalesce(total, Value(ZERO), output_field=money_field), last


def promises_with_payments(promises, *, as_of: dt.date):
    """Promises annotated with `paid` (counted as `check_promises` counts) and
    `last_paid`, in one query."""
    paid, last = _paid(as_of)
    return promises.annotate(paid=paid, last_paid=last)


def check_promises(*, as_of: dt.date) -> dict[str, int]:
    """R2: an open promise is kept once payments on the account from the day it was made
    up to the promised date reach the amount (reversed payments do not count), and broken
    when the promised date has passed without that; the broken promise's `settled_on` is
    the day after the promised date, when the account is back on the caller's list.
    Set-based and idempotent: only open promises change, so a rerun changes nothing."""
    with transaction.atomic():
        open_ = Promise.objects.filter(status=Promise.Status.OPEN, made_on__lte=as_of)
        kept = (
            promises_with_payments(open_, as_of=as_of)
            .filter(paid__gt=F("amount") - HALF_FEN)
            .values_list("pk", "last_paid")
        )
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        for pk, last in kept:
            by_day[last].append(pk)
        counts = {"kept": 0, "broken": 0}
        for day, ids in sorted(by_day.items()):
            counts["kept"] += Promise.objects.filter(pk__in=ids, status=Promise.Status.OPEN).update(
                status=Promise.Status.KEPT, settled_on=day
            )
        due = (
            Promise.objects.filter(status=Promise.Status.OPEN, promised_on__lt=as_of)
            .order_by()
            .values_list("promised_on", flat=True)
            .distinct()
        )
        for day in sorted(set(due)):
            counts["broken"] += Promise.objects.filter(
                status=Promise.Status.OPEN, promised_on=day
            ).update(status=Promise.Status.BROKEN, settled_on=day + dt.timedelta(days=1))
    return counts


# --- R4: visits -----------------------------------------------------------------------


def record_visit(
    *,
    number: str | None = None,
    unit_code: str | None = None,
    on: dt.date,
    staff: str,
    outcome: str,
    note: str = "",
    reason: str | None = None,
) -> Visit:
    """R4: log a visit to the unit (上門溝通) with its outcome and, if learned, the reason
    category; with a task `number` it carries out that open visit task and closes it.
    Every visit is a `Contact` row (channel visit)."""
    staff = _text(staff, field="--user", required=True)
    outcome = _choice(outcome, VisitOutcome, field="--outcome")
    note = _text(note, field="--note")
    reason = parse_reason(reason) if reason else ""
    with transaction.atomic():
        account, task = _account_and_task(
            number=number, unit_code=unit_code, on=on, action=Action.VISIT
        )
        summary = [f"原因：{Reason(reason).label}"] if reason else []
        if note:
            summary.append(note)
        now = timezone.now()
        contact = _log_contact(account, task, Contact.Channel.VISIT, on=on, staff=staff,
                               result=outcome, summary=summary, now=now)  # fmt: skip
        visit = Visit.objects.create(
            account=account,
            task=task,
            contact=contact,
            on=on,
            staff=staff,
            outcome=outcome,
            reason=reason,
            note=note,
            created_at=now,
        )
        if task is not None:
            _close_task(task, on=on, reason=f"visit: {outcome} ({staff})")
    return visit


# --- S1: bank auto-debit sign-up (銀行托收) ----------------------------------------------

Status = AutoDebit.Status

#: status → the statuses it may change to (one state machine, STYLE: oscar)
TRANSITIONS = {
    Status.PROPOSED: {Status.FORM_SENT, Status.REFUSED, Status.CANCELLED},
    Status.FORM_SENT: {Status.SIGNED, Status.REFUSED, Status.CANCELLED},
    Status.SIGNED: {Status.ACTIVE, Status.CANCELLED},
    Status.ACTIVE: {Status.CANCELLED},
}

BANK_ACCOUNT_DIGITS = (8, 30)  # Chinese card numbers 16–19, company accounts up to ~25


def parse_bank_account(value: str | None, *, field: str = "--account") -> str:
    """A bank account number as digits; spaces and hyphens people type are dropped."""
    digits = "".join(ch for ch in (value or "") if ch not in " -")
    low, high = BANK_ACCOUNT_DIGITS
    if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
        raise WuyeError(
            "invalid_bank_account",
            f"{field}: a bank account number is {low} to {high} digits",
            f"{field}：銀行帳號須為 {low} 至 {high} 位數字",
        )
    return digits


def _transition(
    auto_debit: AutoDebit, to: str, *, on: dt.date, actor: str, note: str = "", **fields
) -> AutoDebit:
    """The one way a sign-up changes status: checks the change is allowed and not dated
    before the last one, updates only while the status is still the one read (no lost
    update), and records the change."""
    if to not in TRANSITIONS.get(auto_debit.status, set()):
        raise WuyeError(
            "invalid_transition",
            f"the auto-debit sign-up of {auto_debit.account.code} is {auto_debit.status}, "
            f"it cannot become {to}",
            f"帳戶 {auto_debit.account.code} 的銀行托收目前為「{Status(auto_debit.status).label}」，"
            f"不能改為「{Status(to).label}」",
            status=auto_debit.status,
        )
    if on < auto_debit.status_on:
        raise WuyeError(
            "invalid_date",
            f"--on: {on} is before the sign-up's last change ({auto_debit.status_on})",
            f"--on：{on} 早於上次變更（{auto_debit.status_on}）",
        )
    done = AutoDebit.objects.filter(pk=auto_debit.pk, status=auto_debit.status).update(
        status=to, status_on=on, **fields
    )
    if not done:
        raise WuyeError(
            "auto_debit_changed",
            f"the auto-debit sign-up of {auto_debit.account.code} was changed meanwhile",
            f"帳戶 {auto_debit.account.code} 的銀行托收已被他人更改",
        )
    AutoDebitEvent.objects.create(
        auto_debit=auto_debit, from_status=auto_debit.status, to_status=to, on=on,
        actor=actor, note=note, created_at=timezone.now(),
    )  # fmt: skip
    auto_debit.refresh_from_db()
    return auto_debit


def propose_auto_debit(*, unit_code: str, on: dt.date, actor: str, note: str = "") -> AutoDebit:
    """S1: the caller proposed bank auto-debit (銀行托收) to the owner: a new sign-up in
    status proposed. Refused while the account has an open one (not cancelled or
    refused: the partial unique constraint backs this) or on a date before its last
    sign-up ended, so the history reads in date order."""
    actor = _text(actor, field="--user", required=True)
    note = _text(note, field="--note")
    with transaction.atomic():
        account = account_for_unit(unit_code, on=on)
        Account.objects.select_for_update().filter(pk=account.pk).first()  # one at a time
        sign_ups = AutoDebit.objects.filter(account=account)
        open_ = sign_ups.exclude(status__in=AutoDebit.FINAL).first()
        if open_ is not None:
            raise WuyeError(
                "auto_debit_open",
                f"account {account.code} already has an auto-debit sign-up ({open_.status} "
                f"since {open_.status_on})",
                f"帳戶 {account.code} 已有銀行托收申請（{Status(open_.status).label}，"
                f"{open_.status_on} 起）",
                status=open_.status,
            )
        last = sign_ups.order_by("-status_on", "-pk").first()
        if last is not None and on < last.status_on:
            raise WuyeError(
                "invalid_date",
                f"--on: {on} is before the last sign-up ended ({last.status_on})",
                f"--on：{on} 早於上次托收申請結束日 {last.status_on}",
            )
        try:
            with transaction.atomic():
                auto_debit = AutoDebit.objects.create(
                    account=account, status=Status.PROPOSED, status_on=on, proposed_on=on,
                    proposed_by=actor, note=note, created_at=timezone.now(),
                )  # fmt: skip
        except IntegrityError as exc:  # someone proposed meanwhile
            raise WuyeError(
                "auto_debit_open",
                f"account {account.code} already has an auto-debit sign-up",
                f"帳戶 {account.code} 已有銀行托收申請",
            ) from exc
        AutoDebitEvent.objects.create(
            auto_debit=auto_debit, from_status="", to_status=Status.PROPOSED, on=on,
            actor=actor, note=note, created_at=timezone.now(),
        )  # fmt: skip
    return auto_debit


def advance_auto_debit(
    *,
    unit_code: str,
    to: str,
    on: dt.date,
    actor: str,
    bank_name: str = "",
    account_holder: str = "",
    bank_account: str = "",
    mandate_reference: str = "",
    note: str = "",
) -> AutoDebit:
    """S1: move the account's open auto-debit sign-up on: form_sent (the bank's form was
    sent to the owner), signed (the owner signed it: bank name, account holder and
    account number required), active (the bank confirmed the mandate; its reference may
    be given then or on signing), refused (the owner said no), cancelled. Bank data is
    only taken on signing; the mandate reference on signing or activation."""
    actor = _text(actor, field="--user", required=True)
    to = _choice(to, Status, field="--to")
    note = _text(note, field="--note")
    fields: dict[str, str] = {}
    bank = {"--bank": bank_name, "--holder": account_holder, "--account": bank_account}
    if to == Status.SIGNED:
        fields["bank_name"] = _text(bank_name, field="--bank", required=True)[:100]
        fields["account_holder"] = _text(account_holder, field="--holder", required=True)[:100]
        fields["bank_account"] = parse_bank_account(bank_account)
    elif any((v or "").strip() for v in bank.values()):
        given = ", ".join(k for k, v in bank.items() if (v or "").strip())
        raise WuyeError(
            "bank_data_not_allowed",
            f"{given}: bank data is taken on signing (--to signed), not {to}",
            f"{given}：銀行資料於簽約時（--to signed）填寫",
        )
    if (mandate_reference or "").strip():
        if to not in (Status.SIGNED, Status.ACTIVE):
            raise WuyeError(
                "bank_data_not_allowed",
                f"--mandate: the mandate reference is taken on signed or active, not {to}",
                "--mandate：授權編號於簽約或生效時填寫",
            )
        fields["mandate_reference"] = _text(mandate_reference, field="--mandate")[:60]
    with transaction.atomic():
        account = account_for_unit(unit_code, on=on)
        auto_debit = (
            AutoDebit.objects.select_for_update()
            .filter(account=account)
            .exclude(status__in=AutoDebit.FINAL)
            .first()
        )
        if auto_debit is None:
            raise WuyeError(
                "no_auto_debit",
                f"account {account.code} has no open auto-debit sign-up: propose one first",
                f"帳戶 {account.code} 沒有進行中的銀行托收申請：請先建議",
            )
        auto_debit.account = account
        _transition(auto_debit, to, on=on, actor=actor, note=note, **fields)
    return auto_debit


def save_faq_entry(
    *, reason: str, question: str, answer: str, actor: str, entry_id: int | None = None,
    sort_order: int = 0, active: bool = True,
) -> FaqEntry:  # fmt: skip
    """R4: an administrator adds or changes a prepared answer (X1 checked: no threat to
    cut a utility). Not financial data: changed in place."""
    from django.core.exceptions import ValidationError

    reason = parse_reason(reason)
    question = _text(question, field="--question", required=True)
    answer = _text(answer, field="--answer", required=True)
    entry = FaqEntry() if entry_id is None else FaqEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("FAQ entry", str(entry_id))
    entry.reason, entry.question, entry.answer = reason, question, answer
    entry.sort_order, entry.active = sort_order, active
    try:
        entry.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise WuyeError(
            "invalid_faq", f"--{field}: {messages[0]}", f"--{field}：{messages[0]}"
        ) from None
    entry.save()
    return entry
