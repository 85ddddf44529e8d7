"""Rule P1: which debts a payment (or an account credit) pays, pure and Django-free.

Default order (《民法典》 art. 560–561, RULES.md P1):
1. the bill the payer designates;
2. otherwise debts already due before those not yet due; among them the oldest first
   (security and burden are equal for property fees);
3. the fee items of one bill are equal in all of these, so they share pro rata to
   their open amounts (largest-remainder in 分, so the shares add up exactly);
4. within one debt (a bill line): late fee before principal, unless the contract
   chose principal first.
What is left after every debt is paid stays unallocated: the account's credit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import groupby

from wuye.money import CENT, ZERO, floor_cents

LATE_FEE = "late_fee"
PRINCIPAL = "principal"


@dataclass(frozen=True)
class Debt:
    """What is still open of one component of one bill line."""

    bill_id: int
    bill_line_id: int
    fee_item_id: int
    component: str
    open: Decimal
    due_date: dt.date | None
    period_start: dt.date


@dataclass(frozen=True)
class Allocation:
    bill_id: int
    bill_line_id: int
    fee_item_id: int
    component: str
    amount: Decimal


def _bill_order(debts: list[Debt], on: dt.date, designated_bill_id: int | None):
    def key(debt: Debt):
        designated = 0 if debt.bill_id == designated_bill_id else 1
        is_due = debt.due_date is not None and debt.due_date <= on
        return (
            designated,
            0 if is_due else 1,
            debt.due_date or dt.date.max,
            debt.period_start,
            debt.bill_id,
        )

    return sorted(debts, key=lambda d: (*key(d), d.bill_line_id))


def pro_rata(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `amount` (≤ sum of weights) in proportion to weights, exact to the 分.

    Each share is first rounded down, then the remaining 分 go one each to the shares
    with the largest remainders (earlier shares first on ties). No share exceeds its
    weight when weights are whole 分."""
    total = sum(weights, ZERO)
    if amount >= total:
        return list(weights)
    exact = [amount * w / total for w in weights]
    shares = [floor_cents(x) for x in exact]
    left = int((amount - sum(shares, ZERO)) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += CENT
    return shares


def allocate(
    amount: Decimal,
    debts: list[Debt],
    *,
    on: dt.date,
    designated_bill_id: int | None = None,
    late_fee_first: bool = True,
) -> tuple[list[Allocation], Decimal]:
    """Allocate `amount` to `debts` by rule P1; returns the allocations and the rest."""
    remaining = amount
    result: list[Allocation] = []
    open_debts = [d for d in debts if d.open > 0]
    ordered = _bill_order(open_debts, on, designated_bill_id)
    component_rank = {LATE_FEE: 0, PRINCIPAL: 1} if late_fee_first else {PRINCIPAL: 0, LATE_FEE: 1}
    for _bill_id, bill_debts in groupby(ordered, key=lambda d: d.bill_id):
        if remaining <= 0:
            break
        bill_debts = list(bill_debts)
        lines: dict[int, list[Debt]] = {}
        for debt in bill_debts:
            lines.setdefault(debt.bill_line_id, []).append(debt)
        line_ids = sorted(lines)
        line_open = [sum((d.open for d in lines[i]), ZERO) for i in line_ids]
        shares = pro_rata(remaining, line_open)
        for line_id, share in zip(line_ids, shares, strict=True):
            for debt in sorted(lines[line_id], key=lambda d: component_rank[d.component]):
                if share <= 0:
                    break
                paid = min(share, debt.open)
                result.append(
                    Allocation(debt.bill_id, line_id, debt.fee_item_id, debt.component, paid)
                )
                share -= paid
                remaining -= paid
    return result, remaining


def split_payment(
    amount: Decimal,
    debts: list[Debt],
    *,
    on: dt.date,
    debit: Decimal = ZERO,
    designated_bill_id: int | None = None,
    late_fee_first: bool = True,
) -> tuple[Decimal, list[Allocation], Decimal]:
    """How one payment is booked (P1): first any unallocated debit a reversed payment left
    (money owed outside any bill), then the debts by `allocate`, then the rest as credit.
    Returns (debit settled, allocations, credit)."""
    settle = min(debit, amount) if debit > 0 else ZERO
    allocations, rest = allocate(
        amount - settle,
        debts,
        on=on,
        designated_bill_id=designated_bill_id,
        late_fee_first=late_fee_first,
    )
    return settle, allocations, rest


def after_allocations(debts: list[Debt], allocations: list[Allocation]) -> list[Debt]:
    """The debts left open after `allocations` (for applying several payments in turn)."""
    paid: dict[tuple[int, str], Decimal] = {}
    for a in allocations:
        paid[(a.bill_line_id, a.component)] = (
            paid.get((a.bill_line_id, a.component), ZERO) + a.amount
        )
    result = []
    for d in debts:
        left = d.open - paid.get((d.bill_line_id, d.component), ZERO)
        if left > 0:
            result.append(replace(d, open=left))
    return result
