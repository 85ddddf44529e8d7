"""All or nothing (issue 3): a file with any bad row is refused whole, with one error per
bad row and column, and nothing is written — not even its good rows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from wuye.billing.services import issue_bills_for_project
from wuye.dates import Period
from wuye.errors import WuyeError
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
from wuye.properties.models import Project

pytestmark = pytest.mark.django_db


def refused(path, **kwargs) -> list[tuple]:
    """Import a file that must be refused; check nothing was written; return its errors
    as (sheet, row, column, message) tuples."""
    before, rows = counts(), snapshot()
    with pytest.raises(WuyeError) as raised:
        run(path, **kwargs)
    error = raised.value
    assert error.code == "import_refused"
    assert error.message.endswith("nothing written")
    assert counts() == before
    assert snapshot() == rows
    return [(e["sheet"], e["row"], e["column"], e["message"]) for e in error.details["errors"]]


def only_kind(kind: str, rows: list[dict]) -> dict:
    return {kind: rows}


@pytest.fixture
def master(tmp_path):
    """Projects, units, customers, contacts and accounts in the database."""
    keep = ["projects", "units", "customers", "contacts", "accounts"]
    (tmp_path / "master").mkdir()
    import_all_csv(tmp_path / "master", {k: DATA[k] for k in keep})


# --- each class of bad cell ----------------------------------------------------------


CELL_CASES = [
    # kind, change to its first row, column header (Chinese, as written), message
    ("units", {"area": "abc"}, "面積", "'abc' is not a number"),
    ("units", {"area": "-5"}, "面積", "-5 is negative"),
    ("units", {"area": "12.345"}, "面積", "12.345 has more than 2 decimals (分)"),
    ("units", {"area": ""}, "面積", "missing required value"),
    ("units", {"kind": "hotel"}, "單元類型", "'hotel' is not one of office, residential, shop"),
    ("units", {"floor": "3.5"}, "樓層", "'3.5' is not a whole number"),
    ("units", {"number": "03 01"}, "單元號", "'03 01' is not a code (no spaces)"),
    ("units", {"project_code": "XX"}, "項目編號", "unknown project 'XX'"),
    ("accounts", {"start_date": "2025-02-30"}, "開始日期", "'2025-02-30' is not a date"),
    ("accounts", {"unit_code": "HT-T9-0101"}, "單元編號", "unknown unit 'HT-T9-0101'"),
    ("accounts", {"customer_code": "C999"}, "客戶編號", "unknown customer 'C999'"),
    ("accounts", {"end_date": "2024-12-31"}, "結束日期", "2024-12-31 is before the start date"),
    ("contacts", {"designated": "maybe"}, "指定負責人", "'maybe' is not yes or no"),
    ("contracts", {"fee_item": "GAS"}, "收費項目", "unknown fee item 'GAS'"),
    ("contracts", {"basis": "per_head"}, "計費方式", "'per_head' is not one of per_area"),
    ("contracts", {"unit_price": ""}, "單價", "missing required value (basis per_area)"),
    (
        "contracts",
        {"late_fee_rate": "0.0005", "late_fee_clause": "no"},
        "違約金日率",
        "needs a late-fee clause",
    ),
    ("contracts", {"billing_cycle": "2"}, "收費週期", "'2' is not one of 1, 3, 12"),
    ("contracts", {"fixed_due_day": "5"}, "固定到期日", "only for payment term fixed_day"),
    ("supplied_amounts", {"amount": "86.405"}, "金額", "86.405 has more than 2 decimals (分)"),
    ("supplied_amounts", {"amount": "-1.00"}, "金額", "-1.00 is negative"),
    ("supplied_amounts", {"amount": "1000000000000"}, "金額", "is larger than 999999999999.99"),
    ("supplied_amounts", {"period": "2026-13"}, "期間", "'2026-13' is not a month (YYYY-MM)"),
    ("opening_balances", {"amount": "0"}, "金額", "0 must be more than 0"),
    ("opening_balances", {"original_due_date": ""}, "原到期日", "missing required value"),
    (
        "opening_balances",
        {"original_due_date": "2025-01-01"},
        "原到期日",
        "is before the bill's issue date",
    ),
    ("opening_balances", {"unit_code": "HT-T1-9999"}, "單元編號", "unknown unit 'HT-T1-9999'"),
]


@pytest.mark.parametrize(
    ("kind", "change", "column", "message"),
    CELL_CASES,
    ids=[f"{c[0]}-{next(iter(c[1]))}-{c[1][next(iter(c[1]))] or 'empty'}" for c in CELL_CASES],
)
def test_a_bad_cell_refuses_the_file_naming_row_and_column(
    tmp_path, master, kind, change, column, message
):
    """Issue 3 (all or nothing; wrong type, missing value, unknown fee item / unit /
    customer / project, negative area, more than 2 decimals, negative, too large).
    Given a CSV of this kind whose first data row (row 2) has the bad value and whose
    other rows are good, when it is imported,
    then it is refused with one error naming row 2 and the column as written, and
    nothing is written."""
    rows = with_rows(kind, change)[kind]
    path = write_csv(tmp_path, kind, rows, name="bad.csv")

    errors = refused(path)

    assert len(errors) == 1, errors
    sheet, row, header, text = errors[0]
    assert (sheet, row, header) == (kind, 2, column)
    assert message in text


def test_every_bad_row_and_column_is_reported_at_once(tmp_path, master):
    """Issue 3: one error per bad row and column, all in one refusal.
    Given units with a bad area in row 2 and a bad kind and floor in row 3,
    then three errors are reported, in file order."""
    rows = with_rows("units", {"area": "x"}, {"kind": "castle", "floor": "high"})["units"]

    errors = refused(write_csv(tmp_path, "units", rows, name="bad.csv"))

    assert [(row, column) for _, row, column, _ in errors] == [
        (2, "面積"),
        (3, "樓層"),
        (3, "單元類型"),
    ]


def test_good_rows_of_a_refused_file_are_not_written(tmp_path):
    """Issue 3 (all or nothing).
    Given the whole data set as one XLSX into an empty database, with one bad opening
    balance (the last sheet),
    then nothing at all is written: no project, unit, customer, account or contract."""
    data = with_rows("opening_balances", None, {"amount": "12.3456"})

    errors = refused(write_xlsx(tmp_path, data))

    assert errors == [("期初欠費", 3, "金額", "12.3456 has more than 2 decimals (分)")]
    assert not Project.objects.exists()


def test_a_missing_required_column_is_reported_once_on_the_header_row(tmp_path, master):
    """Issue 3.
    Given units without the area column, then one error names row 1 and 面積."""
    rows = [{k: v for k, v in r.items() if k != "area"} for r in DATA["units"]]

    errors = refused(write_csv(tmp_path, "units", rows, name="bad.csv", language="zh-hant"))

    assert errors == [("units", 1, "面積", "a required column is missing")]


def test_an_unknown_column_is_refused_but_a_notes_column_is_ignored(tmp_path, master):
    """Issue 3 (a typo in a header must not be silently dropped; 備註 is free text)."""
    path = tmp_path / "bad.csv"
    path.write_text(
        "項目編號,樓座編號,單元號,面積,單元類型,備註,colour\r\n"
        "HT,T1,0301,100.00,office,corner,blue\r\n",
        encoding="utf-8",
    )

    errors = refused(path)

    assert errors == [("units", 1, "colour", "unknown column for units")]


# --- keys and history ------------------------------------------------------------------


def test_a_duplicate_key_within_the_file_is_refused_naming_both_rows(tmp_path, master):
    """Issue 3 (duplicate key). Given unit 0301 in rows 2 and 3, then row 3 is refused."""
    rows = [DATA["units"][0], dict(DATA["units"][0], area="99.00")]

    errors = refused(write_csv(tmp_path, "units", rows, name="bad.csv"))

    assert errors == [("units", 3, "單元號", "duplicate: row 2 has the same unit HT-T1-0301")]


def test_a_duplicate_across_two_sheets_names_the_other_sheet(tmp_path, master):
    """Issue 3: an XLSX may split a kind over sheets named in either language."""
    path = write_xlsx(
        tmp_path,
        {"customers": DATA["customers"], "customers ": DATA["customers"][:1]},
        sheets={"customers": "客戶", "customers ": "customers"},
    )

    errors = refused(path)

    assert errors == [
        ("customers", 2, "客戶編號", "duplicate: 客戶 row 2 has the same customer code")
    ]


def test_two_designated_contacts_for_one_customer_are_refused(tmp_path, master):
    """Rule B1: at most one designated contact per customer."""
    rows = with_rows("contacts", None, {"designated": "是"})["contacts"]

    errors = refused(write_csv(tmp_path, "contacts", rows, name="bad.csv"))

    assert errors == [
        (
            "contacts",
            3,
            "指定負責人",
            "customer C001 already has a designated contact in row 2: at most one (B1)",
        )
    ]


def test_overlapping_accounts_of_one_unit_are_refused(tmp_path, master):
    """RULES "Account": one payer per unit at a time.
    Given a new tenant of HT-T1-0301 from 2026-04-01 while the owner's account is open,
    then the row is refused, asking for the earlier account's end date."""
    rows = [dict(DATA["accounts"][1], unit_code="HT-T1-0301", start_date="2026-04-01")]

    errors = refused(write_csv(tmp_path, "accounts", rows, name="bad.csv"))

    assert len(errors) == 1
    assert errors[0][:3] == ("accounts", 2, "開始日期")
    assert errors[0][3].startswith("overlaps account A-HT-T1-0301-20250101 (2025-01-01 – open)")


def test_a_contract_change_on_the_same_effective_date_is_refused(tmp_path, master):
    """Issue 3: history is never edited; a change needs a new effective date.
    Given the contracts imported, when the same version comes with PMF at 26.00,
    then it is refused naming the row and the price column."""
    run(write_csv(tmp_path, "contracts"))
    rows = with_rows("contracts", {"unit_price": "26.00"})["contracts"]

    errors = refused(write_csv(tmp_path, "contracts", rows, name="bad.csv"))

    assert len(errors) == 1
    sheet, row, column, message = errors[0]
    assert (sheet, row, column) == ("contracts", 2, "單價")
    assert message == (
        "version 1 of A-HT-T1-0301-20250101 from 2025-01-01 has 25.0000 for PMF:"
        " a change needs a new effective date: history is never edited"
    )


def test_rows_of_one_contract_version_must_agree_on_its_terms(tmp_path, master):
    """Issue 3: rows with the same account and effective date form one version."""
    rows = with_rows("contracts", None, {"segment": "residential"})["contracts"]

    errors = refused(write_csv(tmp_path, "contracts", rows, name="bad.csv"))

    assert [(r, c) for _, r, c, _ in errors] == [(3, "客戶類別")]
    assert errors[0][3].startswith("differs from row 2 of the same contract version")


def test_a_new_version_inside_a_billed_period_is_refused(tmp_path, master):
    """Issue 3, D1: a bill already issued is never recomputed, so a version that would
    have changed it is refused. Given March 2026 billed, a version from 2026-03-15 is
    refused; one from 2026-04-01 would be accepted."""
    run(write_csv(tmp_path, "contracts"))
    issue_bills_for_project(
        project=Project.objects.get(),
        period=Period.parse("2026-03"),
        on=dt.date(2026, 3, 2),
        actor="t",
    )
    rows = [
        dict(DATA["contracts"][0], effective_from="2026-03-15", unit_price="28.00"),
        dict(DATA["contracts"][1], effective_from="2026-03-15"),
    ]

    errors = refused(write_csv(tmp_path, "contracts", rows, name="bad.csv"))

    assert errors[0][:3] == ("contracts", 2, "生效日期")
    assert "is billed up to 2026-03-31" in errors[0][3]


def test_a_different_supplied_amount_for_the_same_period_is_refused(tmp_path, master):
    """Issue 3: same value = unchanged; a different value for an existing one = error."""
    run(write_csv(tmp_path, "contracts"))
    run(write_csv(tmp_path, "supplied_amounts"))
    rows = [dict(DATA["supplied_amounts"][0], amount="90.00")]

    errors = refused(write_csv(tmp_path, "supplied_amounts", rows, name="bad.csv"))

    assert errors == [
        (
            "supplied_amounts",
            2,
            "金額",
            "ELEC of A-HT-T1-0301-20250101 for 2026-03 was supplied as 86.40:"
            " a supplied amount is never changed by import",
        )
    ]


def test_a_supplied_amount_for_a_billed_period_is_refused(tmp_path, master):
    """docs/billing.md: a supplied amount after its bill would never be billed."""
    run(write_csv(tmp_path, "contracts"))
    issue_bills_for_project(
        project=Project.objects.get(),
        period=Period.parse("2026-03"),
        on=dt.date(2026, 3, 2),
        actor="t",
    )

    errors = refused(write_csv(tmp_path, "supplied_amounts", name="bad.csv"))

    assert errors[0][:3] == ("supplied_amounts", 2, "期間")
    assert "is already issued (HT-202603-00001)" in errors[0][3]


def test_an_opening_balance_differing_from_the_imported_one_is_refused(tmp_path, master):
    """Issue 3: an existing live bill for that account and period with different content
    is an error; an opening balance is never edited (void it, D1)."""
    run(write_csv(tmp_path, "opening_balances"))
    rows = with_rows("opening_balances", {"amount": "2400.00"})["opening_balances"]

    errors = refused(write_csv(tmp_path, "opening_balances", rows, name="bad.csv"))

    assert len(errors) == 1
    assert errors[0][:3] == ("opening_balances", 2, "期間")
    assert errors[0][3].startswith(
        "A-HT-T1-0301-20250101 already has bill HT-OB202501-00001 for 2025-01, with other content"
    )


def test_an_opening_balance_for_a_period_billed_by_wuye_is_refused(tmp_path, master):
    """Issue 3 (no double billing): a period wuye billed is not an opening balance."""
    run(write_csv(tmp_path, "contracts"))
    issue_bills_for_project(
        project=Project.objects.get(),
        period=Period.parse("2026-03"),
        on=dt.date(2026, 3, 2),
        actor="t",
    )
    rows = [
        dict(
            DATA["opening_balances"][0],
            period="2026-03",
            original_due_date="2026-03-31",
            original_issue_date="",
        )
    ]

    errors = refused(write_csv(tmp_path, "opening_balances", rows, name="bad.csv"))

    assert "already has bill HT-202603-00001 for 2026-03, issued by wuye" in errors[0][3]


def test_an_opening_balance_for_a_unit_without_an_account_then_is_refused(tmp_path, master):
    """Issue 3: the account is the unit's account in the period; none → error."""
    rows = [
        dict(
            DATA["opening_balances"][0],
            period="2024-06",
            original_issue_date="",
            original_due_date="2024-06-30",
        )
    ]

    errors = refused(write_csv(tmp_path, "opening_balances", rows, name="bad.csv"))

    assert errors == [("opening_balances", 2, "期間", "unit HT-T1-0301 has no account in 2024-06")]


def test_a_bad_unit_row_is_reported_once_not_again_by_the_rows_that_refer_to_it(tmp_path):
    """Issue 3: one error per bad row; an account of a refused unit is not a second one."""
    data = with_rows("units", {"area": "-1"})

    errors = refused(write_xlsx(tmp_path, data))

    assert [(s, r, c) for s, r, c, _ in errors] == [("單元", 2, "面積")]


# --- kinds and formats ------------------------------------------------------------------


def test_a_json_amount_written_as_a_float_is_refused_as_the_wrong_type(tmp_path, master):
    """Issue 3, Money rules: amounts in JSON are strings or integers, never floats.
    Given a supplied amount 86.4 (a JSON number with a fraction) and one 90 (an integer),
    then the float is refused and the integer would have been accepted."""
    run(write_csv(tmp_path, "contracts"))
    path = tmp_path / "bad.json"
    path.write_text(
        '{"supplied_amounts": ['
        '{"unit_code": "HT-T1-0301", "period": "2026-03", "fee_item": "ELEC", "amount": 86.4},'
        '{"unit_code": "HT-T1-0302", "period": "2026-03", "fee_item": "ELEC", "amount": 90}]}',
        encoding="utf-8",
    )

    errors = refused(path)

    assert errors == [
        (
            "supplied_amounts",
            1,
            "amount",
            '86.4 is a JSON number with a fraction: write it as a string, e.g. "86.4"',
        )
    ]


def test_an_unknown_kind_is_refused_in_each_format(tmp_path, master):
    """Issue 3 (unknown kind): a JSON key, an XLSX sheet whose name and columns fit no
    kind, a CSV whose columns fit no kind, and a --kind that names none."""
    path = write_json(tmp_path, {"tenants": [{"name": "x"}]})
    assert refused(path)[0][:2] == ("tenants", None)
    assert refused(path)[0][3].startswith("unknown kind of data")

    book = write_xlsx(
        tmp_path, {"units": [{"colour": "blue", "size": "L"}]}, sheets={"units": "Sheet1"}
    )
    sheet, row, _, message = refused(book)[0]
    assert (sheet, row) == ("Sheet1", 1)
    assert message.startswith("the columns fit no kind of data")

    csv_path = tmp_path / "odd.csv"
    csv_path.write_text("colour,size\r\nblue,L\r\n", encoding="utf-8")
    assert "give --kind" in refused(csv_path)[0][3]

    errors = refused(write_csv(tmp_path, "units"), kind="tenants")
    assert errors[0][3].startswith("unknown kind 'tenants'")


def test_kind_is_detected_from_csv_headers_and_can_be_given(tmp_path, master):
    """Issue 3: a CSV's kind comes from its columns, or from --kind.
    Given supplied amounts (whose columns are a subset of an opening balance's),
    then they are read as supplied amounts; --kind opening_balances makes them opening
    balances missing their due date column."""
    run(write_csv(tmp_path, "contracts"))
    path = write_csv(tmp_path, "supplied_amounts")

    errors = refused(path, kind="期初欠費")

    assert errors == [("opening_balances", 1, "原到期日", "a required column is missing")]
    assert run(path).kinds[0].kind == "supplied_amounts"


def test_an_old_xls_workbook_and_a_broken_xlsx_are_refused(tmp_path):
    """Issue 3: XLSX, CSV and JSON only."""
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")

    assert refused(old)[0][3] == "an old .xls workbook: save it as .xlsx or CSV"
    assert refused(broken)[0][3].startswith("not a readable XLSX workbook")


def test_invalid_json_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"units": [\n{"area": "1"},\n}', encoding="utf-8")

    errors = refused(path)

    assert errors[0][1] == 3 and errors[0][3].startswith("not valid JSON")


def test_dry_run_of_a_bad_file_is_refused_the_same_way(tmp_path, master):
    """Issue 3: --dry-run validates and reports."""
    rows = with_rows("units", {"area": "-1"})["units"]
    path = write_csv(tmp_path, "units", rows, name="bad.csv")

    assert refused(path, dry_run=True) == refused(path)


def test_a_json_row_that_is_not_an_object_and_a_nested_value_are_refused(tmp_path, master):
    data = {"customers": ["C003", dict(DATA["customers"][0], name=["a", "b"])]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    errors = refused(path)

    assert [(s, r, c) for s, r, c, _ in errors] == [
        ("customers", 1, None),
        ("customers", 2, "name"),
    ]
