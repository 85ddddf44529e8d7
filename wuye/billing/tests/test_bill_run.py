"""The bill run (issue 2): what it bills, how it prorates, its idempotence and dry run,
the charges it books and the due dates of fixed-day contracts (rules E1, X5, W1)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import chinese_calendar
import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wuye.billing.models import (
    Bill,
    BillLine,
    BillRun,
    Contract,
    ContractLine,
    FeeItem,
    NumberSequence,
)
from wuye.billing.services import issue_bills, issue_bills_for_project
from wuye.dates import Period
from wuye.errors import NotFound
from wuye.ledger.models import Entry
from wuye.policies.models import PolicySetting
from wuye.testing.factories import (
    BuildingFactory,
    ContractFactory,
    ProjectFactory,
    UnitFactory,
    add_line,
    office_account,
    supply,
)
from wuye.workdays.models import CalendarDay

PER_AREA = ContractLine.Basis.PER_AREA
FIXED = ContractLine.Basis.FIXED
SUPPLIED = ContractLine.Basis.SUPPLIED
MARCH = Period.parse("2026-03")
APRIL = Period.parse("2026-04")
ISSUED_ON = dt.date(2026, 3, 2)


def half_up(value: Decimal) -> Decimal:
    """The expected rounding, written out here rather than taken from the code under test."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def run(period: Period = MARCH, on: dt.date = ISSUED_ON, **kwargs):
    return issue_bills_for_project(
        project=ProjectFactory(), period=period, on=on, actor="finance", **kwargs
    )


def bill_of(account, period: Period = MARCH) -> Bill:
    return Bill.objects.get(account=account, period_start=period.start, status=Bill.Status.ISSUED)


def lines_by_code(bill: Bill) -> dict[str, BillLine]:
    return {line.fee_item.code: line for line in bill.lines.select_related("fee_item")}


def contract_of(account) -> Contract:
    return account.contracts.get()


def ledger_snapshot() -> tuple[int, Decimal | None]:
    return Entry.objects.count(), Entry.objects.aggregate(total=Sum("amount"))["total"]


# --- what is billed ------------------------------------------------------------------


@pytest.mark.django_db
def test_run_issues_one_bill_per_billable_account_with_one_line_per_fee_item():
    """Issue 2, X5.
    Given two accounts, one with a per-m² fee, a fixed fee and two supplied utilities
    (one of them supplied for the period), the other with the per-m² fee only,
    when the March run is done,
    then each account gets exactly one bill, with one line per fee item that has an amount."""
    full = office_account(area="100.00", price="25.00")
    add_line(contract_of(full), "ELV", FIXED, "350.00")
    add_line(contract_of(full), "WATER", SUPPLIED, "0")
    add_line(contract_of(full), "ELEC", SUPPLIED, "0")
    supply(full, "WATER", MARCH.start, "86.40")
    plain = office_account(area="50.00", price="25.00")

    result = run()

    assert (result.created, result.lines, result.existing) == (2, 4, 0)
    assert Bill.objects.count() == 2
    assert sorted(lines_by_code(bill_of(full))) == ["ELV", "PMF", "WATER"]
    assert sorted(lines_by_code(bill_of(plain))) == ["PMF"]
    assert bill_of(full).total == Decimal("2936.40")  # 2500.00 + 350.00 + 86.40
    assert bill_of(plain).total == Decimal("1250.00")
    assert result.total == Decimal("4186.40")


@pytest.mark.django_db
def test_per_area_line_is_area_times_the_monthly_price():
    """Issue 2.
    Given 123.45 m² at 25.00 per m² per month for all of March,
    when the run is done,
    then the property-fee line is 3086.25 for 31 of 31 days."""
    account = office_account(area="123.45", price="25.00")

    run()

    line = lines_by_code(bill_of(account))["PMF"]
    assert line.basis == PER_AREA
    assert line.quantity == Decimal("123.45")
    assert line.unit_price == Decimal("25.0000")
    assert (line.days, line.cycle_days) == (31, 31)
    assert line.amount == Decimal("3086.25")


@pytest.mark.django_db
def test_fixed_line_is_the_monthly_amount():
    """Issue 2.
    Given a fixed elevator fee of 350.00 a month,
    when the run is done,
    then the elevator line is 350.00 with quantity 1."""
    account = office_account()
    add_line(contract_of(account), "ELV", FIXED, "350.00")

    run()

    line = lines_by_code(bill_of(account))["ELV"]
    assert (line.basis, line.quantity, line.amount) == (FIXED, Decimal("1.00"), Decimal("350.00"))


@pytest.mark.django_db
def test_supplied_amount_is_billed_as_given_without_any_surcharge():
    """X5: a pass-through utility collected for the supplier carries no surcharge.
    Given shared water of 86.40 supplied for March,
    when the run is done,
    then the water line is exactly 86.40."""
    account = office_account()
    add_line(contract_of(account), "WATER", SUPPLIED, "0")
    supply(account, "WATER", MARCH.start, "86.40")

    run()

    line = lines_by_code(bill_of(account))["WATER"]
    assert (line.basis, line.amount) == (SUPPLIED, Decimal("86.40"))


@pytest.mark.django_db
def test_missing_supplied_amount_gives_no_line():
    """Issue 2.
    Given an electricity line whose amount was supplied for February but not for March,
    when the March run is done,
    then the March bill has no electricity line and its total is the property fee only."""
    account = office_account()
    add_line(contract_of(account), "ELEC", SUPPLIED, "0")
    supply(account, "ELEC", dt.date(2026, 2, 1), "113.00")

    result = run()

    assert sorted(lines_by_code(bill_of(account))) == ["PMF"]
    assert bill_of(account).total == Decimal("2500.00")
    assert result.lines == 1


@pytest.mark.django_db
def test_tax_is_extracted_from_the_tax_inclusive_amount_rounded_half_up():
    """Money rules: amount × rate / (1 + rate), half up to 分.
    Given a 2500.00 property fee (6%), 86.40 water (9%) and 113.00 electricity (13%),
    when the run is done,
    then the tax amounts are 141.51, 7.13 and 13.00."""
    account = office_account()
    add_line(contract_of(account), "WATER", SUPPLIED, "0")
    add_line(contract_of(account), "ELEC", SUPPLIED, "0")
    supply(account, "WATER", MARCH.start, "86.40")
    supply(account, "ELEC", MARCH.start, "113.00")

    run()

    lines = lines_by_code(bill_of(account))
    expected = {"PMF": Decimal("141.51"), "WATER": Decimal("7.13"), "ELEC": Decimal("13.00")}
    for code, tax in expected.items():
        line = lines[code]
        assert line.tax_rate == FeeItem.objects.get(code=code).tax_rate
        assert half_up(line.amount * line.tax_rate / (1 + line.tax_rate)) == tax
        assert line.tax_amount == tax, code


@pytest.mark.django_db
def test_pass_through_fee_items_bear_no_late_fee():
    """X5, L1.
    Given the standard fee items,
    then water and electricity are pass-through and bear no late fee, the property fee
    bears one, and the database refuses a pass-through item that bears late fees."""
    flags = {
        item.code: (item.pass_through, item.bears_late_fee)
        for item in FeeItem.objects.filter(code__in=["PMF", "WATER", "ELEC"])
    }
    assert flags == {"PMF": (False, True), "WATER": (True, False), "ELEC": (True, False)}

    with pytest.raises(IntegrityError), transaction.atomic():
        FeeItem.objects.create(
            code="GAS",
            name="燃氣費",
            tax_rate=Decimal("0.0900"),
            pass_through=True,
            bears_late_fee=True,
        )


@pytest.mark.django_db
def test_pass_through_lines_on_a_bill_bear_no_late_fee():
    """X5.
    Given a bill with property fee, water and electricity lines,
    then only the property-fee line's item bears late fees."""
    account = office_account()
    add_line(contract_of(account), "WATER", SUPPLIED, "0")
    add_line(contract_of(account), "ELEC", SUPPLIED, "0")
    supply(account, "WATER", MARCH.start, "10.00")
    supply(account, "ELEC", MARCH.start, "20.00")

    run()

    bearing = {
        code: line.fee_item.bears_late_fee for code, line in lines_by_code(bill_of(account)).items()
    }
    assert bearing == {"PMF": True, "WATER": False, "ELEC": False}


# --- proration by days ----------------------------------------------------------------


@pytest.mark.django_db
def test_move_in_mid_month_is_prorated_by_days():
    """Issue 2 (proration by days).
    Given 100 m² at 25.00 and a move-in on 11 April (20 of April's 30 days),
    when the April run is done,
    then the line is 100 × 25.00 × 20 / 30 = 1666.666… → 1666.67."""
    account = office_account(start=dt.date(2026, 4, 11))

    run(APRIL, on=dt.date(2026, 4, 11))

    line = lines_by_code(bill_of(account, APRIL))["PMF"]
    assert (line.days, line.cycle_days) == (20, 30)
    assert line.amount == half_up(Decimal("100") * Decimal("25.00") * 20 / 30)
    assert line.amount == Decimal("1666.67")


@pytest.mark.django_db
def test_move_out_mid_month_is_prorated_including_the_last_day():
    """Issue 2; Account.end_date is the last day billed (inclusive).
    Given 100 m² at 25.00 and a move-out on 10 March,
    when the March run is done,
    then 10 of 31 days are billed: 2500 × 10 / 31 = 806.4516… → 806.45."""
    account = office_account(end=dt.date(2026, 3, 10))

    run()

    line = lines_by_code(bill_of(account))["PMF"]
    assert (line.days, line.cycle_days) == (10, 31)
    assert line.amount == Decimal("806.45")


@pytest.mark.django_db
def test_move_in_and_move_out_in_the_same_month_bill_the_days_between():
    """Issue 2.
    Given an account from 10 to 19 March (10 days) at 100 m² × 25.00,
    when the March run is done,
    then 10 of 31 days are billed (806.45)."""
    account = office_account(start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 19))

    run()

    line = lines_by_code(bill_of(account))["PMF"]
    assert (line.days, line.amount) == (10, Decimal("806.45"))


@pytest.mark.django_db
def test_one_day_at_either_end_of_the_month_is_billed():
    """Issue 2.
    Given one account ending on 1 March and one starting on 31 March,
    when the March run is done,
    then each is billed for one day: 2500 × 1 / 31 = 80.645… → 80.65."""
    leaving = office_account(end=dt.date(2026, 3, 1))
    arriving = office_account(start=dt.date(2026, 3, 31))

    run()

    for account in (leaving, arriving):
        line = lines_by_code(bill_of(account))["PMF"]
        assert (line.days, line.amount) == (1, Decimal("80.65"))


@pytest.mark.django_db
def test_proration_rounds_an_exact_half_fen_up():
    """Money rules: half up, not half even, not truncated.
    Given a fixed fee of 24.69 a month for 15 of April's 30 days (12.345 exactly), and
    10.00 m² at 1.2345 per m² for all of April (12.345 exactly),
    when the April run is done,
    then both lines are 12.35 (half even or truncation would give 12.34)."""
    fixed = office_account(area="10.00", price="0", start=dt.date(2026, 4, 16))
    ContractLine.objects.filter(contract=contract_of(fixed)).delete()
    add_line(contract_of(fixed), "ELV", FIXED, "24.69")
    per_area = office_account(area="10.00", price="1.2345")

    run(APRIL, on=dt.date(2026, 4, 16))

    fixed_line = lines_by_code(bill_of(fixed, APRIL))["ELV"]
    assert (fixed_line.days, fixed_line.cycle_days) == (15, 30)
    assert Decimal("24.69") * 15 / 30 == Decimal("12.345")
    assert fixed_line.amount == Decimal("12.35")
    area_line = lines_by_code(bill_of(per_area, APRIL))["PMF"]
    assert Decimal("10.00") * Decimal("1.2345") == Decimal("12.345")
    assert area_line.amount == Decimal("12.35")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    area=st.decimals(min_value="0.01", max_value="20000.00", places=2),
    price=st.decimals(min_value="0.0001", max_value="500.0000", places=4),
    basis=st.sampled_from([PER_AREA, FIXED]),
    month=st.sampled_from(["2026-02", "2026-03", "2026-04", "2028-02"]),
    first_day=st.integers(min_value=1, max_value=28),
    fee=st.sampled_from(["PMF", "WATER", "ELEC"]),
)
@pytest.mark.django_db
def test_prorated_amount_and_tax_match_decimal_half_up(area, price, basis, month, first_day, fee):
    """Money rules (exact decimals, half up), issue 2 (proration by days).
    Given any area, unit price, basis, month, move-in day and tax rate,
    when the run is done,
    then the line is area × price × days / month days (or price × days / month days),
    and the tax is amount × rate / (1 + rate), both rounded half up to 分 exactly as
    Decimal does it."""
    period = Period.parse(month)
    with transaction.atomic():
        account = office_account(
            area=str(area), price="0", start=period.start.replace(day=first_day)
        )
        ContractLine.objects.filter(contract=contract_of(account)).delete()
        add_line(contract_of(account), fee, basis, price)

        run(period, on=account.start_date)

        quantity = area if basis == PER_AREA else Decimal(1)
        cycle_days = (period.end() - period.start).days
        days = cycle_days - first_day + 1
        expected = half_up(quantity * price * days / cycle_days)
        rate = FeeItem.objects.get(code=fee).tax_rate
        lines = list(BillLine.objects.filter(bill__account=account))
        if expected > 0:
            [line] = lines
            assert (line.days, line.cycle_days) == (days, cycle_days)
            assert line.amount == expected
            assert line.tax_amount == half_up(expected * rate / (1 + rate))
            assert Entry.objects.get(bill_line=line).amount == expected
        else:
            assert lines == []
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_accounts_not_active_in_the_period_get_no_bill():
    """Issue 2.
    Given an account that ended in February, one that starts in April and one active,
    when the March run is done,
    then only the active account is billed."""
    office_account(start=dt.date(2025, 1, 1), end=dt.date(2026, 2, 28))
    office_account(start=dt.date(2026, 4, 1))
    active = office_account()

    result = run()

    assert result.created == 1
    assert list(Bill.objects.values_list("account_id", flat=True)) == [active.pk]


# --- billing cycles and contract versions ---------------------------------------------


@pytest.mark.django_db
def test_quarterly_contract_is_billed_only_at_quarter_start_for_three_months():
    """Issue 2 (billing cycles).
    Given a quarterly contract of 100 m² at 25.00 per m² per month,
    when the runs for April to July are done,
    then April and July bill 3 months (7500.00) and May and June bill nothing."""
    account = office_account(billing_cycle=Contract.Cycle.QUARTERLY)

    created = {
        month: run(Period.parse(month), on=Period.parse(month).start).created
        for month in ["2026-04", "2026-05", "2026-06", "2026-07"]
    }

    assert created == {"2026-04": 1, "2026-05": 0, "2026-06": 0, "2026-07": 1}
    april = bill_of(account, APRIL)
    line = lines_by_code(april)["PMF"]
    assert (line.days, line.cycle_days) == (91, 91)
    assert line.amount == Decimal("7500.00")
    assert april.period_end == dt.date(2026, 7, 1)
    july = bill_of(account, Period.parse("2026-07"))
    assert (july.total, july.period_end) == (Decimal("7500.00"), dt.date(2026, 10, 1))


@pytest.mark.django_db
def test_quarterly_move_out_is_prorated_over_the_quarter():
    """Issue 2.
    Given a quarterly contract (7500.00 a quarter) ending on 31 May,
    when the April run is done,
    then 61 of the quarter's 91 days are billed: 7500 × 61 / 91 = 5027.4725… → 5027.47."""
    account = office_account(billing_cycle=Contract.Cycle.QUARTERLY, end=dt.date(2026, 5, 31))

    run(APRIL, on=APRIL.start)

    line = lines_by_code(bill_of(account, APRIL))["PMF"]
    assert (line.days, line.cycle_days) == (61, 91)
    assert line.amount == Decimal("5027.47")


@pytest.mark.django_db
def test_a_price_change_applies_from_the_new_contract_version():
    """Issue 2 (versioned contracts).
    Given version 1 at 25.00 and version 2 at 30.00 effective 1 April,
    when the March and April runs are done,
    then March is billed on version 1 (2500.00) and April on version 2 (3000.00)."""
    account = office_account()
    v2 = ContractFactory(account=account, version=2, effective_from=dt.date(2026, 4, 1))
    add_line(v2, "PMF", PER_AREA, "30.00")

    run(MARCH)
    run(APRIL, on=APRIL.start)

    march, april = bill_of(account, MARCH), bill_of(account, APRIL)
    assert (march.contract.version, march.total) == (1, Decimal("2500.00"))
    assert (april.contract_id, april.total) == (v2.pk, Decimal("3000.00"))


@pytest.mark.django_db
def test_the_version_in_force_on_the_first_billed_day_is_used():
    """Issue 2.
    Given version 2 at 30.00 effective 15 April,
    when the April and May runs are done,
    then April still uses version 1 (in force on 1 April) and May uses version 2."""
    account = office_account()
    v2 = ContractFactory(account=account, version=2, effective_from=dt.date(2026, 4, 15))
    add_line(v2, "PMF", PER_AREA, "30.00")
    may = Period.parse("2026-05")

    run(APRIL, on=APRIL.start)
    run(may, on=may.start)

    assert (bill_of(account, APRIL).contract.version, bill_of(account, APRIL).total) == (
        1,
        Decimal("2500.00"),
    )
    assert (bill_of(account, may).contract_id, bill_of(account, may).total) == (
        v2.pk,
        Decimal("3000.00"),
    )


# --- idempotence, numbers and dry run --------------------------------------------------


@pytest.mark.django_db
def test_running_twice_creates_nothing_the_second_time():
    """STYLE §6 (run it twice, nothing changes).
    Given a March run that billed three accounts,
    when the run is done again,
    then it creates nothing, reports three existing bills and the ledger is unchanged."""
    for _ in range(3):
        office_account()
    first = run()
    ledger_before = ledger_snapshot()
    runs_before = BillRun.objects.count()
    sequence_before = NumberSequence.objects.get(key="bill:HT:202603").last

    second = run()

    assert (first.created, first.existing) == (3, 0)
    assert (second.created, second.existing, second.lines) == (0, 3, 0)
    assert second.total == Decimal("0.00")
    assert second.numbers is None
    assert Bill.objects.count() == 3
    assert ledger_snapshot() == ledger_before
    assert BillRun.objects.count() == runs_before == 1
    assert NumberSequence.objects.get(key="bill:HT:202603").last == sequence_before == 3


@pytest.mark.django_db
def test_rerun_after_a_new_account_bills_only_it_with_the_next_number():
    """Issue 2, STYLE §6.
    Given a March run that billed two accounts (…00001, …00002),
    when an account is added and the run is done again,
    then exactly one bill is created for it, numbered HT-202603-00003."""
    office_account()
    office_account()
    run()
    newcomer = office_account(area="40.00")

    result = run()

    assert (result.created, result.existing) == (1, 2)
    assert result.numbers == ("HT-202603-00003", "HT-202603-00003")
    bill = bill_of(newcomer)
    assert (bill.number, bill.total) == ("HT-202603-00003", Decimal("1000.00"))
    assert Bill.objects.count() == 3


@pytest.mark.django_db
def test_bill_numbers_are_gapless_per_project_and_period_in_unit_code_order():
    """Issue 2 (gapless numbers).
    Given three units of project HT created out of code order and one unit of project JD,
    when the March and April runs are done for all projects,
    then HT's March bills are HT-202603-00001..00003 in unit-code order, JD's is
    JD-202603-00001, and April's numbers start again at 00001."""
    accounts = {
        number: office_account(unit=UnitFactory(number=number))
        for number in ["0302", "0101", "0205"]
    }
    jd_building = BuildingFactory(project=ProjectFactory(code="JD", name="景德花園"), code="A")
    jd = office_account(unit=UnitFactory(building=jd_building, number="0101"))

    results = issue_bills(period=MARCH, on=ISSUED_ON, actor="finance")
    issue_bills(period=APRIL, on=APRIL.start, actor="finance")

    assert [(r.project, r.created, r.numbers) for r in results] == [
        ("HT", 3, ("HT-202603-00001", "HT-202603-00003")),
        ("JD", 1, ("JD-202603-00001", "JD-202603-00001")),
    ]
    assert {n: bill_of(a).number for n, a in accounts.items()} == {
        "0101": "HT-202603-00001",
        "0205": "HT-202603-00002",
        "0302": "HT-202603-00003",
    }
    assert bill_of(jd).number == "JD-202603-00001"
    assert bill_of(accounts["0101"], APRIL).number == "HT-202604-00001"
    assert bill_of(accounts["0302"], APRIL).number == "HT-202604-00003"


@pytest.mark.django_db
def test_issue_bills_for_an_unknown_project_is_refused():
    """Issue 2: the run names the project it bills; an unknown one is an error, not a no-op."""
    with pytest.raises(NotFound) as raised:
        issue_bills(period=MARCH, on=ISSUED_ON, actor="finance", project_code="NOPE")

    assert raised.value.code == "not_found"


@pytest.mark.django_db
def test_dry_run_writes_nothing_and_reports_what_the_real_run_creates():
    """STYLE §6 (dry run is the same code without the write).
    Given two accounts with three lines between them,
    when a dry run is done and then the real run,
    then the dry run wrote no bill, line, entry, run or number, and its counts and total
    are those the real run then creates."""
    big = office_account(area="100.00", price="25.00")
    add_line(contract_of(big), "ELV", FIXED, "350.00")
    office_account(area="33.33", price="25.00", start=dt.date(2026, 3, 11))

    dry = run(dry_run=True)

    assert Bill.objects.count() == 0
    assert BillLine.objects.count() == 0
    assert Entry.objects.count() == 0
    assert BillRun.objects.count() == 0
    assert not NumberSequence.objects.filter(key="bill:HT:202603", last__gt=0).exists()
    assert dry.numbers is None
    # 33.33 × 25.00 × 21 / 31 = 564.4596… → 564.46
    assert (dry.created, dry.lines, dry.total) == (2, 3, Decimal("3414.46"))
    assert [row["total"] for row in dry.sample] == [Decimal("2850.00"), Decimal("564.46")]

    real = run()

    assert (real.created, real.lines, real.total) == (dry.created, dry.lines, dry.total)
    assert real.numbers == ("HT-202603-00001", "HT-202603-00002")
    assert Bill.objects.aggregate(total=Sum("total"))["total"] == dry.total
    assert BillRun.objects.get().total == dry.total


@pytest.mark.django_db
def test_dry_run_after_a_run_reports_only_the_missing_bill_and_keeps_the_sequence():
    """STYLE §6.
    Given a March run that billed one account (sequence at 1) and a newly added account,
    when a dry run is done,
    then it reports one existing and one bill to create, and writes nothing: the
    sequence stays at 1, so the real run then numbers the new bill HT-202603-00002."""
    office_account()
    run()
    newcomer = office_account(area="40.00")
    entries = ledger_snapshot()

    dry = run(dry_run=True)

    assert (dry.existing, dry.created, dry.total) == (1, 1, Decimal("1000.00"))
    assert NumberSequence.objects.get(key="bill:HT:202603").last == 1
    assert (Bill.objects.count(), BillRun.objects.count()) == (1, 1)
    assert ledger_snapshot() == entries
    assert run().numbers == ("HT-202603-00002", "HT-202603-00002")
    assert bill_of(newcomer).number == "HT-202603-00002"


# --- charges in the ledger -------------------------------------------------------------


@pytest.mark.django_db
def test_each_bill_line_has_exactly_one_charge_entry_equal_to_its_amount():
    """STYLE §4 (the ledger is the record).
    Given a bill with a prorated property fee, a fixed fee and a supplied amount,
    when the run is done,
    then each line has one principal charge entry of its amount, dated the issue date."""
    account = office_account(start=dt.date(2026, 3, 11))
    add_line(contract_of(account), "ELV", FIXED, "350.00")
    add_line(contract_of(account), "WATER", SUPPLIED, "0")
    supply(account, "WATER", MARCH.start, "86.40")

    run(on=dt.date(2026, 3, 11))

    bill = bill_of(account)
    assert bill.lines.count() == 3
    for line in bill.lines.all():
        charges = Entry.objects.filter(bill_line=line)
        assert charges.count() == 1
        charge = charges.get()
        assert charge.kind == Entry.Kind.CHARGE
        assert charge.component == Entry.Component.PRINCIPAL
        assert (charge.amount, charge.bill_id, charge.account_id) == (
            line.amount,
            bill.pk,
            account.pk,
        )
        assert charge.fee_item_id == line.fee_item_id
        assert charge.entry_date == charge.value_date == dt.date(2026, 3, 11)
    assert Entry.objects.filter(account=account).count() == 3


@pytest.mark.django_db
def test_bill_total_is_the_sum_of_its_rounded_lines():
    """STYLE §3 (totals are sums of rounded lines).
    Given 10.00 m² at 2.4690 and a fixed 24.69, both for 15 of April's 30 days
    (12.345 each, 24.69 together before rounding),
    when the run is done,
    then each line is 12.35 and the total is their sum 24.70, not the rounded 24.69."""
    account = office_account(area="10.00", price="2.4690", start=dt.date(2026, 4, 16))
    add_line(contract_of(account), "ELV", FIXED, "24.69")

    run(APRIL, on=dt.date(2026, 4, 16))

    bill = bill_of(account, APRIL)
    lines = lines_by_code(bill)
    assert lines["PMF"].amount == half_up(Decimal("10.00") * Decimal("2.4690") * 15 / 30)
    assert lines["ELV"].amount == half_up(Decimal("24.69") * 15 / 30) == Decimal("12.35")
    assert bill.total == sum(line.amount for line in lines.values()) == Decimal("24.70")


# --- due dates of fixed-day contracts (E1, W1) -----------------------------------------


def fixed_day_account(**kwargs):
    return office_account(payment_term=Contract.Term.FIXED_DAY, **kwargs)


@pytest.mark.django_db
def test_the_rest_day_calendar_comes_from_chinese_calendar():
    """W1: the National Day holiday and its make-up workdays are data loaded by a migration."""
    assert chinese_calendar.is_holiday(dt.date(2026, 10, 1))
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10))  # a Saturday
    assert set(
        CalendarDay.objects.filter(
            calendar="CN", date__range=(dt.date(2026, 10, 1), dt.date(2026, 10, 7))
        ).values_list("is_workday", flat=True)
    ) == {False}
    assert CalendarDay.objects.get(calendar="CN", date=dt.date(2026, 10, 10)).is_workday


@pytest.mark.django_db
def test_fixed_day_contract_is_due_on_the_last_day_of_the_first_month():
    """E1 (fixed due day, policy default 0 = last day).
    Given a fixed-day contract without its own due day,
    when the September 2026 run is done,
    then the bill is due on Wednesday 30 September, set at issue."""
    account = fixed_day_account()
    september = Period.parse("2026-09")

    run(september, on=september.start)

    assert bill_of(account, september).due_date == dt.date(2026, 9, 30)


@pytest.mark.django_db
def test_fixed_due_date_on_a_weekend_moves_to_the_next_working_day():
    """E1 Beyond (art. 203), W1.
    Given a fixed-day contract and January 2026, whose last day is Saturday 31 January,
    when the run is done,
    then the bill is due on Monday 2 February."""
    account = fixed_day_account()
    january = Period.parse("2026-01")

    run(january, on=dt.date(2026, 1, 5))

    assert dt.date(2026, 1, 31).weekday() == 5
    assert bill_of(account, january).due_date == dt.date(2026, 2, 2)


@pytest.mark.django_db
def test_fixed_due_date_in_the_national_day_holiday_moves_after_it():
    """E1 Beyond, W1.
    Given a fixed-day contract due on day 1 and October 2026 (1–7 October are holidays),
    when the run is done,
    then the bill is due on Thursday 8 October."""
    account = fixed_day_account(fixed_due_day=1)
    october = Period.parse("2026-10")

    run(october, on=dt.date(2026, 9, 28))

    assert bill_of(account, october).due_date == dt.date(2026, 10, 8)


@pytest.mark.django_db
def test_fixed_due_date_on_a_make_up_workday_stays():
    """W1: a make-up workday (調休) is a working day although it is a Saturday.
    Given a fixed-day contract and February 2026, whose last day Saturday 28 February is
    a make-up workday,
    when the run is done,
    then the bill is due on 28 February."""
    account = fixed_day_account()
    february = Period.parse("2026-02")

    run(february, on=dt.date(2026, 2, 2))

    assert bill_of(account, february).due_date == dt.date(2026, 2, 28)


@pytest.mark.django_db
def test_fixed_due_day_beyond_the_end_of_a_short_month_is_its_last_day():
    """E1.
    Given a fixed-day contract due on day 31 and February 2026 (28 days),
    when the run is done,
    then the bill is due on 28 February (the month's last day, a make-up workday)."""
    account = fixed_day_account(fixed_due_day=31)
    february = Period.parse("2026-02")

    run(february, on=dt.date(2026, 2, 2))

    assert bill_of(account, february).due_date == dt.date(2026, 2, 28)


@pytest.mark.django_db
def test_project_policy_sets_the_default_fixed_due_day():
    """E1, STYLE §7 (policies are data).
    Given the project's fixed_due_day policy set to 15 and a contract without its own day,
    when the March 2026 run is done,
    then the bill is due on 15 March, a Sunday, moved to Monday 16 March."""
    account = fixed_day_account()
    PolicySetting.objects.create(
        key="fixed_due_day",
        project=ProjectFactory(),
        value="15",
        changed_by="admin",
        changed_at=timezone.now(),
    )

    run()

    assert bill_of(account).due_date == dt.date(2026, 3, 16)


@pytest.mark.django_db
def test_one_run_gives_each_contract_its_own_due_date():
    """E1.
    Given contracts due on the last day, due on day 10, and due after receipt,
    when the October 2026 run is done,
    then they are due on Monday 2 November (31 October is a Saturday), on 10 October
    (a Saturday but a make-up workday), and not yet."""
    last_day = fixed_day_account()
    tenth = fixed_day_account(fixed_due_day=10)
    after_receipt = office_account(payment_term=Contract.Term.AFTER_RECEIPT)
    october = Period.parse("2026-10")

    run(october, on=dt.date(2026, 9, 28))

    assert bill_of(last_day, october).due_date == dt.date(2026, 11, 2)
    assert bill_of(tenth, october).due_date == dt.date(2026, 10, 10)
    assert bill_of(after_receipt, october).due_date is None


@pytest.mark.django_db
def test_quarterly_fixed_day_bill_is_due_in_the_first_month_of_the_quarter():
    """E1 (“due at the end of the first month of the billing period”).
    Given a quarterly fixed-day contract,
    when the April 2026 run is done,
    then the quarter's bill is due on Thursday 30 April."""
    account = fixed_day_account(billing_cycle=Contract.Cycle.QUARTERLY)

    run(APRIL, on=APRIL.start)

    assert bill_of(account, APRIL).due_date == dt.date(2026, 4, 30)


@pytest.mark.django_db
def test_after_receipt_contract_has_no_due_date_at_issue():
    """E1: the due date of an after-receipt bill waits for its receipt date."""
    account = office_account(payment_term=Contract.Term.AFTER_RECEIPT)

    run()

    bill = bill_of(account)
    assert (bill.receipt_date, bill.due_date, bill.issue_date) == (None, None, ISSUED_ON)
