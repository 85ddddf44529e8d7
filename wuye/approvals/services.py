"""Approval requests (審批): request, approve, reject, withdraw.

Rules M1, M2, S3 and L1 ("late fees can be waived only with approval, and the waiver is
a ledger entry, not a deletion"); who may approve what follows RULES.md "Who may do
what", read as policy data (`approval_supervisor_limit`, `approval_supervisor_kinds`,
`approval_limited_kinds`). Each service is one transaction that takes the account lock
first; every status change goes through `_transition`, which records an event.

Each kind has a `KindHandler` in `HANDLERS` (other apps register theirs, e.g. lawyer
letters): a waiver (L1) and a reduction (S3) post negative entries on the late fee or
the principal, a write-off (M2) settles everything open of the account or bill, goodwill
(M1) records what was given and posts nothing, an instalment plan (S3) records its
schedule and, once approved, holds its bills out of dunning while it is kept
(`wuye.approvals.instalments`). A kind without a handler is refused at request time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from django.db import transaction
from django.utils import timezone

from wuye.approvals.instalments import ACTIVE, approved_plans, plan_states
from wuye.approvals.models import (
    APPROVER_ROLES,
    ApprovalEvent,
    ApprovalRequest,
    Instalment,
    InstalmentPlan,
    Role,
)
from wuye.approvals.notifications import notify
from wuye.billing import numbers
from wuye.billing.models import Bill
from wuye.dunning.services import debts_changed
from wuye.errors import NotFound, WuyeError
from wuye.ledger.allocation import LATE_FEE, PRINCIPAL, Debt, pro_rata
from wuye.ledger.models import Entry
from wuye.ledger.selectors import open_debts
from wuye.money import ZERO, check_amount, fmt
from wuye.policies.selectors import policy
from wuye.properties.models import Account

Kind = ApprovalRequest.Kind
Status = ApprovalRequest.Status
NUMBER_WIDTH = 6

#: status → the statuses it may change to (one state machine, STYLE: oscar)
TRANSITIONS = {
    Status.REQUESTED: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
}


# --- who may approve (RULES.md "Who may do what", as policy data) -------------------------


def may_approve(role: str, kind: str, amount: Decimal, *, project_id: int) -> bool:
    """A manager approves every kind and amount; a supervisor the kinds of
    `approval_supervisor_kinds`, the limited ones (waivers, reductions) only up to
    `approval_supervisor_limit` (1,000 yuan by default)."""
    if role == Role.MANAGER:
        return True
    if role != Role.SUPERVISOR:
        return False
    if kind not in policy("approval_supervisor_kinds", project_id=project_id):
        return False
    if kind in policy("approval_limited_kinds", project_id=project_id):
        return amount <= policy("approval_supervisor_limit", project_id=project_id)
    return True


def approver_role(kind: str, amount: Decimal, *, project_id: int) -> str:
    """The first role, in order of rank, that may approve such a request."""
    for role in APPROVER_ROLES:
        if may_approve(role, kind, amount, project_id=project_id):
            return role
    return Role.MANAGER


def _check_role(role: str) -> str:
    if role not in APPROVER_ROLES:
        raise WuyeError(
            "invalid_role",
            f"--role: '{role}' is not one of {', '.join(APPROVER_ROLES)}",
            f"--role：「{role}」須為 {'、'.join(APPROVER_ROLES)} 之一",
        )
    return role


# --- what each kind checks and posts -------------------------------------------------------


def open_items(
    account_id: int, *, on: dt.date, bill_id: int | None = None, components=(LATE_FEE,)
) -> list[Debt]:
    """What is open of the given components of each line of live bills (of one bill, if
    given), oldest bill first. A line counts with what is open both on `on` and with
    everything booked so far, so a back-dated entry never takes a line below zero on any
    date."""
    booked = {
        (d.bill_line_id, d.component): d.open
        for d in open_debts([account_id]).get(account_id, [])
        if d.component in components
    }
    then = [
        d
        for d in open_debts([account_id], as_of=on).get(account_id, [])
        if (d.bill_line_id, d.component) in booked
    ]
    live = set(
        Bill.objects.filter(
            pk__in={d.bill_id for d in then}, status=Bill.Status.ISSUED
        ).values_list("pk", flat=True)
    )
    debts = [
        Debt(d.bill_id, d.bill_line_id, d.fee_item_id, d.component,
             min(d.open, booked[(d.bill_line_id, d.component)]), d.due_date, d.period_start)
        for d in then
        if d.bill_id in live and (bill_id is None or d.bill_id == bill_id)
    ]  # fmt: skip
    return sorted(debts, key=lambda d: (d.period_start, d.bill_id, d.bill_line_id, d.component))


def waivable_late_fees(account_id: int, *, on: dt.date, bill_id: int | None = None) -> list[Debt]:
    """The open late fee of each bill line of live bills (of one bill), oldest first."""
    return open_items(account_id, on=on, bill_id=bill_id, components=(LATE_FEE,))


def _total(debts: list[Debt]) -> Decimal:
    return sum((d.open for d in debts), ZERO)


def _what(account: Account, bill: Bill | None) -> tuple[str, str]:
    if bill:
        return f"bill {bill.number}", f"帳單 {bill.number}"
    return f"account {account.code}", f"帳戶 {account.code}"


def _check_waiver(*, account: Account, bill: Bill | None, amount: Decimal, on: dt.date) -> None:
    """L1: never waive more than the late fee that is open."""
    debts = waivable_late_fees(account.pk, on=on, bill_id=bill.pk if bill else None)
    open_fee = sum((d.open for d in debts), ZERO)
    if amount > open_fee:
        what = f"bill {bill.number}" if bill else f"account {account.code}"
        what_zh = f"帳單 {bill.number}" if bill else f"帳戶 {account.code}"
        raise WuyeError(
            "waiver_exceeds_open",
            f"a waiver of {fmt(amount)} is more than the open late fee of {what} "
            f"({fmt(open_fee)} on {on})",
            f"減免 {fmt(amount)} 超過{what_zh} 的未付違約金（{on}：{fmt(open_fee)}）",
            open_late_fee=fmt(open_fee),
        )


def _post_waiver(request: ApprovalRequest, *, on: dt.date, actor: str) -> list[Entry]:
    """L1, M1, S3: `waiver` entries on the late fee of the bill's lines (or of every live
    bill of the account), split pro rata to what is open by largest remainder, booked on
    the approval date. The late-fee run counts only `late_fee` entries as posted, so it
    never posts a waived amount again."""
    debts = waivable_late_fees(request.account_id, on=on, bill_id=request.bill_id)
    shares = pro_rata(request.amount, [d.open for d in debts])
    now = timezone.now()
    reason = f"M1/S3 waiver {request.number}: {request.reason}"[:300]
    entries = []
    for debt, share in zip(debts, shares, strict=True):
        if share > 0:
            entries.append(Entry.objects.create(
                account_id=request.account_id, kind=Entry.Kind.WAIVER,
                component=Entry.Component.LATE_FEE, bill_id=debt.bill_id,
                bill_line_id=debt.bill_line_id, fee_item_id=debt.fee_item_id, amount=-share,
                entry_date=on, value_date=on, actor=actor, created_at=now, reason=reason,
            ))  # fmt: skip
    return entries


def _entries(
    request: ApprovalRequest, debts: list[Debt], shares: list[Decimal], *, kind: str,
    on: dt.date, actor: str, reason: str,
) -> list[Entry]:  # fmt: skip
    """One negative entry per share, on the debt's line and component, booked on `on`."""
    now = timezone.now()
    return [
        Entry.objects.create(
            account_id=request.account_id, kind=kind, component=debt.component,
            bill_id=debt.bill_id, bill_line_id=debt.bill_line_id, fee_item_id=debt.fee_item_id,
            amount=-share, entry_date=on, value_date=on, actor=actor, created_at=now,
            reason=f"{reason} {request.number}: {request.reason}"[:300],
        )
        for debt, share in zip(debts, shares, strict=True)
        if share > 0
    ]  # fmt: skip


def _check_reduction(*, account: Account, bill: Bill | None, amount: Decimal, on: dt.date) -> None:
    """S3: never reduce more than the principal that is open."""
    open_principal = _total(
        open_items(account.pk, on=on, bill_id=bill.pk if bill else None, components=(PRINCIPAL,))
    )
    if amount > open_principal:
        what, what_zh = _what(account, bill)
        raise WuyeError(
            "reduction_exceeds_open",
            f"a reduction of {fmt(amount)} is more than the open principal of {what} "
            f"({fmt(open_principal)} on {on})",
            f"減收 {fmt(amount)} 超過{what_zh} 的未付本金（{on}：{fmt(open_principal)}）",
            open_principal=fmt(open_principal),
        )


def _post_reduction(request: ApprovalRequest, *, on: dt.date, actor: str) -> list[Entry]:
    """S3 減收: `reduction` entries on the principal, the bill's (or the account's live
    bills, oldest first) lines pro rata to their open principal within a bill (largest
    remainder). The late-fee run (L1) accrues on the lower principal from then on."""
    debts = open_items(request.account_id, on=on, bill_id=request.bill_id,
                       components=(PRINCIPAL,))  # fmt: skip
    left = request.amount
    entries: list[Entry] = []
    for _, group in groupby(debts, key=lambda d: d.bill_id):
        lines = list(group)
        take = min(left, _total(lines))
        shares = pro_rata(take, [d.open for d in lines])
        entries += _entries(request, lines, shares, kind=Entry.Kind.REDUCTION, on=on,
                            actor=actor, reason="S3 reduction")  # fmt: skip
        left -= take
        if left <= 0:
            break
    return entries


def write_off_amount(account_id: int, *, on: dt.date, bill_id: int | None = None) -> Decimal:
    """M2: what a write-off of the account (or bill) would settle on `on`: every open
    principal and late fee booked."""
    return _total(open_items(account_id, on=on, bill_id=bill_id, components=(PRINCIPAL, LATE_FEE)))


def _check_write_off(*, account: Account, bill: Bill | None, amount: Decimal, on: dt.date) -> None:
    """M2: the approved amount is exactly what is open, so the approver sees what the
    account is cleared of; anything booked or paid in between asks for a new request."""
    open_amount = write_off_amount(account.pk, on=on, bill_id=bill.pk if bill else None)
    if amount != open_amount:
        what, what_zh = _what(account, bill)
        raise WuyeError(
            "write_off_amount_differs",
            f"a write-off of {fmt(amount)} is not what is open of {what} "
            f"({fmt(open_amount)} on {on}: principal and late fee)",
            f"核銷 {fmt(amount)} 與{what_zh} 的未付金額不符（{on}：{fmt(open_amount)}）",
            open_amount=fmt(open_amount),
        )


def _post_write_off(request: ApprovalRequest, *, on: dt.date, actor: str) -> list[Entry]:
    """M2 核銷: a `write_off` entry for every open principal and late fee of the bill (or
    of every live bill of the account), so the account starts clean; with no principal
    left, no late fee accrues any more and the arrears episode ends (E2, via
    `debts_changed`)."""
    debts = open_items(request.account_id, on=on, bill_id=request.bill_id,
                       components=(PRINCIPAL, LATE_FEE))  # fmt: skip
    return _entries(request, debts, [d.open for d in debts], kind=Entry.Kind.WRITE_OFF, on=on,
                    actor=actor, reason="M2 write-off")  # fmt: skip


def _check_nothing(*, account: Account, bill: Bill | None, amount: Decimal, on: dt.date) -> None:
    """Goodwill (M1) does not touch what is owed: only the amount (its value) is checked."""


def _record_goodwill(request: ApprovalRequest, *, given: str = "", schedule=None) -> None:
    """M1: what was given (a repair done free, a gift card, …); its value is the amount."""
    given = _required(given, "given_required", "--given (what was given)", "補償內容")
    if schedule:
        _not_for_kind("--schedule", request.kind)
    ApprovalRequest.objects.filter(pk=request.pk).update(given=given[:300])
    request.given = given[:300]


def _post_nothing(request: ApprovalRequest, *, on: dt.date, actor: str) -> list[Entry]:
    return []


def _check_plan(*, account: Account, bill: Bill | None, amount: Decimal, on: dt.date) -> None:
    """S3: the schedule pays at least the open principal of the covered bills and at most
    what is open of them (principal and late fee)."""
    principal = _total(
        open_items(account.pk, on=on, bill_id=bill.pk if bill else None, components=(PRINCIPAL,))
    )
    covered = {d.bill_id for d in open_items(
        account.pk, on=on, bill_id=bill.pk if bill else None, components=(PRINCIPAL,)
    )}  # fmt: skip
    everything = _total([
        d for d in open_items(account.pk, on=on, components=(PRINCIPAL, LATE_FEE))
        if d.bill_id in covered
    ])  # fmt: skip
    what, what_zh = _what(account, bill)
    if principal <= 0:
        raise WuyeError(
            "nothing_open", f"nothing of {what} is open on {on}", f"{what_zh} 於 {on} 無未付本金"
        )
    if not principal <= amount <= everything:
        raise WuyeError(
            "plan_total_mismatch",
            f"the schedule's total {fmt(amount)} must be at least the open principal of {what} "
            f"({fmt(principal)}) and at most all that is open of it ({fmt(everything)}) on {on}",
            f"分期總額 {fmt(amount)} 須不少於{what_zh} 的未付本金（{fmt(principal)}），"
            f"且不超過未付總額（{fmt(everything)}）",
            open_principal=fmt(principal),
            open_amount=fmt(everything),
        )


def _record_plan(request: ApprovalRequest, *, given: str = "", schedule=None) -> None:
    """S3: the schedule (dated amounts, on or after the request date, one per day) whose
    total is the request's amount, and the covered bills: the request's bill, or every
    live bill of the account with open principal."""
    if given:
        _not_for_kind("--given", request.kind)
    if not schedule:
        raise WuyeError(
            "schedule_required",
            "an instalment plan needs a schedule (--schedule DATE:AMOUNT,…)",
            "分期付款須提供還款計劃（--schedule 日期:金額,…）",
        )
    days = [day for day, _ in schedule]
    if len(set(days)) != len(days) or min(days) < request.requested_on:
        raise WuyeError(
            "invalid_schedule",
            f"schedule: the dates must differ and not be before the request ({request.requested_on})",
            f"還款計劃日期不得重複，且不得早於申請日 {request.requested_on}",
        )
    for _, amount in schedule:
        check_amount(amount)
    total = sum((amount for _, amount in schedule), ZERO)
    if total != request.amount:
        raise WuyeError(
            "invalid_schedule",
            f"schedule: the instalments add up to {fmt(total)}, not {fmt(request.amount)}",
            f"還款計劃合計 {fmt(total)}，與申請金額 {fmt(request.amount)} 不符",
        )
    covered = sorted({d.bill_id for d in open_items(
        request.account_id, on=request.requested_on, bill_id=request.bill_id,
        components=(PRINCIPAL,),
    )})  # fmt: skip
    plan = InstalmentPlan.objects.create(
        request=request, account_id=request.account_id, starts_on=request.requested_on,
        total=total, created_at=timezone.now(),
    )  # fmt: skip
    plan.bills.set(covered)
    Instalment.objects.bulk_create(
        [Instalment(plan=plan, due_on=day, amount=amount) for day, amount in sorted(schedule)]
    )


def _post_plan(request: ApprovalRequest, *, on: dt.date, actor: str) -> list[Entry]:
    """S3: nothing is posted; the plan is kept from now on, which holds its bills out of
    dunning until it is completed or in default."""
    InstalmentPlan.objects.filter(request=request).update(
        status=InstalmentPlan.Status.ACTIVE, status_on=on
    )
    return []


def _close_plan(request: ApprovalRequest, *, on: dt.date, actor: str) -> None:
    InstalmentPlan.objects.filter(request=request).update(
        status=InstalmentPlan.Status.CANCELLED, status_on=on
    )


def _not_for_kind(option: str, kind: str) -> None:
    raise WuyeError(
        "option_not_for_kind",
        f"{option} does not apply to a {kind} request",
        f"{option} 不適用於「{Kind(kind).label}」申請",
    )


@dataclass(frozen=True)
class KindHandler:
    """What a kind checks when requested and again when approved, and what it posts.
    `record` stores the kind's own details at request time (what was given, a schedule);
    `closed` runs when the request is rejected or withdrawn."""

    check: Callable[..., None]
    post: Callable[..., list[Entry]]
    record: Callable[..., None] | None = None
    closed: Callable[..., None] | None = None


HANDLERS: dict[str, KindHandler] = {
    Kind.WAIVER: KindHandler(check=_check_waiver, post=_post_waiver),
    Kind.REDUCTION: KindHandler(check=_check_reduction, post=_post_reduction),
    Kind.WRITE_OFF: KindHandler(check=_check_write_off, post=_post_write_off),
    Kind.GOODWILL: KindHandler(check=_check_nothing, post=_post_nothing, record=_record_goodwill),
    Kind.INSTALMENT_PLAN: KindHandler(
        check=_check_plan, post=_post_plan, record=_record_plan, closed=_close_plan
    ),
}


def _handler(kind: str) -> KindHandler:
    if kind not in Kind.values:
        raise WuyeError(
            "invalid_kind",
            f"kind: '{kind}' is not one of {', '.join(Kind.values)}",
            f"審批類別「{kind}」無效",
        )
    if kind not in HANDLERS:
        raise WuyeError(
            "not_supported",
            f"approval requests of kind '{kind}' are not yet supported (only: "
            f"{', '.join(HANDLERS)})",
            f"暫不支援「{Kind(kind).label}」審批",
        )
    return HANDLERS[kind]


# --- the state machine ----------------------------------------------------------------------


def _check_transition(request: ApprovalRequest, to: str) -> None:
    if to not in TRANSITIONS.get(request.status, set()):
        raise WuyeError(
            "invalid_transition",
            f"approval request {request.number} is {request.status}, it cannot become {to}",
            f"審批申請 {request.number} 狀態為「{Status(request.status).label}」，"
            f"不能改為「{Status(to).label}」",
            status=request.status,
        )


def _transition(
    request: ApprovalRequest, to: str, *, on: dt.date, actor: str, role: str = "", note: str = ""
) -> ApprovalRequest:
    """The one way a request changes status: checks the change is allowed, records it."""
    _check_transition(request, to)
    update: dict = {"status": to}
    if to in (Status.APPROVED, Status.REJECTED):
        update.update(decided_by=actor, decided_role=role, decided_on=on, decision_note=note)
    ApprovalRequest.objects.filter(pk=request.pk).update(**update)
    ApprovalEvent.objects.create(
        request=request, from_status=request.status, to_status=to, on=on, actor=actor,
        role=role, note=note, created_at=timezone.now(),
    )  # fmt: skip
    request.refresh_from_db()
    return request


# --- services -------------------------------------------------------------------------------


def _required(text: str | None, code: str, what: str, what_zh: str) -> str:
    if not text or not text.strip():
        raise WuyeError(code, f"{what} is required", f"須填寫{what_zh}")
    return text.strip()


def _lock_account(account_id: int) -> Account:
    from wuye.dunning.locks import hold_runs_off

    # a run of the project in progress first, as payments do (issue 8, wuye/dunning/locks.py)
    hold_runs_off(Account.objects.filter(pk=account_id).values_list("project_id", flat=True))
    return (
        Account.objects.select_for_update(of=("self",))
        .select_related("project", "unit")
        .get(pk=account_id)
    )


def request_approval(
    *,
    kind: str,
    account: Account,
    amount: Decimal | None,
    reason: str,
    on: dt.date,
    actor: str,
    bill_number: str | None = None,
    given: str = "",
    schedule: list[tuple[dt.date, Decimal]] | None = None,
) -> ApprovalRequest:
    """Ask for an approval (M1, M2, S3): numbered per project and year (HT-A2026-000001),
    checked now (not more than is open; a write-off exactly what is open; a plan's
    schedule at least the open principal) and again when approved; the role that may
    approve it is notified. Nothing is posted until it is approved. Without an amount, a
    write-off takes what is open and an instalment plan its schedule's total."""
    handler = _handler(kind)
    reason = _required(reason, "reason_required", "a reason", "申請原因")
    if (given or schedule) and handler.record is None:
        _not_for_kind("--given" if given else "--schedule", kind)
    with transaction.atomic():
        account = _lock_account(account.pk)
        bill = None
        if bill_number:
            bill = Bill.objects.filter(number=bill_number).first()
            if bill is None:
                raise NotFound("bill", bill_number)
            if bill.account_id != account.pk:
                raise WuyeError(
                    "bill_not_of_account",
                    f"bill {bill_number} belongs to another account than {account.code}",
                    f"帳單 {bill_number} 不屬於帳戶 {account.code}",
                )
            if bill.status != Bill.Status.ISSUED:
                raise WuyeError(
                    "bill_void", f"bill {bill_number} is void", f"帳單 {bill_number} 已作廢"
                )
        if amount is None and kind == Kind.WRITE_OFF:
            amount = write_off_amount(account.pk, on=on, bill_id=bill.pk if bill else None)
        elif amount is None and kind == Kind.INSTALMENT_PLAN and schedule:
            amount = sum((a for _, a in schedule), ZERO)
        if amount is None:
            raise WuyeError("amount_required", "--amount is required", "須填寫金額")
        check_amount(amount)
        handler.check(account=account, bill=bill, amount=amount, on=on)
        project = account.project
        base = numbers.reserve(f"approval:{project.code}:{on.year}")
        request = ApprovalRequest.objects.create(
            number=numbers.format_number(project.code, f"A{on.year}", base + 1, NUMBER_WIDTH),
            project=project, account=account, kind=kind, bill=bill, amount=amount,
            reason=reason, requested_by=actor, requested_on=on, created_at=timezone.now(),
        )  # fmt: skip
        ApprovalEvent.objects.create(
            request=request, from_status="", to_status=Status.REQUESTED, on=on, actor=actor,
            note=reason, created_at=request.created_at,
        )  # fmt: skip
        if handler.record is not None:
            handler.record(request, given=given, schedule=schedule)
        role = approver_role(kind, amount, project_id=project.pk)
        notify(
            role=role, project=project, on=on, approval=request, bill=bill,
            subject=f"待審批 {request.number}：{Kind(kind).label} {fmt(amount)}"
                    f"（{account.unit.code}）",
            body=f"{Kind(kind).label} {fmt(amount)} for {account.code}"
                 + (f", bill {bill.number}" if bill else "")
                 + f"; requested by {actor} on {on}: {reason}",
        )  # fmt: skip
    return request


def get_approval(number: str) -> ApprovalRequest:
    try:
        return ApprovalRequest.objects.select_related("project", "account", "bill").get(
            number=number
        )
    except ApprovalRequest.DoesNotExist:
        raise NotFound("approval request", number) from None


def _locked(number: str) -> ApprovalRequest:
    """The account lock first (as every money-moving service), then the request row."""
    request = get_approval(number)
    _lock_account(request.account_id)
    return (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("project", "account", "bill")
        .get(pk=request.pk)
    )


def _check_decision(request: ApprovalRequest, to: str, *, on: dt.date, actor: str) -> None:
    _check_transition(request, to)
    if actor == request.requested_by:
        raise WuyeError(
            "own_request",
            f"{actor} requested {request.number} and may not decide it",
            f"{actor} 為 {request.number} 的申請人，不得自行審批",
        )
    if on < request.requested_on:
        raise WuyeError(
            "invalid_date",
            f"--on: {on} is before the request ({request.requested_on})",
            f"日期 {on} 早於申請日 {request.requested_on}",
        )


def approve(number: str, *, on: dt.date, actor: str, role: str, note: str = "") -> ApprovalRequest:
    """Approve a request and post what it allows, in one transaction (M1, S3, L1): the
    role must be allowed to approve its kind and amount, the requester never approves
    their own request, and the amount is checked again against what is open now."""
    _check_role(role)
    with transaction.atomic():
        request = _locked(number)
        _check_decision(request, Status.APPROVED, on=on, actor=actor)
        if not may_approve(role, request.kind, request.amount, project_id=request.project_id):
            needed = approver_role(request.kind, request.amount, project_id=request.project_id)
            raise WuyeError(
                "not_authorised",
                f"a {role} may not approve {request.number} "
                f"({request.kind} {fmt(request.amount)}): it needs a {needed}",
                f"{Role(role).label}無權審批 {request.number}"
                f"（{Kind(request.kind).label} {fmt(request.amount)}），須由{Role(needed).label}審批",
                needs=needed,
            )
        handler = _handler(request.kind)
        if request.bill_id and request.bill.status != Bill.Status.ISSUED:
            raise WuyeError(
                "bill_void",
                f"bill {request.bill.number} is void",
                f"帳單 {request.bill.number} 已作廢",
            )
        handler.check(account=request.account, bill=request.bill, amount=request.amount, on=on)
        entries = handler.post(request, on=on, actor=actor)
        _transition(request, Status.APPROVED, on=on, actor=actor, role=role, note=note.strip())
        request.entries.add(*entries)
        debts_changed({request.account_id: on}, actor=actor)  # F1: notices state the new amounts
    return request


def reject(number: str, *, on: dt.date, actor: str, role: str, note: str) -> ApprovalRequest:
    """Reject a request with a reason; nothing is posted. Any approver role may reject;
    the requester withdraws instead."""
    _check_role(role)
    note = _required(note, "note_required", "a note (why it is rejected)", "駁回原因")
    with transaction.atomic():
        request = _locked(number)
        _check_decision(request, Status.REJECTED, on=on, actor=actor)
        _closed(request, on=on, actor=actor)
        return _transition(request, Status.REJECTED, on=on, actor=actor, role=role, note=note)


def withdraw(number: str, *, on: dt.date, actor: str, note: str = "") -> ApprovalRequest:
    """The requester takes back a request that is not decided yet."""
    with transaction.atomic():
        request = _locked(number)
        _check_transition(request, Status.WITHDRAWN)
        if on < request.requested_on:
            raise WuyeError(
                "invalid_date",
                f"--on: {on} is before the request ({request.requested_on})",
                f"日期 {on} 早於申請日 {request.requested_on}",
            )
        if actor != request.requested_by:
            raise WuyeError(
                "not_requester",
                f"only {request.requested_by}, who requested {request.number}, may withdraw it",
                f"僅申請人 {request.requested_by} 可撤回 {request.number}",
            )
        _closed(request, on=on, actor=actor)
        return _transition(request, Status.WITHDRAWN, on=on, actor=actor, note=note.strip())


def _closed(request: ApprovalRequest, *, on: dt.date, actor: str) -> None:
    handler = HANDLERS.get(request.kind)
    if handler is not None and handler.closed is not None:
        handler.closed(request, on=on, actor=actor)


def check_instalment_plans(*, as_of: dt.date, actor: str) -> dict[str, list[str]]:
    """S3: record each kept plan's state on `as_of`: in default once an instalment is
    still unpaid `instalment_grace_days` after its due date (the supervisor is told),
    completed once paid in full. Idempotent; dunning does not depend on it (it computes
    the state for its own date)."""
    result: dict[str, list[str]] = {"defaulted": [], "completed": [], "kept": []}
    with transaction.atomic():
        plans = list(
            approved_plans(as_of)
            .filter(status=InstalmentPlan.Status.ACTIVE)
            .select_related("request", "request__project", "account__unit")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        states = plan_states(plans, as_of=as_of)
        for plan in plans:
            state = states[plan.pk]
            number = plan.request.number
            if state.status == ACTIVE:
                result["kept"].append(number)
                continue
            InstalmentPlan.objects.filter(pk=plan.pk).update(status=state.status,
                                                             status_on=state.since)  # fmt: skip
            result[state.status].append(number)
            if state.status == InstalmentPlan.Status.DEFAULTED:
                notify(
                    role=Role.SUPERVISOR, project=plan.request.project, on=as_of,
                    approval=plan.request,
                    subject=f"分期付款違約 {number}（{plan.account.unit.code}）",
                    body=f"instalment due {state.missed} not paid by {state.since} "
                         f"(S3 grace); paid {fmt(state.paid)} of {fmt(plan.total)}; "
                         f"dunning resumes",
                )  # fmt: skip
    return result
