"""Each kind of data imported from CSV, XLSX and JSON (issue 3): what it creates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from wuye.billing.models import Bill, Contract, ContractLine, FeeItem, SuppliedAmount
from wuye.imports.models import ImportBatch
from wuye.imports.tests.helpers import (
    DATA,
    ON,
    import_all_csv,
    run,
    write_csv,
    write_json,
    write_xlsx,
)
from wuye.ledger.models import Entry
from wuye.properties.models import Account, Building, Contact, Customer, Organisation, Project, Unit

pytestmark = pytest.mark.django_db

EXPECTED_ROWS = {kind: len(rows) for kind, rows in DATA.items()}


def import_in(fmt: str, tmp_path) -> dict[str, tuple[int, int, int, int]]:
    """Import DATA in one format; the per-kind (rows, created, updated, unchanged)."""
    if fmt == "csv":
        results = import_all_csv(tmp_path)
        kinds = [k for r in results for k in r.kinds]
    else:
        path = write_xlsx(tmp_path) if fmt == "xlsx" else write_json(tmp_path)
        kinds = run(path).kinds
    return {k.kind: (k.rows, k.created, k.updated, k.unchanged) for k in kinds}


def assert_data_set_is_in_the_database() -> None:
    """What DATA means once imported (shared by the three formats)."""
    project = Project.objects.get(code="HT")
    assert (project.name, project.kind, project.time_zone) == (
        "匯通商業大廈",
        "office",
        "Asia/Shanghai",
    )
    assert project.organisation == Organisation.objects.get()
    assert Building.objects.get().code == "T1"
    unit = Unit.objects.get(code="HT-T1-0301")
    assert (unit.project, unit.number, unit.floor, unit.area, unit.kind, unit.occupancy) == (
        project,
        "0301",
        3,
        Decimal("100.00"),
        "office",
        "occupied",
    )
    assert Customer.objects.get(code="C002").role == "tenant"
    assert list(
        Contact.objects.filter(customer__code="C001")
        .order_by("name")
        .values_list("name", "is_designated")
    ) == [("張三", True), ("李四", False)]
    account = Account.objects.get(code="A-HT-T1-0301-20250101")
    assert (account.unit, account.customer.code, account.role, account.end_date) == (
        unit,
        "C001",
        "owner",
        None,
    )
    contract = Contract.objects.get(account=account)
    assert (contract.version, contract.effective_from, contract.payment_term) == (
        1,
        dt.date(2025, 1, 1),
        "after_receipt",
    )
    assert contract.late_fee_clause and contract.late_fee_rate == Decimal("0.0005")  # L1 policy
    assert sorted(
        (line.fee_item.code, line.basis, line.unit_price) for line in contract.lines.all()
    ) == [("ELEC", "supplied", Decimal("0")), ("PMF", "per_area", Decimal("25.00"))]
    fixed_day = Contract.objects.get(account__code="A-HT-T1-0302-20250101")
    assert (fixed_day.payment_term, fixed_day.fixed_due_day, fixed_day.late_fee_rate) == (
        "fixed_day",
        0,
        Decimal("0"),
    )
    supplied = SuppliedAmount.objects.get()
    assert (supplied.account, supplied.fee_item.code, supplied.period_start, supplied.amount) == (
        account,
        "ELEC",
        dt.date(2026, 3, 1),
        Decimal("86.40"),
    )
    assert sorted(Bill.objects.values_list("number", "source", "due_date", "total")) == [
        ("HT-OB202501-00001", "opening", dt.date(2025, 1, 31), Decimal("2500.00")),
        ("HT-OB202602-00001", "opening", dt.date(2026, 2, 28), Decimal("1250.00")),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_every_kind_is_imported_from_each_format(fmt, tmp_path):
    """Issue 3: projects, units, customers, contacts, accounts, contracts, supplied
    amounts and opening balances, from CSV (one file per kind), XLSX (one sheet per kind)
    and JSON (one key per kind).
    Given the data set in that format, when it is imported into an empty database,
    then every row is created and means the same whatever the format."""
    counts = import_in(fmt, tmp_path)

    assert counts == {
        "projects": (1, 1, 0, 0),
        "units": (2, 2, 0, 0),
        "customers": (2, 2, 0, 0),
        "contacts": (3, 3, 0, 0),
        "accounts": (2, 2, 0, 0),
        "contracts": (3, 2, 0, 0),  # three lines, two contract versions
        "supplied_amounts": (1, 1, 0, 0),
        "opening_balances": (2, 2, 0, 0),
    }
    assert_data_set_is_in_the_database()
    assert ImportBatch.objects.count() == (8 if fmt == "csv" else 1)


def test_the_batch_records_the_file_its_hash_and_what_it_did(tmp_path):
    """STYLE (an audit row for every state change).
    Given the data set as XLSX, when it is imported,
    then one ImportBatch names the file, its SHA-256, the actor, the import date and
    the counts per kind."""
    path = write_xlsx(tmp_path)
    import hashlib

    result = run(path)

    batch = ImportBatch.objects.get()
    assert result.batch == batch.pk
    assert (batch.file_name, batch.format, batch.actor, batch.import_date) == (
        "import.xlsx",
        "xlsx",
        "importer",
        ON,
    )
    assert batch.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert batch.counts["units"] == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    assert (batch.created, batch.updated, batch.unchanged) == (15, 0, 0)


def test_units_create_their_building_and_take_the_code_project_building_number(tmp_path):
    """Issue 3: unit code = PROJECT-BUILDING-NUMBER; a missing building is created.
    Given the project and a unit in a new building P with a building name,
    when the units are imported,
    then the building P exists with that name and the unit is HT-P-0001."""
    run(write_csv(tmp_path, "projects"))
    row = {
        "project_code": "HT",
        "building_code": "P",
        "building_name": "停車場",
        "number": "0001",
        "area": "12.5",
        "kind": "車位",
    }

    run(write_csv(tmp_path, "units", [row]))

    unit = Unit.objects.get(code="HT-P-0001")
    assert (unit.building.code, unit.building.name, unit.area) == ("P", "停車場", Decimal("12.50"))
    assert (unit.kind, unit.occupancy, unit.floor) == ("parking", "occupied", None)


def test_chinese_choice_labels_and_yes_no_words_are_accepted(tmp_path):
    """Issue 3 (Chinese accepted): 寫字樓/業主/是/否/季 read as office/owner/yes/no/3.
    Given the data set with Chinese values in the contracts, when imported,
    then the contract reads them as their codes."""
    rows = [
        dict(
            DATA["contracts"][0],
            basis="每平方米每月",
            payment_term="固定到期日",
            fixed_due_day="15",
            billing_cycle="季",
            late_fee_clause="否",
            segment="辦公",
        )
    ]
    import_all_csv(tmp_path, {k: v for k, v in DATA.items() if k != "contracts"})

    run(write_csv(tmp_path, "contracts", rows, name="c.csv"))

    contract = Contract.objects.get(account__code="A-HT-T1-0301-20250101")
    assert (contract.billing_cycle, contract.payment_term, contract.fixed_due_day) == (
        3,
        "fixed_day",
        15,
    )
    assert (contract.late_fee_clause, contract.late_fee_rate, contract.segment) == (
        False,
        Decimal("0"),
        "office",
    )


def test_fee_items_are_named_by_code_or_by_chinese_name(tmp_path):
    """Issue 3.
    Given a supplied amount for 共用電費公攤 (ELEC by its name),
    when imported, then it is the ELEC fee item."""
    import_all_csv(tmp_path, {k: v for k, v in DATA.items() if k != "supplied_amounts"})
    row = dict(DATA["supplied_amounts"][0], fee_item="共用電費公攤")

    run(write_csv(tmp_path, "supplied_amounts", [row], name="s.csv"))

    assert SuppliedAmount.objects.get().fee_item == FeeItem.objects.get(code="ELEC")


def test_opening_balance_lines_of_one_account_and_period_form_one_bill(tmp_path):
    """Issue 3, Money rules (tax = amount × r / (1 + r), half up).
    Given two opening-balance rows of HT-T1-0301 for 2025-01 (PMF 2500.00, ELEC 113.00),
    when imported,
    then one opening bill has both lines, fixed basis, one day count of January, the fee
    items' tax rates and the tax half up; each line has one principal charge booked on the
    import date with the original issue date as value date."""
    rows = [
        DATA["opening_balances"][0],
        dict(DATA["opening_balances"][0], fee_item="ELEC", amount="113.00"),
    ]
    import_all_csv(tmp_path, {k: v for k, v in DATA.items() if k != "opening_balances"})

    run(write_csv(tmp_path, "opening_balances", rows, name="o.csv"))

    bill = Bill.objects.get()
    assert (bill.number, bill.source, bill.original_number) == (
        "HT-OB202501-00001",
        "opening",
        "OLD-2501-0301",
    )
    assert (bill.contract, bill.run, bill.status) == (None, None, "issued")
    assert (bill.period_start, bill.period_end) == (dt.date(2025, 1, 1), dt.date(2025, 2, 1))
    assert (bill.issue_date, bill.due_date, bill.total) == (
        dt.date(2025, 1, 5),
        dt.date(2025, 1, 31),
        Decimal("2613.00"),
    )
    lines = {line.fee_item.code: line for line in bill.lines.select_related("fee_item")}
    pmf, elec = lines["PMF"], lines["ELEC"]
    assert (pmf.basis, pmf.quantity, pmf.unit_price, pmf.days, pmf.cycle_days) == (
        ContractLine.Basis.FIXED,
        Decimal("1.00"),
        Decimal("2500.00"),
        31,
        31,
    )
    assert (pmf.tax_rate, pmf.tax_amount) == (Decimal("0.0600"), Decimal("141.51"))
    assert (elec.tax_rate, elec.tax_amount) == (Decimal("0.1300"), Decimal("13.00"))
    for line in (pmf, elec):
        charge = Entry.objects.get(bill_line=line)
        assert (charge.kind, charge.component, charge.amount) == (
            "charge",
            "principal",
            line.amount,
        )
        assert (charge.entry_date, charge.value_date, charge.reason) == (
            ON,
            dt.date(2025, 1, 5),
            "opening balance",
        )


def test_opening_balance_without_issue_date_is_issued_on_the_periods_first_day(tmp_path):
    """Issue 3: issue date = original issue date or the period's first day."""
    import_all_csv(tmp_path)

    bill = Bill.objects.get(period_start=dt.date(2026, 2, 1))

    assert (bill.issue_date, bill.due_date, bill.original_number) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
        "",
    )
    assert Entry.objects.get(bill=bill).value_date == dt.date(2026, 2, 1)


def test_opening_balance_numbers_are_gapless_per_project_and_period_in_unit_order(tmp_path):
    """Issue 3: numbers {PROJECT}-OB{YYYYMM}-{NNNNN}, reserved like bill numbers.
    Given opening balances for 2025-01 of both units, imported in two files (0302 first),
    then 0302 is 00001 and 0301, imported later, is 00002."""
    import_all_csv(tmp_path, {k: v for k, v in DATA.items() if k != "opening_balances"})
    second = dict(DATA["opening_balances"][1], period="2025-01", original_due_date="2025-01-31")

    run(write_csv(tmp_path, "opening_balances", [second], name="o1.csv"))
    run(write_csv(tmp_path, "opening_balances", [DATA["opening_balances"][0]], name="o2.csv"))

    assert sorted(Bill.objects.values_list("account__unit__code", "number")) == [
        ("HT-T1-0301", "HT-OB202501-00002"),
        ("HT-T1-0302", "HT-OB202501-00001"),
    ]


def test_a_new_organisation_is_made_only_if_there_is_none(tmp_path):
    """Issue 3: a single Organisation is created if none exists; otherwise projects join
    the existing one."""
    existing = Organisation.objects.create(code="WY", name="物業公司")

    run(write_csv(tmp_path, "projects"))

    assert Project.objects.get(code="HT").organisation == existing
    assert Organisation.objects.count() == 1


SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "import"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_sample_files_import_cleanly_and_twice_change_nothing(fmt):
    """docs/import.md: the samples in samples/import are a working layout.
    Given the sample CSVs (in their numbered order), workbook or JSON,
    when imported into an empty database and then again,
    then they create the same data each way and the second time nothing changes."""
    paths = sorted(SAMPLES.glob("*.csv")) if fmt == "csv" else [SAMPLES / f"all.{fmt}"]

    first = [k for path in paths for k in run(path).kinds]
    again = [k for path in paths for k in run(path).kinds]

    assert {k.kind: (k.rows, k.created) for k in first} == {
        "projects": (2, 2),
        "units": (5, 5),
        "customers": (5, 5),
        "contacts": (6, 6),
        "accounts": (6, 6),
        "contracts": (11, 7),
        "supplied_amounts": (2, 2),
        "opening_balances": (6, 4),
    }
    assert all(k.created == k.updated == 0 and k.unchanged for k in again)
    assert Contract.objects.filter(account__code="A-HT-T1-0301-20240101").count() == 2
    assert sorted(Bill.objects.values_list("number", "total")) == [
        ("CY-OB202501-00001", Decimal("282.24")),
        ("CY-OB202502-00001", Decimal("282.24")),
        ("CY-OB202506-00001", Decimal("286.58")),
        ("HT-OB202512-00001", Decimal("3072.75")),
    ]
    assert Bill.objects.get(number="CY-OB202506-00001").account.customer.code == "C0005"
