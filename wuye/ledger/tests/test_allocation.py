"""Rule P1 allocation as a pure function: no database, no clock.

`allocate` decides which debts (bill line components) a payment pays; `pro_rata` splits
one amount over the lines of a bill, exact to the 分.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from wuye.ledger.allocation import LATE_FEE, PRINCIPAL, Allocation, Debt, allocate, pro_rata

D = Decimal
PAID_ON = dt.date(2026, 3, 15)


def debt(
    bill: int,
    line: int,
    open_: str,
    *,
    component: str = PRINCIPAL,
    due: dt.date | None = None,
    period: dt.date = dt.date(2026, 1, 1),
    fee_item: int | None = None,
) -> Debt:
    return Debt(
        bill_id=bill,
        bill_line_id=line,
        fee_item_id=fee_item if fee_item is not None else line,
        component=component,
        open=D(open_),
        due_date=due,
        period_start=period,
    )


def paid(allocations: list[Allocation]) -> dict[tuple[int, str], Decimal]:
    """What each (bill line, component) received."""
    result: dict[tuple[int, str], Decimal] = defaultdict(lambda: D("0.00"))
    for a in allocations:
        result[(a.bill_line_id, a.component)] += a.amount
    return dict(result)


def bills_paid(allocations: list[Allocation]) -> list[int]:
    """The bills in the order the payment reached them."""
    order: list[int] = []
    for a in allocations:
        if a.bill_id not in order:
            order.append(a.bill_id)
    return order


# --- order between bills ---------------------------------------------------------------


def test_oldest_bill_is_paid_first():
    """P1: given two due bills, when a payment covers only one, then the older one is paid."""
    debts = [
        debt(2, 20, "300.00", due=dt.date(2026, 2, 10), period=dt.date(2026, 2, 1)),
        debt(1, 10, "300.00", due=dt.date(2026, 1, 10), period=dt.date(2026, 1, 1)),
    ]

    allocations, rest = allocate(D("300.00"), debts, on=PAID_ON)

    assert paid(allocations) == {(10, PRINCIPAL): D("300.00")}
    assert rest == D("0.00")


def test_payment_spills_over_to_the_next_oldest_bill():
    """P1: given two due bills, when the payment is more than the oldest, then the oldest is
    paid in full and the next one gets what is left."""
    debts = [
        debt(1, 10, "300.00", due=dt.date(2026, 1, 10), period=dt.date(2026, 1, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 2, 10), period=dt.date(2026, 2, 1)),
    ]

    allocations, rest = allocate(D("400.00"), debts, on=PAID_ON)

    assert paid(allocations) == {(10, PRINCIPAL): D("300.00"), (20, PRINCIPAL): D("100.00")}
    assert bills_paid(allocations) == [1, 2]
    assert rest == D("0.00")


def test_designated_bill_is_paid_first_even_when_newer():
    """P1 (art. 560, designation): given an old and a new bill, when the payer designates the
    new one, then it is paid before the old one."""
    debts = [
        debt(1, 10, "300.00", due=dt.date(2026, 1, 10), period=dt.date(2026, 1, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 2, 10), period=dt.date(2026, 2, 1)),
    ]

    allocations, _rest = allocate(D("350.00"), debts, on=PAID_ON, designated_bill_id=2)

    assert bills_paid(allocations) == [2, 1]
    assert paid(allocations) == {(20, PRINCIPAL): D("300.00"), (10, PRINCIPAL): D("50.00")}


def test_designated_bill_goes_before_due_bills_even_when_not_yet_due():
    """P1: given a due bill and a not-yet-due bill, when the payer designates the one not yet
    due, then the designation wins over the due-first order."""
    debts = [
        debt(1, 10, "300.00", due=dt.date(2026, 3, 1), period=dt.date(2026, 2, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 4, 1), period=dt.date(2026, 3, 1)),
    ]

    allocations, _rest = allocate(D("100.00"), debts, on=PAID_ON, designated_bill_id=2)

    assert paid(allocations) == {(20, PRINCIPAL): D("100.00")}


def test_due_debts_come_before_debts_not_yet_due():
    """P1 (art. 560): given an older bill not yet due and a newer bill already due, when a
    payment covers one of them, then the due bill is paid first."""
    debts = [
        debt(1, 10, "300.00", due=dt.date(2026, 3, 20), period=dt.date(2026, 1, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 3, 10), period=dt.date(2026, 2, 1)),
    ]

    allocations, _rest = allocate(D("300.00"), debts, on=dt.date(2026, 3, 15))

    assert paid(allocations) == {(20, PRINCIPAL): D("300.00")}


def test_bill_without_due_date_counts_as_not_yet_due():
    """P1, E1: given an older bill not yet received (no due date) and a newer bill already
    due, when paid, then the due bill comes first."""
    debts = [
        debt(1, 10, "300.00", due=None, period=dt.date(2026, 1, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 3, 10), period=dt.date(2026, 2, 1)),
    ]

    allocations, _rest = allocate(D("300.00"), debts, on=dt.date(2026, 3, 15))

    assert paid(allocations) == {(20, PRINCIPAL): D("300.00")}


def test_bill_due_on_the_payment_day_counts_as_due():
    """P1, E1 (paying on the due date is on time, but the debt is due): given a bill due on the
    payment day and an older bill not yet due, when paid, then the one due that day is first."""
    debts = [
        debt(1, 10, "300.00", due=dt.date(2026, 3, 16), period=dt.date(2026, 1, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 3, 15), period=dt.date(2026, 2, 1)),
    ]

    allocations, _rest = allocate(D("300.00"), debts, on=dt.date(2026, 3, 15))

    assert paid(allocations) == {(20, PRINCIPAL): D("300.00")}


def test_among_due_bills_the_earlier_due_date_is_first_even_if_its_period_is_later():
    """P1 (oldest first: due date, then period): given two due bills, when the later period
    fell due earlier, then it is paid first."""
    debts = [
        debt(1, 10, "300.00", due=dt.date(2026, 3, 5), period=dt.date(2026, 1, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 3, 1), period=dt.date(2026, 2, 1)),
    ]

    allocations, _rest = allocate(D("300.00"), debts, on=PAID_ON)

    assert paid(allocations) == {(20, PRINCIPAL): D("300.00")}


def test_same_due_date_the_earlier_period_is_first():
    """P1: given two bills due the same day, when paid, then the earlier period is first
    (whatever the bill ids or the input order)."""
    debts = [
        debt(1, 10, "300.00", due=dt.date(2026, 3, 1), period=dt.date(2026, 2, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 3, 1), period=dt.date(2026, 1, 1)),
    ]

    allocations, _rest = allocate(D("300.00"), debts, on=PAID_ON)

    assert paid(allocations) == {(20, PRINCIPAL): D("300.00")}


def test_among_bills_not_yet_due_the_oldest_is_first():
    """P1: given two bills not yet due (one with a due date, one without), when paid, then the
    one with the earlier due date is first, and among undated ones the earlier period."""
    debts = [
        debt(1, 10, "300.00", due=None, period=dt.date(2026, 1, 1)),
        debt(2, 20, "300.00", due=dt.date(2026, 4, 1), period=dt.date(2026, 2, 1)),
        debt(3, 30, "300.00", due=None, period=dt.date(2025, 12, 1)),
    ]

    allocations, _rest = allocate(D("900.00"), debts, on=PAID_ON)

    assert bills_paid(allocations) == [2, 3, 1]


# --- lines of one bill: pro rata ---------------------------------------------------------


def test_equal_lines_of_one_bill_share_pro_rata_with_the_odd_fen_to_the_first_line():
    """P1: given a bill with three equal lines, when 100.00 is paid, then the lines get
    33.34 / 33.33 / 33.33 in line order (largest remainder, earlier first on ties)."""
    debts = [debt(1, line, "50.00") for line in (11, 12, 13)]

    allocations, rest = allocate(D("100.00"), debts, on=PAID_ON)

    assert [(a.bill_line_id, a.amount) for a in allocations] == [
        (11, D("33.34")),
        (12, D("33.33")),
        (13, D("33.33")),
    ]
    assert rest == D("0.00")


def test_lines_are_taken_in_line_order_whatever_the_input_order():
    """P1: given the lines of a bill listed out of order, when shared, then the odd 分 still
    goes to the first line by id."""
    debts = [debt(1, line, "50.00") for line in (13, 11, 12)]

    allocations, _rest = allocate(D("100.00"), debts, on=PAID_ON)

    assert paid(allocations)[(11, PRINCIPAL)] == D("33.34")


def test_lines_share_in_proportion_to_their_open_amounts():
    """P1: given lines open 2,000.00 and 500.00, when 1,000.00 is paid, then they get 800.00
    and 200.00 (4:1)."""
    debts = [debt(1, 11, "2000.00"), debt(1, 12, "500.00")]

    allocations, _rest = allocate(D("1000.00"), debts, on=PAID_ON)

    assert paid(allocations) == {(11, PRINCIPAL): D("800.00"), (12, PRINCIPAL): D("200.00")}


def test_odd_fen_goes_to_the_largest_remainder_not_simply_the_first_line():
    """P1: given lines 60.00 and 40.00, when 0.07 is paid, then the exact shares 0.042 and
    0.028 become 0.04 and 0.03 (the second has the larger remainder)."""
    assert pro_rata(D("0.07"), [D("60.00"), D("40.00")]) == [D("0.04"), D("0.03")]


def test_pro_rata_of_more_than_the_weights_gives_each_its_weight():
    """P1 (a share never exceeds its debt): given weights summing to less than the amount,
    then each share is its weight."""
    assert pro_rata(D("500.00"), [D("100.00"), D("0.01")]) == [D("100.00"), D("0.01")]


def test_a_tiny_payment_goes_to_the_first_line_only():
    """P1: given three equal lines, when 0.01 is paid, then only the first line gets it and
    no zero allocations are written."""
    debts = [debt(1, line, "50.00") for line in (11, 12, 13)]

    allocations, rest = allocate(D("0.01"), debts, on=PAID_ON)

    assert [(a.bill_line_id, a.amount) for a in allocations] == [(11, D("0.01"))]
    assert rest == D("0.00")


# --- within one line: late fee and principal ----------------------------------------------


def test_late_fee_is_paid_before_principal_within_a_line():
    """P1 (art. 561: costs → late fee → principal): given a line with principal 1,000.00
    and late fee 15.00, when 100.00 is paid, then the late fee is paid in full first."""
    debts = [
        debt(1, 11, "1000.00", component=PRINCIPAL),
        debt(1, 11, "15.00", component=LATE_FEE),
    ]

    allocations, _rest = allocate(D("100.00"), debts, on=PAID_ON)

    assert [(a.component, a.amount) for a in allocations] == [
        (LATE_FEE, D("15.00")),
        (PRINCIPAL, D("85.00")),
    ]


def test_principal_is_paid_first_when_the_contract_chose_it():
    """P1 (a contract may choose principal before late fee): given late_fee_first=False, when
    100.00 is paid on a line with principal 1,000.00 and late fee 15.00, then all of it goes
    to principal."""
    debts = [
        debt(1, 11, "15.00", component=LATE_FEE),
        debt(1, 11, "1000.00", component=PRINCIPAL),
    ]

    allocations, _rest = allocate(D("100.00"), debts, on=PAID_ON, late_fee_first=False)

    assert paid(allocations) == {(11, PRINCIPAL): D("100.00")}


def test_late_fee_counts_in_its_line_share_of_the_bill():
    """P1: given line A (late fee 10.00 + principal 90.00) and line B (principal 100.00),
    when 100.00 is paid, then each line gets 50.00 and A's share pays its late fee first."""
    debts = [
        debt(1, 11, "90.00", component=PRINCIPAL),
        debt(1, 11, "10.00", component=LATE_FEE),
        debt(1, 12, "100.00", component=PRINCIPAL),
    ]

    allocations, _rest = allocate(D("100.00"), debts, on=PAID_ON)

    assert paid(allocations) == {
        (11, LATE_FEE): D("10.00"),
        (11, PRINCIPAL): D("40.00"),
        (12, PRINCIPAL): D("50.00"),
    }


# --- what is left --------------------------------------------------------------------------


def test_overpayment_pays_every_debt_and_leaves_the_rest():
    """P1: given debts of 350.00, when 500.00 is paid, then every debt is paid in full
    (never more) and 150.00 is left as the rest (the account's credit)."""
    debts = [
        debt(1, 11, "300.00"),
        debt(1, 11, "20.00", component=LATE_FEE),
        debt(2, 21, "30.00", period=dt.date(2026, 2, 1)),
    ]

    allocations, rest = allocate(D("500.00"), debts, on=PAID_ON)

    assert paid(allocations) == {
        (11, PRINCIPAL): D("300.00"),
        (11, LATE_FEE): D("20.00"),
        (21, PRINCIPAL): D("30.00"),
    }
    assert rest == D("150.00")


def test_no_debts_leaves_everything_as_rest():
    """P1: given no open debt, when paid, then nothing is allocated and all is left."""
    allocations, rest = allocate(D("123.45"), [], on=PAID_ON)

    assert allocations == []
    assert rest == D("123.45")


def test_debts_already_paid_get_nothing():
    """P1: given a component with nothing open (0.00) beside an open one, when paid, then the
    closed one gets no allocation, not even 0.00."""
    debts = [debt(1, 11, "0.00", component=LATE_FEE), debt(1, 11, "80.00")]

    allocations, rest = allocate(D("100.00"), debts, on=PAID_ON)

    assert [(a.component, a.amount) for a in allocations] == [(PRINCIPAL, D("80.00"))]
    assert rest == D("20.00")


# --- properties ------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=2_000_000).map(lambda n: D(n).scaleb(-2))


@st.composite
def debt_lists(draw) -> list[Debt]:
    """Bills (each with a due date or none and a period) with lines, each line with a
    principal and maybe a late fee; ids unique, so (bill line, component) is one debt."""
    debts: list[Debt] = []
    line_id = 0
    for bill_id in range(1, draw(st.integers(0, 4)) + 1):
        due = draw(st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2026, 6, 30)))
        period = draw(st.sampled_from([dt.date(2026, m, 1) for m in range(1, 7)]))
        for _ in range(draw(st.integers(1, 4))):
            line_id += 1
            components = draw(st.sampled_from([[PRINCIPAL], [PRINCIPAL, LATE_FEE], [LATE_FEE]]))
            for component in components:
                debts.append(
                    Debt(
                        bill_id=bill_id,
                        bill_line_id=line_id,
                        fee_item_id=line_id,
                        component=component,
                        open=draw(cents),
                        due_date=due,
                        period_start=period,
                    )
                )
    return draw(st.permutations(debts))


def is_money(value: Decimal) -> bool:
    return value.as_tuple().exponent == -2


allocation_inputs = dict(
    amount=cents,
    debts=debt_lists(),
    on=st.dates(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    designate=st.integers(0, 5),
    late_fee_first=st.booleans(),
)


@given(**allocation_inputs)
def test_allocations_and_rest_add_up_to_the_payment_exactly(
    amount, debts, on, designate, late_fee_first
):
    """P1, Money: for any payment and debts, the allocations plus the rest equal the amount,
    to the 分, and every figure has exactly 2 decimals."""
    allocations, rest = allocate(
        amount, debts, on=on, designated_bill_id=designate or None, late_fee_first=late_fee_first
    )

    assert sum((a.amount for a in allocations), D("0.00")) + rest == amount
    assert rest >= 0
    assert is_money(rest)
    assert all(is_money(a.amount) for a in allocations)


@given(**allocation_inputs)
def test_no_allocation_exceeds_its_debt_or_falls_below_one_fen(
    amount, debts, on, designate, late_fee_first
):
    """P1: for any payment, each debt receives at most what is open on it, each allocation is
    at least 0.01, and a rest is left only when every debt is paid in full."""
    allocations, rest = allocate(
        amount, debts, on=on, designated_bill_id=designate or None, late_fee_first=late_fee_first
    )

    open_by_debt = {(d.bill_line_id, d.component): d.open for d in debts}
    received = paid(allocations)
    assert len(received) == len(allocations), "one allocation per debt"
    for key, amount_paid in received.items():
        assert amount_paid <= open_by_debt[key]
    assert all(a.amount >= D("0.01") for a in allocations)
    if rest > 0:
        assert received == open_by_debt


@given(**allocation_inputs)
def test_at_most_one_bill_is_left_part_paid_and_it_is_the_last_reached(
    amount, debts, on, designate, late_fee_first
):
    """P1 (oldest first): for any payment, every bill reached before the last one is paid in
    full, so the payment never skips ahead while an earlier-ranked bill stays open."""
    allocations, _rest = allocate(
        amount, debts, on=on, designated_bill_id=designate or None, late_fee_first=late_fee_first
    )

    order = bills_paid(allocations)
    open_by_bill: dict[int, Decimal] = defaultdict(lambda: D("0.00"))
    for d in debts:
        open_by_bill[d.bill_id] += d.open
    paid_by_bill: dict[int, Decimal] = defaultdict(lambda: D("0.00"))
    for a in allocations:
        paid_by_bill[a.bill_id] += a.amount
    for bill_id in order[:-1]:
        assert paid_by_bill[bill_id] == open_by_bill[bill_id]
    if designate in open_by_bill and allocations:
        assert order[0] == designate


@given(
    amount=cents,
    weights=st.lists(cents, min_size=1, max_size=8),
)
def test_pro_rata_shares_add_up_exactly_and_stay_within_their_weights(amount, weights):
    """P1: for any amount and weights, the shares add up to min(amount, total) exactly, each
    is between 0 and its weight, within 1 分 of the exact proportion, with 2 decimals."""
    shares = pro_rata(amount, weights)

    total = sum(weights, D("0.00"))
    assert sum(shares, D("0.00")) == min(amount, total)
    for share, weight in zip(shares, weights, strict=True):
        assert D("0.00") <= share <= weight
        assert is_money(share)
        if amount < total:
            assert abs(share - amount * weight / total) < D("0.01")
