"""The legal stage (rules R5, M3, S1, S2b, X3, X7): open cases from the legal escalations
of the dunning policies or from the S1 batch, have their lawyer letters approved by a
manager (wuye.approvals, kind `lawyer_letter`), and move each case through its stages
with one transition function that writes a `LegalEvent` per change.

Stages: proposed → letter_approved → letter_sent → [owners_committee (X7)] →
payment_order | lawsuit → closed. A debtor who cannot be served goes to a lawsuit, never
a payment order (X3); a disputed debt gets no payment order either.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from wuye.approvals.models import ApprovalRequest
from wuye.approvals.services import request_approval
from wuye.billing import numbers
from wuye.billing.disputes import disputed_bills
from wuye.dunning.models import Action, Notice
from wuye.dunning.selectors import arrears_by_account, contract_terms
from wuye.errors import NotFound, WuyeError
from wuye.legal import selectors as sel
from wuye.legal.models import LegalCase, LegalEvent, Stage
from wuye.money import ZERO, fmt
from wuye.policies.selectors import policy
from wuye.properties.models import Account, Project

#: the steps of the shipped policies (dunning/0005) that propose the legal stage: R5 for
#: residential units, S2b for shops and villas (the S1 step is the batch below)
LEGAL_STEP_CODES = ("r5_legal", "s2b_legal")
NUMBER_WIDTH = 6

#: stage → the stages it may change to (one state machine, STYLE: oscar)
TRANSITIONS = {
    Stage.PROPOSED: {Stage.LETTER_APPROVED, Stage.CLOSED},
    Stage.LETTER_APPROVED: {Stage.LETTER_SENT, Stage.CLOSED},
    Stage.LETTER_SENT: {Stage.OWNERS_COMMITTEE, Stage.PAYMENT_ORDER, Stage.LAWSUIT, Stage.CLOSED},
    Stage.OWNERS_COMMITTEE: {Stage.PAYMENT_ORDER, Stage.LAWSUIT, Stage.CLOSED},
    # X3: an objection to the payment order moves the case to ordinary litigation
    Stage.PAYMENT_ORDER: {Stage.LAWSUIT, Stage.CLOSED},
    Stage.LAWSUIT: {Stage.CLOSED},
}


def _project(code: str) -> Project:
    project = Project.objects.filter(code=code).first()
    if project is None:
        raise NotFound("project", code)
    return project


def _transition(
    case: LegalCase, to: str, *, on: dt.date, actor: str, note: str = "", tracking: str = "",
    **fields,
) -> LegalCase:  # fmt: skip
    """The one way a case changes stage: checks the change is allowed, records it."""
    if to not in TRANSITIONS.get(case.stage, set()):
        raise WuyeError(
            "invalid_transition",
            f"legal case {case.number} is {case.stage}, it cannot become {to}",
            f"法律案件 {case.number} 目前為「{Stage(case.stage).label}」，不能改為「{Stage(to).label}」",
            stage=case.stage,
        )
    if on < case.stage_on:
        raise WuyeError(
            "invalid_date",
            f"--on: {on} is before the case's last change ({case.stage_on})",
            f"日期 {on} 早於案件上次變更（{case.stage_on}）",
        )
    LegalCase.objects.filter(pk=case.pk).update(stage=to, stage_on=on, **fields)
    LegalEvent.objects.create(
        case=case, from_stage=case.stage, to_stage=to, on=on, actor=actor, note=note[:500],
        tracking=tracking, created_at=timezone.now(),
    )  # fmt: skip
    case.refresh_from_db()
    return case


def _open_case(
    *, account: Account, source: str, on: dt.date, actor: str, reason: str, arrears: Decimal,
    notice: Notice | None = None,
) -> LegalCase:  # fmt: skip
    project = account.project
    base = numbers.reserve(f"legal:{project.code}:{on.year}")
    case = LegalCase.objects.create(
        number=numbers.format_number(project.code, f"L{on.year}", base + 1, NUMBER_WIDTH),
        project=project, account=account, customer=account.customer, source=source,
        notice=notice, opened_on=on, reason=reason[:500], arrears_at_opening=arrears,
        stage=Stage.PROPOSED, stage_on=on, opened_by=actor, created_at=timezone.now(),
    )  # fmt: skip
    LegalEvent.objects.create(
        case=case, from_stage="", to_stage=Stage.PROPOSED, on=on, actor=actor,
        note=reason[:500], created_at=case.created_at,
    )  # fmt: skip
    return case


def propose_cases(*, as_of: dt.date, actor: str, project_code: str | None = None) -> list:
    """R5, S2b, M3: every open legal escalation (steps r5_legal, s2b_legal) issued by
    `as_of` becomes a proposed case for its lead account, once (a rerun adds nothing; an
    account with an open case gets no second one)."""
    notices = Notice.objects.filter(
        action=Action.ESCALATION, step__code__in=LEGAL_STEP_CODES, status=Notice.Status.OPEN,
        issued_on__lte=as_of, legal_case__isnull=True,
    ).select_related("account__project", "account__customer", "step")  # fmt: skip
    if project_code:
        notices = notices.filter(project=_project(project_code))
    created = []
    with transaction.atomic():
        for notice in notices.order_by("issued_on", "number"):
            if LegalCase.objects.filter(account=notice.account, closed_on__isnull=True).exists():
                continue
            created.append(
                _open_case(
                    account=notice.account,
                    source=LegalCase.Source.ESCALATION,
                    on=as_of,
                    actor=actor,
                    notice=notice,
                    arrears=notice.principal,
                    reason=f"{notice.step.name} {notice.number}（{notice.issued_on}）："
                    f"欠費 {fmt(notice.principal)}",
                )
            )
    return created


def _pending(case: LegalCase) -> bool:
    return bool(case.approval_id and case.approval.status == ApprovalRequest.Status.REQUESTED)


def _current_arrears(cases: list[LegalCase], on: dt.date) -> dict[int, Decimal]:
    per_account = arrears_by_account(
        as_of=on, project_ids=list({c.project_id for c in cases}),
        account_ids=[c.account_id for c in cases],
    )  # fmt: skip
    return {
        c.account_id: per_account[c.account_id].arrears
        for c in cases
        if c.account_id in per_account
    }


def request_lawyer_letters(
    *, case_numbers: list[str], on: dt.date, actor: str, reason: str = ""
) -> ApprovalRequest:
    """R5/S1: ONE approval request (kind lawyer_letter, for a manager) for the lawyer
    letters of proposed cases of one project. The request names the first case's
    account and the total arrears; the cases link to it (`LegalCase.approval`)."""
    if not case_numbers:
        raise WuyeError("no_cases", "no legal cases given", "未指定法律案件")
    with transaction.atomic():
        cases = [sel.get_case(n) for n in case_numbers]
        if len({c.project_id for c in cases}) > 1:
            raise WuyeError(
                "several_projects", "one request covers cases of one project", "一次申請限同一項目"
            )
        for case in cases:
            if case.stage != Stage.PROPOSED or _pending(case):
                raise WuyeError(
                    "not_proposed",
                    f"legal case {case.number} is {case.stage}"
                    + (f", waiting for {case.approval.number}" if _pending(case) else "")
                    + "; only a proposed case without a pending request can be asked for",
                    f"法律案件 {case.number} 不是待申請的建議案件",
                )
        arrears = _current_arrears(cases, on)
        unpaid = [c.number for c in cases if arrears.get(c.account_id, ZERO) <= 0]
        if unpaid:
            raise WuyeError(
                "no_arrears",
                f"no arrears any more on {on}: {', '.join(unpaid)} (close the case instead)",
                f"{on} 已無欠費：{'、'.join(unpaid)}（請結案）",
            )
        total = sum((arrears[c.account_id] for c in cases), ZERO)
        units = "、".join(c.account.unit.code for c in cases)
        text = reason.strip() or "律師函"
        request = request_approval(
            kind=ApprovalRequest.Kind.LAWYER_LETTER, account=cases[0].account, amount=total,
            on=on, actor=actor,
            reason=f"{text}: batch of {len(cases)} accounts, arrears {fmt(total)} ({units})"[:500],
        )  # fmt: skip
        LegalCase.objects.filter(pk__in=[c.pk for c in cases]).update(approval=request)
    return request


def propose_lawyer_letter_batch(
    *, as_of: dt.date, project_code: str, actor: str, segment: str = "vacant_investment",
    threshold: Decimal | None = None,
) -> dict:  # fmt: skip
    """S1: every account of the segment (vacant investment units) whose arrears reach
    the threshold (policy `s1_lawyer_letter_threshold`, 3,000) gets a proposed case, and
    all of them go into ONE lawyer-letter approval for a manager. Accounts with a case
    that is further on, or already waiting for an approval, are left as they are."""
    project = _project(project_code)
    if threshold is None:
        threshold = policy("s1_lawyer_letter_threshold", project_id=project.pk, segment=segment)
    with transaction.atomic():
        account_ids = list(Account.objects.filter(project=project).values_list("pk", flat=True))
        terms = contract_terms(account_ids, as_of)
        in_segment = [a for a, (seg, _) in terms.items() if seg == segment]
        arrears = arrears_by_account(as_of=as_of, project_ids=[project.pk], account_ids=in_segment)
        due = sorted(a for a, item in arrears.items() if item.arrears >= threshold)  # "reaches": ≥
        cases = []
        for account in Account.objects.filter(pk__in=due).select_related("project", "customer"):
            case = (
                LegalCase.objects.filter(account=account, closed_on__isnull=True)
                .select_related("approval")
                .first()
            )
            if case is None:
                case = _open_case(
                    account=account, source=LegalCase.Source.S1_BATCH, on=as_of, actor=actor,
                    arrears=arrears[account.pk].arrears,
                    reason=f"S1 空置投資單位欠費達 {fmt(threshold)}：{fmt(arrears[account.pk].arrears)}",
                )  # fmt: skip
            elif case.stage != Stage.PROPOSED or _pending(case):
                continue
            cases.append(case)
        if not cases:
            raise WuyeError(
                "no_accounts",
                f"no {segment} account of {project.code} without a lawyer letter has arrears "
                f"reaching {fmt(threshold)} on {as_of}",
                f"{project.code} {as_of} 沒有欠費達 {fmt(threshold)} 而未發律師函的{segment}單位",
            )
        request = request_lawyer_letters(
            case_numbers=[c.number for c in cases], on=as_of, actor=actor,
            reason="S1 律師函批量審批",
        )  # fmt: skip
    return {"approval": request, "cases": [sel.get_case(c.number) for c in cases]}


# --- the approvals handler (registered in LegalConfig.ready) ---------------------------


def check_lawyer_letter(*, account, bill, amount: Decimal, on: dt.date) -> None:
    """A lawyer letter moves no money; it is asked for through `wuye legal` (request or
    batch), for an account with a proposed case. The linked cases are checked again when
    the approval posts."""
    if not LegalCase.objects.filter(
        account=account, stage=Stage.PROPOSED, closed_on__isnull=True
    ).exists():
        raise WuyeError(
            "no_legal_case",
            f"account {account.code} has no proposed legal case: ask for lawyer letters with "
            "wuye legal request CASE… or wuye legal batch",
            f"帳戶 {account.code} 沒有建議中的法律案件：請用 wuye legal request 或 wuye legal batch",
        )


def post_lawyer_letter(request: ApprovalRequest, *, on: dt.date, actor: str) -> list:
    """On the manager's approval: every linked case moves to letter_approved. No ledger
    entries."""
    cases = list(LegalCase.objects.select_for_update().filter(approval=request).order_by("pk"))
    if not cases:
        raise WuyeError(
            "no_cases",
            f"approval request {request.number} has no legal cases",
            f"審批申請 {request.number} 沒有關聯的法律案件",
        )
    for case in cases:
        _transition(
            case, Stage.LETTER_APPROVED, on=on, actor=actor, note=f"approved {request.number}"
        )
    return []


# --- stage changes ---------------------------------------------------------------------


def record_letter_delivery(*, number: str, on: dt.date, actor: str) -> LegalCase:
    """X2: the carrier's proof that the lawyer letter reached the debtor restarts the
    limitation period of the account's due bills (a demand that reached the debtor)."""
    with transaction.atomic():
        case = _locked(number)
        if case.letter_sent_on is None:
            raise WuyeError(
                "letter_not_sent", f"case {number}: the letter was not sent",
                f"案件 {number} 的律師函尚未寄出",
            )  # fmt: skip
        if on < case.letter_sent_on:
            raise WuyeError(
                "invalid_date", f"--on: {on} is before the posting ({case.letter_sent_on})",
                f"送達日 {on} 早於寄出日 {case.letter_sent_on}",
            )  # fmt: skip
        LegalCase.objects.filter(pk=case.pk).update(letter_delivered_on=on)
        LegalEvent.objects.create(
            case=case, from_stage=case.stage, to_stage=case.stage, on=on, actor=actor,
            note="letter delivered (X2)", tracking=case.letter_tracking,
            created_at=timezone.now(),
        )  # fmt: skip
        case.refresh_from_db()
    return case


def _locked(number: str) -> LegalCase:
    case = sel.get_case(number)
    return (
        LegalCase.objects.select_for_update(of=("self",)).select_related("approval").get(pk=case.pk)
    )


def check_payment_order(case: LegalCase, *, as_of: dt.date) -> None:
    """X3: a payment order only against a debtor who can be served, for a debt that is
    due, fixed and undisputed."""
    why = sel.unserviceable_reason(case, as_of=as_of)
    if why:
        raise WuyeError(
            "unserviceable",
            f"legal case {case.number}: the debtor cannot be served ({why}); a payment order "
            "needs service, so go to a lawsuit (X3)",
            f"法律案件 {case.number}：債務人無法送達（{why}），不能申請支付令，請改為起訴（X3）",
        )
    disputed = list(
        disputed_bills(as_of)
        .filter(bill__account_id=case.account_id)
        .values_list("bill__number", flat=True)
    )
    if disputed:
        raise WuyeError(
            "disputed",
            f"legal case {case.number}: bills {', '.join(disputed)} are disputed; a payment "
            "order needs an undisputed debt (X3)",
            f"法律案件 {case.number}：帳單 {'、'.join(disputed)} 有異議，不能申請支付令（X3）",
        )


def advance_case(
    *, number: str, to: str, on: dt.date, actor: str, note: str = "", tracking: str = "",
    carrier: str = "EMS",
) -> LegalCase:  # fmt: skip
    """Move a case to its next stage (R5, X3, X7). letter_approved comes only from a
    manager's approval; letter_sent needs the delivery evidence (EMS tracking); a
    payment order needs a debtor who can be served and an undisputed debt (X3); closing
    needs the outcome (the note)."""
    if to not in Stage.values:
        raise WuyeError(
            "invalid_stage",
            f"--to: '{to}' is not one of {', '.join(Stage.values)}",
            f"--to：「{to}」不是有效的階段",
        )
    if to == Stage.LETTER_APPROVED:
        raise WuyeError(
            "needs_approval",
            "a lawyer letter is approved by a manager: wuye approvals approve NUMBER --role manager",
            "律師函須由經理審批（wuye approvals approve）",
        )
    with transaction.atomic():
        case = _locked(number)
        fields: dict = {}
        if to == Stage.LETTER_SENT:
            if not tracking.strip():
                raise WuyeError(
                    "tracking_required",
                    "--tracking: the EMS tracking number is the letter's delivery evidence",
                    "須填寫 EMS 郵件號碼（送達證據）",
                )
            fields.update(
                letter_sent_on=on, letter_carrier=carrier.strip(), letter_tracking=tracking.strip()
            )
        if to == Stage.PAYMENT_ORDER:
            check_payment_order(case, as_of=on)
        if to == Stage.CLOSED:
            if not note.strip():
                raise WuyeError(
                    "outcome_required", "--note: the outcome of the case", "須填寫結案結果"
                )
            fields.update(outcome=note.strip()[:500], closed_on=on)
        return _transition(
            case, to, on=on, actor=actor, note=note.strip(), tracking=tracking.strip(), **fields
        )


def mark_unserviceable(*, number: str, reason: str, on: dt.date, actor: str) -> LegalCase:
    """X3: the owner cannot be served (absent, unreachable): no payment order, a lawsuit."""
    if not reason.strip():
        raise WuyeError("reason_required", "a reason is required", "須填寫原因")
    with transaction.atomic():
        case = _locked(number)
        LegalCase.objects.filter(pk=case.pk).update(unserviceable_reason=reason.strip()[:300])
        LegalEvent.objects.create(
            case=case, from_stage=case.stage, to_stage=case.stage, on=on, actor=actor,
            note=f"unserviceable: {reason.strip()}"[:500], created_at=timezone.now(),
        )  # fmt: skip
        case.refresh_from_db()
    return case


def payment_order_data(case: LegalCase, *, as_of: dt.date) -> dict:
    """X3: what an application for a payment order (支付令, 《民事訴訟法》 arts. 225–228)
    needs: creditor, debtor, the debt per period (due, fixed, undisputed), the late fee
    only where the contract has the clause, the amount claimed and the evidence.
    Refused for a debtor who cannot be served or a disputed debt."""
    check_payment_order(case, as_of=as_of)
    claim = sel.claim(case, as_of=as_of)
    if claim["claimed"] <= 0:
        raise WuyeError(
            "no_arrears",
            f"legal case {case.number}: nothing is due on {as_of}",
            f"法律案件 {case.number}：{as_of} 無到期欠款",
        )
    project, customer, unit = case.project, case.customer, case.account.unit
    return {
        "case": case.number,
        "as_of": as_of,
        "creditor": {
            "name": project.organisation.name,
            "project": project.name,
            "address": project.address,
            "phone": project.phone,
        },
        "debtor": {
            "name": customer.name,
            "address": customer.mailing_address or f"{project.address} {unit.code}".strip(),
            "phone": customer.phone,
            "unit": unit.code,
        },
        "debts": [
            {
                k: line[k]
                for k in (
                    "bill",
                    "period_start",
                    "period_end",
                    "due_date",
                    "principal",
                    "late_fee_clause",
                    "late_fee",
                )
            }
            for line in claim["lines"]
        ],
        "principal": claim["principal"],
        "late_fee": claim["late_fee"],
        "amount_claimed": claim["claimed"],
        "lpr_figure": claim["lpr_figure"],
        "evidence": sel.evidence(case, as_of=as_of),
    }
