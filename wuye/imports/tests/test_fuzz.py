"""Fuzzing the importer with hypothesis (issue 8, bad input; docs/import.md "All or
nothing").

Every generated bad file must be refused with `import_refused`, each error naming where
(the sheet or kind, the row as a spreadsheet shows it, the column header as written) and
why in English and Chinese, and nothing may be written: the row counts of every wuye
table are the same before and after. Cases: a bad cell of each column (wrong type,
negative, too many decimals, too large, unknown choice, bad date, too long, control
characters), duplicate keys, unknown units, customers and fee items, missing required
columns, JSON values of the wrong type, random bytes as CSV, XLSX and JSON, text in the
wrong encoding, a file with many rows and a huge cell. Valid GBK, GB18030 and Big5 files
(Simplified names in GBK/GB18030, Traditional in Big5, a character only GB18030 has) are
read back exactly.

The number of cases run is counted per test and printed (and asserted) by the last test
of the module, for the issue's note."""

from __future__ import annotations

import json
import string
from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wuye.errors import WuyeError
from wuye.imports import readers, schema
from wuye.imports.tests.helpers import (
    DATA,
    counts,
    csv_bytes,
    header,
    import_all_csv,
    run,
    write_json,
    write_xlsx,
)
from wuye.properties.models import Customer

pytestmark = pytest.mark.django_db

CASES: Counter = Counter()  # examples run per test: the figure for the note
FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same cases on every run: CI does not flicker
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # `master` is read only by each example
        HealthCheck.filter_too_much,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
FORMATS = ["csv", "xlsx", "json"]
# Kinds of which one row can be fuzzed while the master data below is in the database.
FUZZED_KINDS = [k for k in DATA if k != "projects"]
MASTER = ["projects", "units", "customers", "contacts", "accounts"]


@pytest.fixture
def master(tmp_path):
    """Projects, units, customers, contacts and accounts in the database (as
    test_bad_input), so that rows of every kind can refer to them."""
    (tmp_path / "master").mkdir()
    import_all_csv(tmp_path / "master", {k: DATA[k] for k in MASTER})


def write(tmp_path, fmt: str, kind: str, rows: list[dict], *, name="fuzz") -> tuple:
    """The rows of one kind in a file of the format, with the sheet and header language
    an error names, and the row number of the first data row."""
    if fmt == "csv":
        path = tmp_path / f"{name}.csv"
        path.write_bytes(csv_bytes(kind, rows))
        return path, kind, "zh-hant", 2
    if fmt == "xlsx":
        path = write_xlsx(tmp_path, {kind: rows}, name=f"{name}.xlsx")
        return path, schema.kind_named(kind).zh, "zh-hant", 2
    path = write_json(tmp_path, {kind: rows}, name=f"{name}.json")
    return path, kind, "en", 1


def refused(path, **kwargs) -> list[dict]:
    """Import a file that must be refused; nothing may be written; its errors."""
    before = counts()
    with pytest.raises(WuyeError) as raised:
        run(path, **kwargs)
    error = raised.value
    assert error.code == "import_refused", error.as_dict()
    assert error.message.endswith("nothing written")
    assert counts() == before
    errors = error.details["errors"]
    assert errors
    for e in errors:
        assert e["message"] and e["message_zh"], e
        assert len(e["message"]) < 400, e  # a huge cell is not quoted whole
    return errors


def as_read(fmt: str, value):
    """What the reader hands a cell parser for a value written in the format."""
    if fmt == "json":
        return readers._value(
            json.loads(
                json.dumps(value), parse_float=schema.JsonFloat, parse_constant=schema.JsonFloat
            )
        )
    return readers._value(str(value))


def fails(column: schema.Column, value) -> bool:
    if value is None:
        return False
    try:
        column.parse(value)
    except schema.CellError:
        return True
    return False


# --- strategies ---------------------------------------------------------------------------

TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=24,
)
ODD = [
    "NaN", "Infinity", "-0.001", "1e20", "999999999999999", "１２.３４５", "2025-02-30",
    "2026-13", "2026-00", "maybe", "是否", "--", "a\x01b", "tab\x7f", "0301 A", "x" * 301,
    "1,2,3.4.5", "1_000", "٣", "12:30", "2026-03-01T10:00",
]  # fmt: skip
JUNK = st.one_of(
    TEXT,
    st.text(st.characters(categories=["L"]), min_size=1, max_size=12),  # letters, CJK
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.from_regex(r"-?[0-9]{1,16}(\.[0-9]{1,6})?", fullmatch=True),  # negative, decimals, huge
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),  # day first: ambiguous
    st.sampled_from(ODD),
)
JSON_JUNK = st.one_of(
    JUNK,
    st.floats(allow_nan=False, allow_infinity=False),  # a JSON number with a fraction
    st.integers(min_value=-(10**15), max_value=10**15),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.text(st.characters(categories=["Cc"]), min_size=1, max_size=3),  # NUL, ESC, …
)


def xlsx_safe(value) -> bool:
    """openpyxl turns '=…' into a formula and refuses control characters in a cell."""
    text = str(value)
    return not text.startswith("=") and not any(ord(c) < 32 for c in text)


# --- bad cells ----------------------------------------------------------------------------


@settings(FUZZ, max_examples=120)  # the main case: more of them
@given(data=st.data(), fmt=st.sampled_from(FORMATS), kind=st.sampled_from(FUZZED_KINDS))
def test_a_bad_cell_is_refused_naming_its_row_and_column(tmp_path, master, data, fmt, kind):
    """Any value a column's parser refuses, in any row, column and format: the file is
    refused with an error at that row and column, and nothing is written."""
    rows = [dict(r) for r in DATA[kind]]
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    spec = schema.kind_named(kind)
    column = data.draw(st.sampled_from(spec.columns), label="column")
    value = data.draw(JSON_JUNK if fmt == "json" else JUNK, label="value")
    if fmt == "xlsx":
        assume(xlsx_safe(value))
    assume(fails(column, as_read(fmt, value)))
    rows[index][column.name] = value
    path, sheet, language, first = write(tmp_path, fmt, kind, rows)

    errors = refused(path)

    where = {(e["sheet"], e["row"], e["column"]) for e in errors}
    shown = header(kind, column.name, language)
    assert (sheet, first + index, shown) in where, errors
    assert {e["row"] for e in errors} == {first + index}, errors  # the other rows are good
    CASES["bad cell"] += 1


# --- references and keys -------------------------------------------------------------------

REFERENCES = {
    # kind: (column, what the error says)
    "units": ("project_code", "unknown project"),
    "accounts": ("unit_code", "unknown unit"),
    "contacts": ("customer_code", "unknown customer"),
    "contracts": ("fee_item", "unknown fee item"),
    "supplied_amounts": ("fee_item", "unknown fee item"),
    "opening_balances": ("fee_item", "unknown fee item"),
}
CODE = st.text(string.ascii_uppercase + string.digits + "-", min_size=1, max_size=12)


@FUZZ
@given(
    data=st.data(),
    fmt=st.sampled_from(FORMATS),
    kind=st.sampled_from(sorted(REFERENCES)),
    code=st.one_of(CODE, st.text(st.characters(categories=["Lo"]), min_size=1, max_size=6)),
)
def test_an_unknown_project_unit_customer_or_fee_item_is_refused(
    tmp_path, master, data, fmt, kind, code
):
    column, why = REFERENCES[kind]
    assume(code not in {"HT", "HT-T1-0301", "HT-T1-0302", "C001", "C002", "PMF", "ELEC"})
    assume(code not in {"WATER", "PARK", "MISC", "GAS", "LATE"} or kind == "units")
    rows = [dict(r) for r in DATA[kind]]
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    rows[index][column] = code
    path, sheet, language, first = write(tmp_path, fmt, kind, rows)

    errors = refused(path)

    shown = header(kind, column, language)
    bad = [
        e for e in errors if (e["sheet"], e["row"], e["column"]) == (sheet, first + index, shown)
    ]
    assert bad and why in bad[0]["message"], errors
    CASES["unknown reference"] += 1


KEYED = {"units": 2, "customers": 2, "contacts": 3, "accounts": 2}


@FUZZ
@given(
    data=st.data(),
    fmt=st.sampled_from(FORMATS),
    kind=st.sampled_from(sorted(KEYED)),
)
def test_a_duplicate_key_in_the_file_is_refused_naming_the_second_row(
    tmp_path, master, data, fmt, kind
):
    """Duplicate units (and customers, contacts, accounts): the row repeating a key is
    refused at its row, naming the key's column."""
    rows = [dict(r) for r in DATA[kind]]
    original = data.draw(st.integers(0, len(rows) - 1), label="original")
    at = data.draw(st.integers(original + 1, len(rows)), label="inserted at")
    copy = dict(rows[original])
    if kind == "units":  # the same unit with other values is still the same unit
        copy["area"] = str(data.draw(st.decimals(0, 9999, places=2), label="area"))
    rows.insert(at, copy)
    path, _, _, first = write(tmp_path, fmt, kind, rows)

    errors = refused(path)

    assert any(e["row"] == first + at and e["column"] for e in errors), errors
    assert all("duplicate" in e["message"] or "same" in e["message"] for e in errors), errors
    CASES["duplicate key"] += 1


@FUZZ
@given(
    data=st.data(),
    kind=st.sampled_from(FUZZED_KINDS),
    give_kind=st.booleans(),
)
def test_a_missing_required_column_is_refused_on_the_header_row(
    tmp_path, master, data, kind, give_kind
):
    spec = schema.kind_named(kind)
    required = [c.name for c in spec.required]
    dropped = data.draw(
        st.lists(st.sampled_from(required), min_size=1, max_size=len(required), unique=True),
        label="dropped",
    )
    rows = [{k: v for k, v in r.items() if k not in dropped} for r in DATA[kind]]
    if not any(rows[0]):
        rows = [{"備註": "x"} for _ in rows]  # keeps the headers Chinese
    path, _, _, _ = write(tmp_path, "csv", kind, rows)

    errors = refused(path, kind=kind if give_kind else None)

    assert all(e["row"] == 1 for e in errors), errors  # the header row
    if give_kind:
        named = {e["column"] for e in errors if "required column" in e["message"]}
        assert named == {header(kind, c, "zh-hant") for c in dropped}, errors
    CASES["missing column"] += 1


@FUZZ
@given(
    data=st.data(),
    area=st.decimals(max_value="-0.01", places=2, allow_nan=False, allow_infinity=False),
)
def test_a_negative_area_is_refused_in_any_row_of_many(tmp_path, master, data, area):
    """Negative areas, among many good rows: the error names the one row."""
    count = data.draw(st.integers(1, 300), label="rows")
    bad = data.draw(st.integers(0, count - 1), label="bad row")
    rows = [
        {"project_code": "HT", "building_code": "F", "number": f"{i:04d}", "area": "88.50",
         "kind": "office"}
        for i in range(count)
    ]  # fmt: skip
    rows[bad]["area"] = str(area)
    path, _, _, first = write(tmp_path, "csv", "units", rows)

    errors = refused(path)

    assert [(e["row"], e["column"]) for e in errors] == [(first + bad, "面積")]
    assert "is negative" in errors[0]["message"]
    CASES["negative area"] += 1


# --- bytes and encodings -------------------------------------------------------------------


@FUZZ
@given(
    blob=st.one_of(
        st.binary(min_size=0, max_size=2000),
        st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),  # looks like a zip
        st.binary(max_size=500).map(lambda b: "單元編號,面積\r\n".encode("utf-16") + b),
        st.binary(max_size=200).map(lambda b: b'{"units": [' + b),
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".json", ".txt", ""]),
)
def test_random_bytes_are_refused_with_a_reason(tmp_path, master, blob, suffix):
    """Random bytes under any name: refused (never a traceback), nothing written; a line
    that does not decode is named."""
    path = tmp_path / f"random{suffix}"
    path.write_bytes(blob)
    errors = refused(path)

    for e in errors:
        if "not valid" in e["message"] and "line" in e["message"]:
            assert e["row"] is not None, e
    CASES["random bytes"] += 1


ZIPPED = st.builds(
    lambda names, payload: (names, payload),
    st.lists(
        st.sampled_from(
            ["[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
             "_rels/.rels", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"]
        ),
        min_size=1, max_size=6, unique=True,
    ),
    st.binary(max_size=200),
)  # fmt: skip


@FUZZ
@given(zipped=ZIPPED)
def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path, master, zipped):
    """A broken XLSX (a zip with some of a workbook's parts, holding garbage)."""
    import zipfile

    names, payload = zipped
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, payload)

    refused(path)
    CASES["broken workbook"] += 1


HANS_NAMES = st.text(
    st.sampled_from("华兴贸易有限公司陈志明张伟王芳李娜刘洋广州深圳东莞中山"),
    min_size=2,
    max_size=12,
)
HANT_NAMES = st.text(
    st.sampled_from("華興貿易有限公司陳志明張偉王芳李娜劉洋廣州深圳東莞中山臺灣"),
    min_size=2,
    max_size=12,
)
GB18030_ONLY = "𠀀𪚥䶮"  # not in GBK: GB18030's four-byte characters
VALID = [
    ("gbk", HANS_NAMES, "zh-hans"),
    ("gb18030", HANS_NAMES, "zh-hans"),
    ("gb18030", HANS_NAMES.map(lambda n: n + GB18030_ONLY[0]), "zh-hans"),
    ("big5", HANT_NAMES, "zh-hant"),
]


@FUZZ
@given(
    wrong=st.sampled_from([("utf-8", "big5"), ("big5", "gbk"), ("gbk", "big5"), ("utf-8", "gbk")]),
    names=st.lists(HANT_NAMES, min_size=1, max_size=3),
)
def test_text_in_another_encoding_than_given_is_refused_or_read_as_what_it_says(
    tmp_path, master, wrong, names
):
    """A file written in one encoding and imported with --encoding of another: refused
    naming the line, or (when its bytes happen to decode) never written silently as
    mojibake with the names intact — the names are not what was written then."""
    written, given_as = wrong
    rows = [
        {"customer_code": f"Z{i}", "name": name, "kind": "公司", "role": "業主"}
        for i, name in enumerate(names)
    ]
    try:
        data = csv_bytes("customers", rows, encoding=written)
    except UnicodeEncodeError:
        assume(False)
    path = tmp_path / "wrong.csv"
    path.write_bytes(data)
    with transaction.atomic():
        before = counts()
        try:
            run(path, encoding=given_as)
        except WuyeError as error:
            assert error.code == "import_refused"
            assert counts() == before
            assert all(e["row"] is not None for e in error.details["errors"]), error.as_dict()
        else:
            read = set(Customer.objects.filter(code__startswith="Z").values_list("name", flat=True))
            assert read != set(names)
        transaction.set_rollback(True)
    CASES["wrong encoding"] += 1


@FUZZ
@given(
    case=st.sampled_from(VALID),
    given_encoding=st.booleans(),
    data=st.data(),
)
def test_valid_gbk_gb18030_and_big5_files_are_read_exactly(
    tmp_path, master, case, given_encoding, data
):
    """Simplified names in GBK and GB18030 (with a character only GB18030 has), Traditional
    names in Big5: imported with --encoding or detected, the names read back as written."""
    encoding, names, language = case
    names = data.draw(st.lists(names, min_size=1, max_size=5, unique=True), label="names")
    rows = [
        {"customer_code": f"N{i:03d}", "name": name, "kind": "company", "role": "owner"}
        for i, name in enumerate(names)
    ]
    path = tmp_path / f"names-{encoding}.csv"
    path.write_bytes(csv_bytes("customers", rows, language=language, encoding=encoding))
    with transaction.atomic():
        result = run(path, encoding=encoding if given_encoding else None)
        read = dict(Customer.objects.filter(code__startswith="N").values_list("code", "name"))
        assert read == {r["customer_code"]: r["name"] for r in rows}
        assert result.encoding in {encoding, "gb18030"}
        transaction.set_rollback(True)
    CASES["valid encoding"] += 1


# --- huge files ----------------------------------------------------------------------------


def test_a_huge_file_with_one_bad_row_names_that_row(tmp_path, master):
    """20,000 unit rows, the last with a bad area: refused naming that row only."""
    rows = [
        {"project_code": "HT", "building_code": "G", "number": f"{i:05d}", "area": "50.00",
         "kind": "office"}
        for i in range(20_000)
    ]  # fmt: skip
    rows[-1]["area"] = "五十"
    path, _, _, first = write(tmp_path, "csv", "units", rows)

    errors = refused(path)

    assert [(e["row"], e["column"]) for e in errors] == [(first + len(rows) - 1, "面積")]
    CASES["huge file"] += 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_huge_cell_is_refused_naming_its_row_and_column_without_quoting_it(tmp_path, master, fmt):
    """A 300,000-character name (more than the CSV reader's field limit)."""
    rows = [dict(r) for r in DATA["customers"]]
    rows[1]["name"] = "長" * 300_000
    path, _, language, first = write(tmp_path, fmt, "customers", rows)

    errors = refused(path)

    assert [(e["row"], e["column"]) for e in errors] == [
        (first + 1, header("customers", "name", language))
    ], errors
    CASES["huge cell"] += 1


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000, '{"units": [{"area": ' + "1" * 5000 + "}]}", '{"units": "\\ud800"}'],
    ids=["deeply-nested", "huge-integer", "lone-surrogate"],
)
def test_json_that_python_cannot_read_is_refused_with_a_reason(tmp_path, master, text):
    path = tmp_path / "odd.json"
    path.write_text(text, encoding="utf-8")

    refused(path)
    CASES["odd json"] += 1


def test_a_lone_surrogate_in_a_json_text_cell_is_refused_naming_the_cell(tmp_path, master):
    """JSON may escape half a UTF-16 pair ("\\ud800"): not text a database can store."""
    path = tmp_path / "surrogate.json"
    row = dict(DATA["customers"][0], name="ABC\\ud800")
    path.write_text(json.dumps({"customers": [row]}).replace("\\\\ud800", "\\ud800"))

    errors = refused(path)

    assert [(e["row"], e["column"]) for e in errors] == [(1, "name")], errors
    CASES["odd json"] += 1


def test_zz_fuzz_cases_were_run(request):
    """The figure for the issue's note: how many fuzz cases ran (module order: last)."""
    total = sum(CASES.values())
    summary = f"import fuzz: {total} cases ran ({', '.join(f'{k}: {v}' for k, v in CASES.items())})"
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(summary)
    print(summary)
    if not CASES:
        pytest.skip("the fuzz tests did not run in this session (deselected)")
    assert total >= 450, CASES
