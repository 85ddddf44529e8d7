"""Reading files (issue 3): header aliases in English and Chinese, XLSX cell types, row
numbers as the user sees them, sheets and kinds; and the documented layout."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from wuye.imports import schema
from wuye.imports.readers import read_file
from wuye.imports.schema import CellError, JsonFloat

ROOT = Path(__file__).resolve().parents[3]


def read(name: str, data: bytes, **kwargs):
    content = read_file(name, data, **kwargs)
    assert content.issues == []
    return content


def xlsx_bytes(tmp_path, sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path.read_bytes()


@pytest.mark.parametrize(
    "headers",
    [
        "project_code,building_code,number,area,kind",
        "Project Code,Building-Code,NUMBER,Area (m²),Kind",
        "項目編號,樓座編號,單元號,面積（m²）,單元類型",
        "项目编号,楼座编号,单元号,面积,单元类型",
        "*項目編號,*樓座,*房號,建築面積(平方米),單元類型",
        "ｐｒｏｊｅｃｔ＿ｃｏｄｅ,building_code,number,area,kind",
    ],
    ids=["english", "english-spaced", "traditional", "simplified", "aliases", "full-width"],
)
def test_headers_are_matched_in_english_and_chinese_in_any_spelling(headers):
    """Issue 3: Chinese and English headers both accepted (Traditional or Simplified,
    any case, spaces or underscores, a `*` required marker, a bracketed unit)."""
    data = f"{headers}\r\nHT,T1,0301,100.00,office\r\n".encode()

    [table] = read("units.csv", data).tables

    assert table.kind.name == "units"
    assert table.rows[0].cells == {
        "project_code": "HT",
        "building_code": "T1",
        "number": "0301",
        "area": "100.00",
        "kind": "office",
    }


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_skipped():
    """Issue 3: the header is row 1, the first data row 2; blank lines keep their number."""
    data = "customer_code,name,kind,role\r\nC1,甲,person,owner\r\n,,,\r\nC2,乙,person,owner\r\n"

    [table] = read("c.csv", data.encode()).tables

    assert [(r.number, r.cells["customer_code"]) for r in table.rows] == [(2, "C1"), (4, "C2")]


def test_a_tab_separated_file_is_read_too():
    data = "customer_code\tname\tkind\trole\nC1\t甲\tperson\towner\n"

    [table] = read("c.txt", data.encode()).tables

    assert table.rows[0].cells["name"] == "甲"


def test_xlsx_sheets_are_kinds_by_name_or_by_columns_and_empty_sheets_are_ignored(tmp_path):
    """Issue 3: one sheet per kind named in English or Chinese, else detected by its
    headers; empty sheets ignored; row numbers are the sheet's own."""
    data = xlsx_bytes(
        tmp_path,
        {
            "單元": [
                ["項目編號", "樓座編號", "單元號", "面積", "單元類型"],
                ["HT", "T1", "0301", 100, "office"],
            ],
            "empty": [],
            "Sheet3": [
                [None],
                ["客戶編號", "客戶名稱", "客戶類型", "身份"],
                ["C1", "甲", "個人", "業主"],
            ],
        },
    )

    content = read("book.xlsx", data)

    assert [(t.sheet, t.kind.name) for t in content.tables] == [
        ("單元", "units"),
        ("Sheet3", "customers"),
    ]
    assert content.tables[1].rows[0].number == 3


def test_xlsx_cells_keep_their_types(tmp_path):
    """Issue 3: Excel numbers, dates and booleans are read as such; a float cell becomes
    the Decimal of what was typed (86.4), never a binary float."""
    data = xlsx_bytes(
        tmp_path,
        {
            "x": [
                ["unit_code", "period", "fee_item", "amount", "original_due_date"],
                ["HT-T1-0301", dt.datetime(2026, 3, 1), "PMF", 86.4, dt.datetime(2026, 3, 31)],
                ["HT-T1-0302", "2026-03", "PMF", 1250, "2026/03/31"],
            ]
        },
    )

    [table] = read("book.xlsx", data, kind="opening_balances").tables

    first, second = (r.cells for r in table.rows)
    assert first["amount"] == Decimal("86.4") and isinstance(first["amount"], Decimal)
    assert schema.month(first["period"]) == dt.date(2026, 3, 1)
    assert schema.date(first["original_due_date"]) == dt.date(2026, 3, 31)
    assert second["amount"] == 1250
    assert schema.date(second["original_due_date"]) == dt.date(2026, 3, 31)


def test_json_rows_are_numbered_from_one_and_floats_kept_as_text():
    data = '{"單元": [{"項目編號": "HT", "area": 100.5}]}'.encode()

    [table] = read("x.json", data).tables

    assert table.sheet == "單元" and table.kind.name == "units"
    assert table.rows[0].number == 1
    assert isinstance(table.rows[0].cells["area"], JsonFloat)


@pytest.mark.parametrize(
    ("parse", "value", "expected"),
    [
        (schema.date, "2026-03-01", dt.date(2026, 3, 1)),
        (schema.date, "2026/3/1", dt.date(2026, 3, 1)),
        (schema.date, "2026年3月1日", dt.date(2026, 3, 1)),
        (schema.month, "2026-03", dt.date(2026, 3, 1)),
        (schema.month, "2026/3", dt.date(2026, 3, 1)),
        (schema.month, "2026年3月", dt.date(2026, 3, 1)),
        (schema.yes_no, "是", True),
        (schema.yes_no, "否", False),
        (schema.yes_no, "Y", True),
        (schema.yes_no, True, True),
        (schema.money(), "1,234.5", Decimal("1234.50")),
        (schema.money(), 86, Decimal("86.00")),
        (schema.money(), "86.400", Decimal("86.40")),
        (schema.rate(maximum=Decimal("0.01")), "0.0005", Decimal("0.0005")),
        (schema.rate(maximum=Decimal("0.01")), "0.5‰", Decimal("0.0005")),
        (schema.rate(maximum=Decimal("0.01")), "0.05％", Decimal("0.0005")),
    ],
)
def test_cell_parsers_accept_what_staff_type(parse, value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        (schema.date, "01/03/2026"),
        (schema.date, dt.datetime(2026, 3, 1, 9, 30)),
        (schema.month, dt.date(2026, 3, 15)),
        (schema.money(), JsonFloat("86.4")),
        (schema.money(), True),
        (schema.money(), "NaN"),
        (schema.money(), "1e999"),
        (schema.integer(0, 31), "32"),
        (schema.rate(maximum=Decimal("0.01")), "0.5"),  # 0.5 a day: meant 0.5‰
        (schema.rate(maximum=Decimal("0.01")), "0.00005‰"),  # below a millionth
        (schema.text(200), "陳\x00志明"),  # PostgreSQL stores no NUL
        (schema.code(30), "C\x1b1"),
    ],
)
def test_cell_parsers_refuse_what_is_ambiguous_or_wrong(parse, value):
    with pytest.raises(CellError):
        parse(value)


def test_every_chinese_word_of_the_layout_folds_to_simplified():
    """Issue 3: Traditional and Simplified headers and values match because both fold to
    Simplified; GB2312 has only Simplified forms, so every folded word must encode."""
    words = set()
    for kind in schema.KINDS:
        words.update(kind.names)
        for column in kind.columns:
            words.update(column.headers)
            words.update(getattr(column.parse, "words", {}))
    for word in words:
        schema.fold(word).encode("gb2312")  # raises for a Traditional-only character


def test_docs_describe_every_column_of_every_kind():
    """docs/import.md carries each kind's table exactly as the schema defines it."""
    docs = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")

    for kind in schema.KINDS:
        assert schema.markdown_table(kind) in docs, kind.name
    assert schema.markdown_choices() in docs


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_any_line_ending_is_read(newline):
    """Excel on Windows writes CRLF, other tools LF, old Mac tools CR."""
    data = newline.join(["客戶編號,客戶名稱,客戶類型,身份", "C1,甲,個人,業主", ""]).encode("big5")

    content = read("c.csv", data)

    assert content.encoding == "big5"
    assert content.tables[0].rows[0].cells["name"] == "甲"
