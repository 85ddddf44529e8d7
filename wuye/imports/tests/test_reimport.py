"""Re-importing (issue 3): the same file changes nothing; changes update master data by
its stable keys; a price change is a new contract version; a dry run writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from wuye.billing.models import Bill, Contract
from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.imports.models import ImportBatch
from wuye.imports.tests.helpers import (
    DATA,
    counts,
    import_all_csv,
    run,
    snapshot,
    with_rows,
    write_csv,
    write_json,
    write_xlsx,
)
from wuye.properties.models import Account, Contact, Customer, Project, Unit

pytestmark = pytest.mark.django_db

MARCH = Period.parse("2026-03")
APRIL = Period.parse("2026-04")


def by_kind(result) -> dict[str, tuple[int, int, int]]:
    return {k.kind: (k.created, k.updated, k.unchanged) for k in result.kinds}


def bill_run(period: Period, on: dt.date | None = None):
    return issue_bills_for_project(
        project=Project.objects.get(code="HT"), period=period, on=on or period.start, actor="t"
    )


@pytest.mark.parametrize("fmt", ["xlsx", "json"])
def test_reimporting_the_same_file_changes_nothing(tmp_path, fmt):
    """Issue 3 (idempotence; STYLE §10 "run it twice, nothing changes").
    Given the whole data set imported from one file,
    when the same file is imported again (a day later),
    then every row is unchanged, no row of any table differs, and no batch is written."""
    path = write_xlsx(tmp_path) if fmt == "xlsx" else write_json(tmp_path)
    run(path)
    before, rows = counts(), snapshot()

    again = run(path, on=dt.date(2026, 3, 2))

    assert (again.created, again.updated) == (0, 0)
    assert by_kind(again) == {
        "projects": (0, 0, 1),
        "units": (0, 0, 2),
        "customers": (0, 0, 2),
        "contacts": (0, 0, 3),
        "accounts": (0, 0, 2),
        "contracts": (0, 0, 2),
        "supplied_amounts": (0, 0, 1),
        "opening_balances": (0, 0, 2),
    }
    assert again.batch is None
    assert counts() == before
    assert snapshot() == rows
    assert ImportBatch.objects.count() == 1


def test_reimporting_every_csv_changes_nothing(tmp_path):
    """Issue 3 (idempotence), one CSV per kind."""
    import_all_csv(tmp_path)
    before, rows = counts(), snapshot()

    results = import_all_csv(tmp_path)

    assert sum(r.created + r.updated for r in results) == 0
    assert (counts(), snapshot()) == (before, rows)


def test_changed_unit_area_and_customer_name_update_in_place(tmp_path):
    """Issue 3: units and customers are master data, updated in place by their keys.
    Given the data set imported, when units come again with 0301 at 101.50 m² and the
    customers with C002 renamed,
    then those two rows are updated (same ids), the others unchanged, nothing created."""
    import_all_csv(tmp_path)
    unit_id = Unit.objects.get(code="HT-T1-0301").pk

    units = run(write_csv(tmp_path, "units", with_rows("units", {"area": "101.50"})["units"]))
    customers = run(
        write_csv(
            tmp_path,
            "customers",
            with_rows("customers", None, {"name": "信義科技股份有限公司"})["customers"],
        )
    )

    assert by_kind(units) == {"units": (0, 1, 1)}
    assert by_kind(customers) == {"customers": (0, 1, 1)}
    unit = Unit.objects.get(code="HT-T1-0301")
    assert (unit.pk, unit.area) == (unit_id, Decimal("101.50"))
    assert Customer.objects.get(code="C002").name == "信義科技股份有限公司"
    assert Unit.objects.count() == 2 and Customer.objects.count() == 2


def test_an_empty_optional_cell_keeps_the_value_it_had(tmp_path):
    """docs/import.md: an empty cell of an optional column leaves the value as it is (a
    sparse sheet of changes does not wipe what it leaves out).
    Given unit 0301 on floor 3, when units come again with the floor column empty,
    then the unit is unchanged."""
    import_all_csv(tmp_path)

    result = run(write_csv(tmp_path, "units", with_rows("units", {"floor": ""})["units"]))

    assert by_kind(result) == {"units": (0, 0, 2)}
    assert Unit.objects.get(code="HT-T1-0301").floor == 3


def test_a_move_out_and_the_next_tenant_come_in_one_file(tmp_path):
    """RULES "Account": the owner's account gets its end date (last day, inclusive) and
    the new tenant's account starts the day after; both are keyed by unit + customer +
    start date, and the new one's code is A-{unit}-{start}."""
    import_all_csv(tmp_path)
    rows = [
        dict(DATA["accounts"][0], end_date="2026-03-31"),
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C002",
            "role": "tenant",
            "start_date": "2026-04-01",
        },
    ]

    result = run(write_csv(tmp_path, "accounts", rows))

    assert by_kind(result) == {"accounts": (1, 1, 0)}
    assert list(
        Account.objects.filter(unit__code="HT-T1-0301")
        .order_by("start_date")
        .values_list("code", "customer__code", "end_date")
    ) == [
        ("A-HT-T1-0301-20250101", "C001", dt.date(2026, 3, 31)),
        ("A-HT-T1-0301-20260401", "C002", None),
    ]


def test_a_newly_designated_contact_takes_the_designation_from_the_old_one(tmp_path):
    """Rule B1 (one designated contact per customer).
    Given 張三 designated for C001, when a contacts file designates 李四 only,
    then 李四 is designated and 張三 no longer is; both count as updated."""
    import_all_csv(tmp_path)

    result = run(write_csv(tmp_path, "contacts", [dict(DATA["contacts"][1], designated="是")]))

    assert by_kind(result) == {"contacts": (0, 2, 0)}
    assert list(
        Contact.objects.filter(customer__code="C001", is_designated=True).values_list(
            "name", flat=True
        )
    ) == ["李四"]


def test_a_price_change_is_a_new_contract_version_from_its_effective_date(tmp_path):
    """Issue 3: a price change becomes a new contract version with its effective date,
    never an edit of history.
    Given PMF at 25.00 from 2025-01-01 and March 2026 billed,
    when contracts come with PMF at 28.00 from 2026-04-01 (the ELEC line unchanged),
    then version 2 is created, version 1 is untouched, and the April run bills
    100 m² × 28.00 while the March bill stays at 25.00."""
    import_all_csv(tmp_path)
    bill_run(MARCH)
    v1 = Contract.objects.get(account__code="A-HT-T1-0301-20250101")
    v1_before = snapshot()["Contract"]
    rows = [
        dict(DATA["contracts"][0], effective_from="2026-04-01", unit_price="28.00"),
        dict(DATA["contracts"][1], effective_from="2026-04-01"),
    ]

    result = run(write_csv(tmp_path, "contracts", rows, name="price.csv"), on=dt.date(2026, 3, 20))
    bill_run(APRIL)

    assert by_kind(result) == {"contracts": (1, 0, 0)}
    versions = Contract.objects.filter(account=v1.account).order_by("version")
    assert [(c.version, c.effective_from) for c in versions] == [
        (1, dt.date(2025, 1, 1)),
        (2, dt.date(2026, 4, 1)),
    ]
    assert all(row in snapshot()["Contract"] for row in v1_before)  # v1 as it was
    v2 = versions[1]
    assert v2.reason == "import price.csv" and v2.created_by == "importer"
    assert {(line.fee_item.code, line.unit_price) for line in v2.lines.all()} == {
        ("PMF", Decimal("28.00")),
        ("ELEC", Decimal("0")),
    }
    bills = Bill.objects.filter(account=v1.account, source="run").order_by("period_start")
    assert [(b.period_start, b.total, b.contract.version) for b in bills] == [
        (MARCH.start, Decimal("2586.40"), 1),  # 2500.00 + ELEC 86.40 supplied for March
        (APRIL.start, Decimal("2800.00"), 2),
    ]


def test_versions_new_in_one_file_are_numbered_in_effective_date_order(tmp_path):
    """Issue 3 (version = max + 1): two new versions in one file, listed latest first."""
    import_all_csv(tmp_path)
    rows = [
        dict(DATA["contracts"][2], effective_from="2027-01-01", unit_price="30.00"),
        dict(DATA["contracts"][2], effective_from="2026-07-01", unit_price="27.00"),
    ]

    run(write_csv(tmp_path, "contracts", rows, name="two.csv"))

    assert list(
        Contract.objects.filter(account__code="A-HT-T1-0302-20250101")
        .order_by("version")
        .values_list("version", "effective_from", "lines__unit_price")
    ) == [
        (1, dt.date(2025, 1, 1), Decimal("25.00")),
        (2, dt.date(2026, 7, 1), Decimal("27.00")),
        (3, dt.date(2027, 1, 1), Decimal("30.00")),
    ]


def test_dry_run_reports_what_the_import_does_and_writes_nothing(tmp_path):
    """Issue 3: --dry-run validates and reports without writing (STYLE §6: the same code
    without the write).
    Given the data set as XLSX, when it is imported with dry_run, nothing is written and
    the counts are those the real import then reports."""
    path = write_xlsx(tmp_path)
    before, rows = counts(), snapshot()

    dry = run(path, dry_run=True)

    assert (counts(), snapshot()) == (before, rows)
    assert dry.batch is None and dry.dry_run
    real = run(path)
    assert by_kind(dry) == by_kind(real)
    assert real.created == 15


def test_dry_run_of_changes_reports_updates_without_writing(tmp_path):
    import_all_csv(tmp_path)
    rows = snapshot()

    dry = run(
        write_csv(tmp_path, "units", with_rows("units", {"area": "99.99"})["units"]), dry_run=True
    )

    assert by_kind(dry) == {"units": (0, 1, 1)}
    assert snapshot() == rows
