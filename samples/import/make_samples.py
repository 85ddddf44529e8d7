"""Write the sample import files of docs/import.md from one data set:

- `NN-<kind>.csv`: one CSV per kind, UTF-8 with BOM (as Excel saves "CSV UTF-8"),
  Chinese headers and values, numbered in the order they are imported;
- `all.xlsx`: one workbook, one sheet per kind named in Chinese, Excel dates and numbers;
- `all.json`: every kind, English keys and values, amounts as strings.

Run from the repository root: `.venv/bin/python samples/import/make_samples.py`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402

from wuye.imports import schema  # noqa: E402

HT_PMF = {"basis": "per_area", "payment_term": "after_receipt", "late_fee_clause": "yes"}
CY_PMF = {"payment_term": "fixed_day", "fixed_due_day": "0", "late_fee_clause": "yes"}

# Two projects: an office tower (HT) and a housing estate (CY). English values; the CSV
# and XLSX files carry the Chinese words for them.
DATA: dict[str, list[dict[str, str]]] = {
    "projects": [
        {
            "project_code": "HT",
            "name": "匯通商業大廈",
            "kind": "office",
            "time_zone": "Asia/Shanghai",
            "phone": "020-8888 0001",
            "bank_name": "中國工商銀行廣州天河支行",
            "bank_account": "3602 0000 0000 0001",
            "address": "廣州市天河區示範路1號",
        },
        {
            "project_code": "CY",
            "name": "翠苑花園",
            "kind": "residential",
            "time_zone": "Asia/Shanghai",
            "phone": "020-8888 0002",
            "bank_name": "中國建設銀行廣州番禺支行",
            "bank_account": "4400 0000 0000 0002",
            "address": "廣州市番禺區翠苑路8號",
        },
    ],
    "units": [
        {
            "project_code": "HT",
            "building_code": "T1",
            "building_name": "T1座",
            "number": "0301",
            "floor": "3",
            "area": "120.50",
            "kind": "office",
            "occupancy": "occupied",
        },
        {
            "project_code": "HT",
            "building_code": "T1",
            "building_name": "T1座",
            "number": "0302",
            "floor": "3",
            "area": "86.00",
            "kind": "office",
            "occupancy": "occupied",
        },
        {
            "project_code": "CY",
            "building_code": "B01",
            "building_name": "1棟",
            "number": "0101",
            "floor": "1",
            "area": "89.60",
            "kind": "residential",
            "occupancy": "occupied",
        },
        {
            "project_code": "CY",
            "building_code": "B01",
            "building_name": "1棟",
            "number": "0102",
            "floor": "1",
            "area": "102.35",
            "kind": "residential",
            "occupancy": "vacant_unfitted",
        },
        {
            "project_code": "CY",
            "building_code": "P",
            "building_name": "停車場",
            "number": "0001",
            "floor": "-1",
            "area": "12.50",
            "kind": "parking",
            "occupancy": "occupied",
        },
    ],
    "customers": [
        {
            "customer_code": "C0001",
            "name": "華興貿易有限公司",
            "kind": "company",
            "role": "owner",
            "mailing_address": "廣州市天河區示範路1號 T1-0301",
            "phone": "020-3888 1234",
            "email": "admin@huaxing.example.cn",
        },
        {
            "customer_code": "C0002",
            "name": "陳志明",
            "kind": "person",
            "role": "owner",
            "mailing_address": "廣州市番禺區翠苑路8號 1棟0101",
            "phone": "13800138001",
        },
        {
            "customer_code": "C0003",
            "name": "林淑芬",
            "kind": "person",
            "role": "owner",
            "phone": "13800138002",
        },
        {
            "customer_code": "C0004",
            "name": "信義科技有限公司",
            "kind": "company",
            "role": "tenant",
            "phone": "020-3888 5678",
        },
        {
            "customer_code": "C0005",
            "name": "翠苑置業發展有限公司",
            "kind": "company",
            "role": "developer",
            "phone": "020-3888 0000",
        },
    ],
    "contacts": [
        {
            "customer_code": "C0001",
            "name": "張三",
            "phone": "13900139001",
            "relation": "行政經理",
            "designated": "yes",
        },
        {
            "customer_code": "C0001",
            "name": "李四",
            "phone": "13900139002",
            "relation": "財務",
            "designated": "no",
        },
        {
            "customer_code": "C0002",
            "name": "陳志明",
            "phone": "13800138001",
            "relation": "本人",
            "designated": "yes",
        },
        {
            "customer_code": "C0003",
            "name": "林淑芬",
            "phone": "13800138002",
            "relation": "本人",
            "designated": "yes",
        },
        {
            "customer_code": "C0004",
            "name": "王美玲",
            "phone": "13900139004",
            "relation": "行政",
            "email": "wang@xinyi.example.cn",
            "designated": "yes",
        },
        {
            "customer_code": "C0005",
            "name": "周經理",
            "phone": "020-3888 0000",
            "relation": "物業部",
            "designated": "yes",
        },
    ],
    "accounts": [
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C0001",
            "role": "owner",
            "start_date": "2024-01-01",
        },
        {
            "unit_code": "HT-T1-0302",
            "customer_code": "C0004",
            "role": "tenant",
            "start_date": "2025-07-01",
        },
        {
            "unit_code": "CY-B01-0101",
            "customer_code": "C0002",
            "role": "owner",
            "start_date": "2023-06-01",
        },
        {
            "unit_code": "CY-B01-0102",
            "customer_code": "C0005",
            "role": "developer",
            "start_date": "2023-01-01",
            "end_date": "2025-12-31",
        },
        {
            "unit_code": "CY-B01-0102",
            "customer_code": "C0003",
            "role": "owner",
            "start_date": "2026-01-01",
        },
        {
            "unit_code": "CY-P-0001",
            "customer_code": "C0002",
            "role": "owner",
            "start_date": "2023-06-01",
        },
    ],
    "contracts": [
        # HT-T1-0301: 25.50 per m² from 2024, 28.00 from 2026 (a second version).
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C0001",
            "effective_from": "2024-01-01",
            "fee_item": "PMF",
            "unit_price": "25.50",
            "segment": "office",
            **HT_PMF,
            "dunning_policy": "office",
            "collector": "黃收款",
        },
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C0001",
            "effective_from": "2024-01-01",
            "fee_item": "ELEC",
            "basis": "supplied",
            "segment": "office",
            **{k: v for k, v in HT_PMF.items() if k != "basis"},
            "dunning_policy": "office",
            "collector": "黃收款",
        },
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C0001",
            "effective_from": "2026-01-01",
            "fee_item": "PMF",
            "unit_price": "28.00",
            "segment": "office",
            **HT_PMF,
            "dunning_policy": "office",
            "collector": "黃收款",
        },
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C0001",
            "effective_from": "2026-01-01",
            "fee_item": "ELEC",
            "basis": "supplied",
            "segment": "office",
            **{k: v for k, v in HT_PMF.items() if k != "basis"},
            "dunning_policy": "office",
            "collector": "黃收款",
        },
        {
            "unit_code": "HT-T1-0302",
            "customer_code": "C0004",
            "effective_from": "2025-07-01",
            "fee_item": "PMF",
            "unit_price": "28.00",
            "segment": "office",
            **HT_PMF,
            "payment_term_days": "10",
            "dunning_policy": "office",
        },
        {
            "unit_code": "CY-B01-0101",
            "customer_code": "C0002",
            "effective_from": "2023-06-01",
            "fee_item": "PMF",
            "basis": "per_area",
            "unit_price": "2.80",
            "segment": "residential",
            **CY_PMF,
            "dunning_policy": "residential",
        },
        {
            "unit_code": "CY-B01-0101",
            "customer_code": "C0002",
            "effective_from": "2023-06-01",
            "fee_item": "ELV",
            "basis": "per_area",
            "unit_price": "0.35",
            "segment": "residential",
            **CY_PMF,
            "dunning_policy": "residential",
        },
        {
            "unit_code": "CY-B01-0101",
            "customer_code": "C0002",
            "effective_from": "2023-06-01",
            "fee_item": "WATER",
            "basis": "supplied",
            "segment": "residential",
            **CY_PMF,
            "dunning_policy": "residential",
        },
        {
            "unit_code": "CY-B01-0102",
            "customer_code": "C0005",
            "effective_from": "2023-01-01",
            "fee_item": "PMF",
            "basis": "per_area",
            "unit_price": "2.80",
            "segment": "vacant_investment",
            **CY_PMF,
            "dunning_policy": "residential",
        },
        {
            "unit_code": "CY-B01-0102",
            "customer_code": "C0003",
            "effective_from": "2026-01-01",
            "fee_item": "PMF",
            "basis": "per_area",
            "unit_price": "2.80",
            "segment": "residential",
            **CY_PMF,
            "dunning_policy": "residential",
        },
        {
            "unit_code": "CY-P-0001",
            "customer_code": "C0002",
            "effective_from": "2023-06-01",
            "fee_item": "PARK",
            "basis": "fixed",
            "unit_price": "120.00",
            "billing_cycle": "3",
            "segment": "residential",
            **CY_PMF,
            "dunning_policy": "residential",
        },
    ],
    "supplied_amounts": [
        {"unit_code": "HT-T1-0301", "period": "2026-03", "fee_item": "ELEC", "amount": "1286.40"},
        {"unit_code": "CY-B01-0101", "period": "2026-03", "fee_item": "WATER", "amount": "36.80"},
    ],
    "opening_balances": [
        # HT-T1-0301: December 2025 unpaid (120.50 m² × 28.00 would be 3374.00; the old
        # system billed 3072.75 at 25.50 for the month).
        {
            "unit_code": "HT-T1-0301",
            "period": "2025-12",
            "fee_item": "PMF",
            "amount": "3072.75",
            "original_due_date": "2025-12-10",
            "original_number": "HT2512-0031",
            "original_issue_date": "2025-12-01",
        },
        # CY-B01-0101: January and February 2025 unpaid, property fee and elevator fee.
        {
            "unit_code": "CY-B01-0101",
            "period": "2025-01",
            "fee_item": "PMF",
            "amount": "250.88",
            "original_due_date": "2025-01-31",
            "original_number": "CY2501-0101",
        },
        {
            "unit_code": "CY-B01-0101",
            "period": "2025-01",
            "fee_item": "ELV",
            "amount": "31.36",
            "original_due_date": "2025-01-31",
            "original_number": "CY2501-0101",
        },
        {
            "unit_code": "CY-B01-0101",
            "period": "2025-02",
            "fee_item": "PMF",
            "amount": "250.88",
            "original_due_date": "2025-02-28",
            "original_number": "CY2502-0101",
        },
        {
            "unit_code": "CY-B01-0101",
            "period": "2025-02",
            "fee_item": "ELV",
            "amount": "31.36",
            "original_due_date": "2025-02-28",
            "original_number": "CY2502-0101",
        },
        # CY-B01-0102: the developer's unpaid June 2025, before the flat was sold (X7).
        {
            "unit_code": "CY-B01-0102",
            "period": "2025-06",
            "fee_item": "PMF",
            "amount": "286.58",
            "original_due_date": "2025-06-30",
            "original_number": "CY2506-0102",
        },
    ],
}

MONEY_COLUMNS = {"area", "unit_price", "amount", "late_fee_rate"}
DATE_COLUMNS = {
    "start_date",
    "end_date",
    "effective_from",
    "original_due_date",
    "original_issue_date",
}


def columns_of(kind: str) -> list[str]:
    used = {c for row in DATA[kind] for c in row}
    return [c.name for c in schema.kind_named(kind).columns if c.name in used]


def chinese(kind: str, column: str, value: str) -> str:
    """The Chinese word a clerk types for a choice or yes/no value."""
    parse = schema.kind_named(kind).get(column).parse
    if parse is schema.yes_no:
        return {"yes": "是", "no": "否"}[value]
    shown = getattr(parse, "shown", None)
    if shown is None:
        return value
    key = int(value) if column == "billing_cycle" else value
    return shown[key][0]


def write_csv(number: int, kind: str) -> Path:
    table = schema.kind_named(kind)
    columns = columns_of(kind)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([table.get(c).zh for c in columns])
    for row in DATA[kind]:
        writer.writerow([chinese(kind, c, row[c]) if c in row else "" for c in columns])
    path = HERE / f"{number:02d}-{kind}.csv"
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def cell(kind: str, column: str, value: str | None):
    """As Excel holds it: numbers as numbers, dates as dates, codes and months as text."""
    if value is None:
        return None
    if column in MONEY_COLUMNS or column in ("floor", "payment_term_days", "fixed_due_day"):
        return Decimal(value) if "." in value else int(value)
    if column in DATE_COLUMNS:
        return dt.date.fromisoformat(value)
    return chinese(kind, column, value)


def write_xlsx() -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for kind in DATA:
        table = schema.kind_named(kind)
        sheet = book.create_sheet(table.zh)
        columns = columns_of(kind)
        sheet.append([table.get(c).zh for c in columns])
        for row in DATA[kind]:
            sheet.append([cell(kind, c, row.get(c)) for c in columns])
        for index, column in enumerate(columns, start=1):
            letter = openpyxl.utils.get_column_letter(index)
            sheet.column_dimensions[letter].width = 14
            if column in DATE_COLUMNS:
                for (c,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    c.number_format = "yyyy-mm-dd"
    book.properties.creator = "wuye samples"
    stamp = dt.datetime(2026, 3, 1, 9, 0)
    book.properties.created = book.properties.modified = stamp
    path = HERE / "all.xlsx"
    book.save(path)
    return path


def write_json() -> Path:
    path = HERE / "all.json"
    path.write_text(json.dumps(DATA, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def main() -> None:
    written = [write_csv(n, kind) for n, kind in enumerate(DATA, start=1)]
    written += [write_xlsx(), write_json()]
    for path in written:
        print(path.relative_to(HERE.parents[1]))


if __name__ == "__main__":
    main()
