"""Ledger invariants under random histories (rules P1, L1, D1, Money; STYLE §4).

Hypothesis draws a sequence of operations on two accounts of one project over consecutive
months: bill runs, payments (sometimes designating a bill), refunds, payment reversals,
voids (with and without reissue), bill receipts and late fees. The test keeps its own
tally of what was charged, paid, refunded and reversed, and after every step checks the
ledger against it. Each example runs in its own transaction (hypothesis' Django TestCase).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from wuye.billing.models import Bill, BillLine, ContractLine
from wuye.billing.services import issue_bills_for_project, record_bill_receipt, void_bill
from wuye.dates import Period
from wuye.errors import WuyeError
from wuye.ledger import selectors
from wuye.ledger import services as ledger
from wuye.ledger.models import Entry
from wuye.money import money
from wuye.payments.models import Payment, Refund
from wuye.payments.services import record_payment, refund, reverse_payment
from wuye.testing.factories import add_line, office_account

D = Decimal
ZERO = D("0.00")
START = dt.date(2026, 1, 1)
STAMP = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)

# What each account's monthly bill must be, worked out here rather than by the bill run:
# account 0: 100.00 m² × 25.00 and a fixed elevator fee of 333.3350 (half up: 333.34);
# account 1: 87.65 m² × 23.4567 = 2,055.979755 → 2,055.98, principal before late fee.
EXPECTED_LINES = [
    {"PMF": money(D("100.00") * D("25.00")), "ELV": money(D("333.3350"))},
    {"PMF": money(D("87.65") * D("23.4567"))},
]


# --- the test's own model ------------------------------------------------------------------


@dataclass
class ModelBill:
    account: int
    period: dt.date
    principal: dict[str, Decimal]
    late_fees: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    received: bool = False

    def total(self) -> Decimal:
        return sum(self.principal.values(), ZERO) + sum(self.late_fees.values(), ZERO)


@dataclass
class Model:
    live: dict[str, ModelBill] = field(default_factory=dict)
    voided: set[str] = field(default_factory=set)
    payments: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    reversed: set[str] = field(default_factory=set)
    refunds: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    receipts_per_year: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def balance(self, account: int) -> Decimal:
        """Charges + late fees of live bills − payments not reversed + refunds (no waivers,
        reductions or write-offs happen here)."""
        charged = sum((b.total() for b in self.live.values() if b.account == account), ZERO)
        paid = sum(
            (
                amount
                for number, (acc, amount) in self.payments.items()
                if acc == account and number not in self.reversed
            ),
            ZERO,
        )
        return charged - paid + self.refunds[account]

    def live_of(self, account: int) -> list[str]:
        return sorted(n for n, b in self.live.items() if b.account == account)


# --- operations ----------------------------------------------------------------------------

amounts = st.integers(1, 2_000_000).map(lambda n: D(n).scaleb(-2))  # 0.01 … 20,000.00
late_fee_amounts = st.integers(1, 20_000).map(lambda n: D(n).scaleb(-2))
picks = st.integers(0, 99)
accounts = st.integers(0, 1)

operations = st.one_of(
    st.tuples(st.just("issue")),
    st.tuples(st.just("pay"), accounts, amounts, st.none() | picks),
    st.tuples(st.just("issue")),
    st.tuples(st.just("pay"), accounts, amounts, st.none() | picks),
    st.tuples(st.just("refund"), accounts, amounts),
    st.tuples(st.just("reverse"), picks),
    st.tuples(st.just("void"), picks, st.booleans()),
    st.tuples(st.just("receipt"), picks),
    st.tuples(st.just("late_fee"), picks, late_fee_amounts),
)
# Each step first moves the business date on by 0–12 days (12 steps: ~2–4 months).
histories = st.lists(st.tuples(st.integers(0, 12), operations), min_size=1, max_size=12)


def is_money(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


class LedgerInvariantTests(TestCase):
    def make_accounts(self):
        first = office_account(area="100.00", price="25.00")
        add_line(first.contracts.get(), "ELV", ContractLine.Basis.FIXED, "333.3350")
        second = office_account(area="87.65", price="23.4567", late_fee_first=False)
        return [first, second]

    @settings(max_examples=40)
    @given(history=histories)
    # Found by this test: a payment reversed after the bill it paid was voided put the debt
    # back on the voided bill (D1), while its credit had already paid February.
    @example(
        history=[
            (0, ("issue",)),
            (0, ("issue",)),
            (0, ("pay", 0, D("0.01"), None)),
            (0, ("void", 0, False)),
            (0, ("reverse", 0)),
        ]
    )
    # A bounced payment whose credit was refunded leaves a debit outside any bill, which the
    # next payment settles first.
    @example(
        history=[
            (0, ("issue",)),
            (3, ("pay", 0, D("3000.00"), None)),
            (1, ("refund", 0, D("500.00"))),
            (1, ("reverse", 0)),
            (1, ("pay", 0, D("600.00"), None)),
        ]
    )
    # Credit carried into later bills, a late fee, a reversal taking the credit back and a
    # reissued bill paid again by credit.
    @example(
        history=[
            (0, ("issue",)),
            (5, ("pay", 1, D("20000.00"), 0)),
            (30, ("issue",)),
            (2, ("receipt", 1)),
            (9, ("late_fee", 0, D("12.34"))),
            (0, ("pay", 0, D("100.00"), 1)),
            (1, ("reverse", 0)),
            (1, ("void", 1, True)),
            (1, ("refund", 1, D("20000.00"))),
        ]
    )
    def test_ledger_matches_an_independent_tally_after_every_step(self, history):
        """P1, L1, D1, Money: given any history of bill runs, payments, refunds, reversals,
        voids, receipts and late fees, when each step runs, then the balance equals the
        test's own tally, no debt is over-paid or over-charged, no payment is allocated
        beyond its amount, the credit is the unallocated money, voided bills owe nothing,
        earlier entries are never changed, and every amount has exactly 2 decimals."""
        self.accounts = self.make_accounts()
        self.model = Model()
        self.entries_before: list[dict] = []
        today = START
        for advance, op in history:
            today += dt.timedelta(days=advance)
            getattr(self, f"do_{op[0]}")(today, *op[1:])
            self.check()

    # -- steps --

    def do_issue(self, today: dt.date) -> None:
        """The bill run for the earliest month, from January on, that lacks a live bill
        (a month voided without reissue gets its bill again), else the next month."""
        month = START
        while {b.account for b in self.model.live.values() if b.period == month} == set(
            range(len(self.accounts))
        ):
            month = Period(month).end()
        period = Period(month)
        missing = [
            i
            for i in range(len(self.accounts))
            if not any(
                b.account == i and b.period == period.start for b in self.model.live.values()
            )
        ]
        result = issue_bills_for_project(
            project=self.accounts[0].project, period=period, on=today, actor="bill-run"
        )
        assert result.created == len(missing)
        for i in missing:
            self.add_live_bill(i, period.start)

    def add_live_bill(self, account: int, period_start: dt.date) -> None:
        bill = Bill.objects.get(
            account=self.accounts[account], period_start=period_start, status=Bill.Status.ISSUED
        )
        assert bill.number not in self.model.live and bill.number not in self.model.voided
        self.model.live[bill.number] = ModelBill(
            account, period_start, dict(EXPECTED_LINES[account])
        )

    def do_pay(self, today: dt.date, account: int, amount: Decimal, pick: int | None) -> None:
        candidates = self.model.live_of(account)
        designated = candidates[pick % len(candidates)] if pick is not None and candidates else None
        payment = record_payment(
            account=self.accounts[account],
            amount=amount,
            on=today,
            actor="cashier",
            bill_number=designated,
        )
        self.model.receipts_per_year[today.year] += 1
        expected = f"HT-R{today.year}-{self.model.receipts_per_year[today.year]:06d}"
        assert payment.receipt_number == expected
        self.model.payments[payment.receipt_number] = (account, amount)

    def do_refund(self, today: dt.date, account: int, amount: Decimal) -> None:
        credit = max(ZERO, -self.model.balance(account))
        if credit == 0:
            written = Entry.objects.count()
            try:
                refund(
                    account=self.accounts[account],
                    amount=amount,
                    on=today,
                    actor="finance",
                    reason="退回多付款",
                )
            except WuyeError as error:
                assert error.code == "refund_exceeds_credit"
            else:
                raise AssertionError("a refund without credit was accepted")
            assert Entry.objects.count() == written
            return
        amount = min(amount, credit)
        refund(
            account=self.accounts[account],
            amount=amount,
            on=today,
            actor="finance",
            reason="退回多付款",
        )
        self.model.refunds[account] += amount

    def do_reverse(self, today: dt.date, pick: int) -> None:
        if not self.model.payments:
            return
        number = sorted(self.model.payments)[pick % len(self.model.payments)]
        if number in self.model.reversed:
            written = Entry.objects.count()
            try:
                reverse_payment(receipt_number=number, on=today, actor="finance", reason="再沖")
            except WuyeError as error:
                assert error.code == "already_reversed"
            else:
                raise AssertionError("a payment was reversed twice")
            assert Entry.objects.count() == written
            return
        reverse_payment(receipt_number=number, on=today, actor="finance", reason="退票")
        self.model.reversed.add(number)

    def do_void(self, today: dt.date, pick: int, reissue: bool) -> None:
        if not self.model.live:
            return
        number = sorted(self.model.live)[pick % len(self.model.live)]
        gone = self.model.live.pop(number)
        self.model.voided.add(number)
        _bill, replacement = void_bill(
            number=number, reason="帳單有誤", on=today, actor="finance", reissue=reissue
        )
        if reissue:
            assert replacement is not None
            self.add_live_bill(gone.account, gone.period)
            assert replacement.number in self.model.live
        else:
            assert replacement is None

    def do_receipt(self, today: dt.date, pick: int) -> None:
        waiting = sorted(n for n, b in self.model.live.items() if not b.received)
        if not waiting:
            return
        number = waiting[pick % len(waiting)]
        record_bill_receipt(number=number, received_on=today, actor="assistant")
        self.model.live[number].received = True

    def do_late_fee(self, today: dt.date, pick: int, amount: Decimal) -> None:
        """A late fee as the future late-fee run will post it (L1); that run, like every
        run that creates a debt, then lets the account's credit pay it (P1)."""
        candidates = sorted(
            BillLine.objects.filter(
                bill__number__in=list(self.model.live), fee_item__bears_late_fee=True
            ).select_related("bill", "fee_item"),
            key=lambda line: line.pk,
        )
        if not candidates:
            return
        line = candidates[pick % len(candidates)]
        Entry.objects.create(
            account_id=line.bill.account_id,
            kind=Entry.Kind.LATE_FEE,
            component=Entry.Component.LATE_FEE,
            bill=line.bill,
            bill_line=line,
            fee_item=line.fee_item,
            amount=amount,
            entry_date=today,
            value_date=today,
            actor="late-fee-run",
            created_at=STAMP,
            reason="L1",
        )
        ledger.apply_credit([line.bill.account_id], on=today, actor="late-fee-run")
        self.model.live[line.bill.number].late_fees[line.fee_item.code] += amount

    # -- invariants --

    def check(self) -> None:
        entries = list(Entry.objects.order_by("pk").values())
        # append-only: every earlier entry is still there, unchanged
        assert entries[: len(self.entries_before)] == self.entries_before
        self.entries_before = entries
        assert all(is_money(e["amount"]) for e in entries)

        self.check_bills()
        self.check_debts()
        self.check_payments()
        for i, account in enumerate(self.accounts):
            self.check_account(i, account, entries)

    def check_bills(self) -> None:
        live = {
            b.number: b
            for b in Bill.objects.filter(
                account__in=self.accounts, status=Bill.Status.ISSUED
            ).prefetch_related("lines__fee_item")
        }
        assert set(live) == set(self.model.live)
        voided = Bill.objects.filter(account__in=self.accounts, status=Bill.Status.VOID)
        assert set(voided.values_list("number", flat=True)) == self.model.voided
        for number, bill in live.items():
            expected = self.model.live[number].principal
            assert {line.fee_item.code: line.amount for line in bill.lines.all()} == expected
            assert bill.total == sum(expected.values(), ZERO)
            assert is_money(bill.total)

    def check_debts(self) -> None:
        """P1: each (bill line, component) owes between 0 and what was charged on it; a
        voided bill owes nothing (D1)."""
        rows = (
            Entry.objects.filter(bill_line__isnull=False)
            .values(
                "bill__number", "bill_line__bill__number", "bill_line__fee_item__code", "component"
            )
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for row in rows:
            number = row["bill_line__bill__number"]
            assert row["bill__number"] == number, "an entry's bill and bill line disagree"
            net = money(row["total"])
            if number in self.model.voided:
                assert net == ZERO, f"voided bill {number} still owes {net}"
                continue
            bill = self.model.live[number]
            code = row["bill_line__fee_item__code"]
            if row["component"] == Entry.Component.PRINCIPAL:
                charged = bill.principal[code]
            else:
                assert row["component"] == Entry.Component.LATE_FEE
                charged = bill.late_fees[code]
            assert ZERO <= net <= charged, (number, code, row["component"], net, charged)

    def check_payments(self) -> None:
        """P1: a payment's entries add up to exactly its amount; a reversal undoes exactly
        that; receipts are the ones the test recorded."""
        payments = {p.receipt_number: p for p in Payment.objects.all()}
        assert set(payments) == set(self.model.payments)
        kinds = (
            Entry.objects.filter(payment__isnull=False)
            .values("payment__receipt_number", "kind")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        totals = {(r["payment__receipt_number"], r["kind"]): money(r["total"]) for r in kinds}
        for number, (account, amount) in self.model.payments.items():
            assert payments[number].amount == amount and is_money(payments[number].amount)
            assert payments[number].account_id == self.accounts[account].pk
            assert totals[(number, Entry.Kind.PAYMENT)] == -amount
            expected_reversal = amount if number in self.model.reversed else None
            assert totals.get((number, Entry.Kind.REVERSAL)) == expected_reversal
        for r in Refund.objects.all():
            assert is_money(r.amount)

    def check_account(self, i: int, account, entries: list[dict]) -> None:
        expected = self.model.balance(i)
        balance = selectors.balance(account.pk)
        assert balance == expected, (i, balance, expected)
        assert is_money(balance)

        mine = [e for e in entries if e["account_id"] == account.pk]
        unallocated = -sum((e["amount"] for e in mine if e["bill_line_id"] is None), ZERO)
        credit = selectors.credit(account.pk)
        assert credit == unallocated and is_money(credit)
        open_debt = sum((e["amount"] for e in mine if e["bill_line_id"] is not None), ZERO)
        assert balance == open_debt - credit
        if expected < 0:
            # P1: an overpayment pays every debt; what is left is the credit
            assert credit == -expected and open_debt == ZERO
        else:
            assert credit <= 0, "a credit sits beside open debts"
        # P1: money owed outside any bill only arises when a bounced payment's credit had
        # been refunded; otherwise a reversal puts the debt back on the bills it paid.
        assert -credit <= self.model.refunds[i]
