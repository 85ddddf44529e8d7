"""Reads of the legal stage: the claim of a case (X3, X6), whether its debtor can be
served (X3), and its evidence (bills, notices, contacts, calls, promises, visits)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from wuye.billing.disputes import disputed_bills
from wuye.billing.models import Bill, Contract
from wuye.collection.models import Call, Promise, Visit
from wuye.dunning.models import Contact, Notice
from wuye.dunning.selectors import contract_terms
from wuye.errors import NotFound
from wuye.ledger.allocation import PRINCIPAL
from wuye.ledger.models import Entry
from wuye.ledger.selectors import open_debts
from wuye.legal.lpr import lpr_figure
from wuye.legal.models import LegalCase, LprRate, Stage
from wuye.money import ZERO
from wuye.policies.selectors import policy

#: contact results that show the owner was reached: a signature, a proven delivery, a call
#: or visit that reached them (X3: such an owner can be served)
REACHED = (
    Contact.Result.SIGNED,
    Contact.Result.COURIER_DELIVERED,
    Contact.Result.REACHED,
)


def get_case(number: str) -> LegalCase:
    try:
        return LegalCase.objects.select_related(
            "project__organisation", "account__unit", "customer", "approval", "notice__step"
        ).get(number=number)
    except LegalCase.DoesNotExist:
        raise NotFound("legal case", number) from None


def list_cases(*, stage: str | None = None, project_code: str | None = None):
    cases = LegalCase.objects.select_related("account__unit", "customer", "approval")
    if stage:
        cases = cases.filter(stage=stage)
    if project_code:
        cases = cases.filter(project__code=project_code)
    return cases.order_by("number")


def segment_of(account_id: int, on: dt.date) -> str:
    return contract_terms([account_id], on).get(account_id, ("", ""))[0]


def unserviceable_reason(case: LegalCase, *, as_of: dt.date) -> str:
    """X3: why the debtor cannot be served (empty: they can). Marked by staff, or an S1
    vacant investment unit whose owner was never reached (no signature, no proven
    delivery, no call or visit that reached them)."""
    if case.unserviceable_reason:
        return case.unserviceable_reason
    if segment_of(case.account_id, as_of) == Contract.Segment.VACANT_INVESTMENT:
        reached = Contact.objects.filter(
            account_id=case.account_id, on__lte=as_of, result__in=REACHED
        ).exists()
        if not reached:
            return "S1 vacant investment unit: the owner was never reached (業主從未聯絡上)"
    return ""


def lpr_rates() -> list[tuple[dt.date, Decimal]]:
    return list(LprRate.objects.values_list("effective_from", "rate"))


def claim(case: LegalCase, *, as_of: dt.date) -> dict:
    """X3/X6: per bill due before `as_of` and open on it, the principal; the contract's
    late fee (open in the ledger) only where the bill's contract has the clause; beside
    it the LPR figure per stretch (X6). Disputed bills are listed apart, never claimed."""
    account_id = case.account_id
    debts = [
        d
        for d in open_debts([account_id], as_of=as_of).get(account_id, [])
        if d.due_date is not None and d.due_date < as_of
    ]
    disputed = set(disputed_bills(as_of).values_list("bill_id", flat=True))
    bills = {
        b.pk: b
        for b in Bill.objects.filter(
            pk__in={d.bill_id for d in debts}, status=Bill.Status.ISSUED
        ).select_related("contract")
    }
    principal: dict[int, Decimal] = defaultdict(lambda: ZERO)
    late_fee: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for d in debts:
        if d.bill_id in bills:
            (principal if d.component == PRINCIPAL else late_fee)[d.bill_id] += d.open
    changes: dict[int, list] = defaultdict(list)
    for bill_id, day, amount in Entry.objects.filter(
        bill_id__in=list(principal), component=PRINCIPAL, value_date__lte=as_of
    ).values_list("bill_id", "value_date", "amount"):
        changes[bill_id].append((day, amount))
    rates = lpr_rates()
    segment = segment_of(account_id, as_of)
    multiplier = policy("lpr_multiplier", project_id=case.project_id, segment=segment)
    basis = policy("lpr_day_basis", project_id=case.project_id, segment=segment)
    lines, held = [], []
    for bill_id in sorted(principal, key=lambda b: (bills[b].period_start, b)):
        bill = bills[bill_id]
        contract = bill.contract
        clause = bool(contract and contract.late_fee_clause and contract.late_fee_rate)
        line = {
            "bill": bill.number,
            "period_start": bill.period_start,
            "period_end": bill.period_end,
            "due_date": bill.due_date,
            "principal": principal[bill_id],
            "late_fee_clause": clause,
            "late_fee_rate": contract.late_fee_rate if clause else None,
            # X3: a late-fee claim needs the contract's clause
            "late_fee": late_fee[bill_id] if clause else ZERO,
            "lpr_figure": lpr_figure(
                due_date=bill.due_date, as_of=as_of, principal_changes=changes[bill_id],
                rates=rates, multiplier=multiplier, day_basis=basis,
            ),
        }  # fmt: skip
        (held if bill_id in disputed else lines).append(line)
    total_principal = sum((x["principal"] for x in lines), ZERO)
    total_fee = sum((x["late_fee"] for x in lines), ZERO)
    return {
        "as_of": as_of,
        "lines": lines,
        "disputed": held,
        "principal": total_principal,
        "late_fee": total_fee,
        "lpr_figure": sum((x["lpr_figure"] for x in lines), ZERO),
        "claimed": total_principal + total_fee,
        "lpr_multiplier": multiplier,
    }


def evidence(case: LegalCase, *, as_of: dt.date) -> dict:
    """X3: the case file: bills, notices (signed, posted, couriered), contacts, calls,
    promises and visits of the account up to `as_of`."""
    account_id = case.account_id
    notices = (
        Notice.objects.filter(Q(account_id=account_id) | Q(lines__bill__account_id=account_id))
        .filter(issued_on__lte=as_of)
        .select_related("step")
        .distinct()
        .order_by("issued_on", "number")
    )
    calls = Call.objects.filter(account_id=account_id, on__lte=as_of).order_by("on", "pk")
    return {
        "bills": list(
            Bill.objects.filter(account_id=account_id, issue_date__lte=as_of)
            .order_by("period_start", "number")
            .values("number", "status", "period_start", "due_date", "total")
        ),
        "notices": [
            {
                "number": n.number,
                "step": n.step.name,
                "action": n.action,
                "issued_on": n.issued_on,
                "status": n.status,
                "delivered_on": n.delivered_on,
                "signer": n.signer or None,
                "signer_relation": n.signer_relation or None,
                "posted_on": n.posted_on,
                "carrier": n.carrier or None,
                "tracking": n.tracking_number or None,
                "posting_place": n.posting_place or None,
                "photo_ref": n.photo_ref or None,
                "total": n.total,
            }
            for n in notices
        ],
        "contacts": list(
            Contact.objects.filter(account_id=account_id, on__lte=as_of)
            .order_by("on", "pk")
            .values("on", "channel", "result", "signer", "signer_relation", "staff", "note")
        ),
        "calls": [
            {
                "on": c.on,
                "staff": c.staff,
                "reason": c.reason,
                "amount_stated": c.amount_stated,
                "outcome": c.outcome,
            }
            for c in calls
        ],
        "promises": list(
            Promise.objects.filter(account_id=account_id, made_on__lte=as_of)
            .order_by("made_on", "pk")
            .values("made_on", "promised_on", "amount", "status")
        ),
        "visits": list(
            Visit.objects.filter(account_id=account_id, on__lte=as_of)
            .order_by("on", "pk")
            .values("on", "staff", "outcome", "reason")
        ),
    }


def case_dict(case: LegalCase, *, as_of: dt.date | None = None, full: bool = False) -> dict:
    data = {
        "number": case.number,
        "project": case.project.code,
        "unit": case.account.unit.code,
        "account": case.account.code,
        "customer": case.customer.name,
        "source": case.source,
        "notice": case.notice.number if case.notice_id else None,
        "opened_on": case.opened_on,
        "reason": case.reason,
        "arrears_at_opening": case.arrears_at_opening,
        "stage": case.stage,
        "stage_label": Stage(case.stage).label,
        "stage_on": case.stage_on,
        "approval": case.approval.number if case.approval_id else None,
        "approval_status": case.approval.status if case.approval_id else None,
        "letter_sent_on": case.letter_sent_on,
        "letter_tracking": case.letter_tracking or None,
        "outcome": case.outcome or None,
        "closed_on": case.closed_on,
    }
    if full:
        on = as_of or case.stage_on
        data["unserviceable"] = unserviceable_reason(case, as_of=on) or None
        data["claim"] = claim(case, as_of=on)
        data["evidence"] = evidence(case, as_of=on)
        data["events"] = list(
            case.events.order_by("pk").values(
                "from_stage", "to_stage", "on", "actor", "note", "tracking"
            )
        )
    return data
