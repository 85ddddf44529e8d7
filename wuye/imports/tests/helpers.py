"""A small import data set and writers that put it into CSV (any encoding), XLSX and
JSON files in a test's tmp_path, with English, Traditional or Simplified headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
from django.apps import apps
from django.db.models import DateTimeField

from wuye.imports import schema
from wuye.imports.services import import_file

ON = dt.date(2026, 3, 1)  # the import date of every test, unless one says otherwise

# One office project, two units, two payers, a contract each, a supplied amount and two
# opening balances (one long overdue, one recent). English column names, text values.
DATA: dict[str, list[dict[str, str]]] = {
    "projects": [
        {
            "project_code": "HT",
            "name": "匯通商業大廈",
            "kind": "office",
            "phone": "020-8888 0001",
            "bank_name": "中國工商銀行",
            "bank_account": "3602 0000 0000 0001",
            "address": "廣州市天河區示範路1號",
        }
    ],
    "units": [
        {
            "project_code": "HT",
            "building_code": "T1",
            "number": "0301",
            "floor": "3",
            "area": "100.00",
            "kind": "office",
            "occupancy": "occupied",
        },
        {
            "project_code": "HT",
            "building_code": "T1",
            "number": "0302",
            "floor": "3",
            "area": "50.00",
            "kind": "office",
            "occupancy": "occupied",
        },
    ],
    "customers": [
        {"customer_code": "C001", "name": "華興貿易有限公司", "kind": "company", "role": "owner"},
        {"customer_code": "C002", "name": "信義科技有限公司", "kind": "company", "role": "tenant"},
    ],
    "contacts": [
        {"customer_code": "C001", "name": "張三", "relation": "行政經理", "designated": "yes"},
        {"customer_code": "C001", "name": "李四", "relation": "財務", "designated": "no"},
        {"customer_code": "C002", "name": "王五", "phone": "13800138000", "designated": "yes"},
    ],
    "accounts": [
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C001",
            "role": "owner",
            "start_date": "2025-01-01",
        },
        {
            "unit_code": "HT-T1-0302",
            "customer_code": "C002",
            "role": "tenant",
            "start_date": "2025-01-01",
        },
    ],
    "contracts": [
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C001",
            "effective_from": "2025-01-01",
            "fee_item": "PMF",
            "basis": "per_area",
            "unit_price": "25.00",
            "payment_term": "after_receipt",
            "late_fee_clause": "yes",
            "segment": "office",
        },
        {
            "unit_code": "HT-T1-0301",
            "customer_code": "C001",
            "effective_from": "2025-01-01",
            "fee_item": "ELEC",
            "basis": "supplied",
            "payment_term": "after_receipt",
            "late_fee_clause": "yes",
            "segment": "office",
        },
        {
            "unit_code": "HT-T1-0302",
            "customer_code": "C002",
            "effective_from": "2025-01-01",
            "fee_item": "PMF",
            "basis": "per_area",
            "unit_price": "25.00",
            "payment_term": "fixed_day",
            "fixed_due_day": "0",
            "late_fee_clause": "no",
            "segment": "office",
        },
    ],
    "supplied_amounts": [
        {"unit_code": "HT-T1-0301", "period": "2026-03", "fee_item": "ELEC", "amount": "86.40"},
    ],
    "opening_balances": [
        {
            "unit_code": "HT-T1-0301",
            "period": "2025-01",
            "fee_item": "PMF",
            "amount": "2500.00",
            "original_due_date": "2025-01-31",
            "original_number": "OLD-2501-0301",
            "original_issue_date": "2025-01-05",
        },
        {
            "unit_code": "HT-T1-0302",
            "period": "2026-02",
            "fee_item": "PMF",
            "amount": "1250.00",
            "original_due_date": "2026-02-28",
        },
    ],
}
KINDS = list(DATA)

# Simplified headers as a mainland clerk types them (GBK files): written out here, not
# derived from the code under test.
ZH_HANS = {
    "project_code": "项目编号",
    "building_code": "楼座编号",
    "number": "单元号",
    "floor": "楼层",
    "area": "面积",
    "kind": "单元类型",
    "occupancy": "入住状态",
    "customer_code": "客户编号",
    "name": "客户名称",
    "role": "身份",
}
ZH_HANS_KIND = {"customers": "客户类型"}  # `kind` is a column of several kinds


def header(kind: str, column: str, language: str) -> str:
    if language == "en":
        return column
    if language == "zh-hans":
        return (
            ZH_HANS_KIND.get(kind) if column == "kind" and kind in ZH_HANS_KIND else ZH_HANS[column]
        )
    return next((c.zh for c in schema.kind_named(kind).columns if c.name == column), column)


def columns_of(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(c for row in rows for c in row))


def csv_bytes(
    kind: str, rows: list[dict] | None = None, *, language: str = "zh-hant", encoding="utf-8"
) -> bytes:
    rows = DATA[kind] if rows is None else rows
    columns = columns_of(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header(kind, c, language) for c in columns])
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode(encoding)


def write_csv(tmp_path: Path, kind: str, rows=None, *, name=None, **kwargs) -> Path:
    path = tmp_path / (name or f"{kind}.csv")
    path.write_bytes(csv_bytes(kind, rows, **kwargs))
    return path


def write_xlsx(tmp_path: Path, data=None, *, name="import.xlsx", language="zh-hant", sheets=None):
    """One sheet per kind, named in the headers' language (or as `sheets` says)."""
    data = DATA if data is None else data
    book = openpyxl.Workbook()
    book.remove(book.active)
    for kind, rows in data.items():
        title = (sheets or {}).get(kind) or (
            kind if language == "en" else schema.kind_named(kind).zh
        )
        sheet = book.create_sheet(title)
        columns = columns_of(rows)
        sheet.append([header(kind, c, language) for c in columns])
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    path = tmp_path / name
    book.save(path)
    return path


def write_json(tmp_path: Path, data=None, *, name="import.json") -> Path:
    data = DATA if data is None else data
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def run(path: Path, *, on: dt.date = ON, **kwargs):
    return import_file(path, on=on, actor="importer", **kwargs)


def import_all_csv(tmp_path: Path, data=None, *, on: dt.date = ON, **kwargs) -> list:
    """Each kind from its own CSV file, in dependency order."""
    data = DATA if data is None else data
    return [
        run(write_csv(tmp_path, kind, rows, **kwargs), on=on) for kind, rows in data.items() if rows
    ]


def wuye_models():
    return [m for m in apps.get_models() if m.__module__.startswith("wuye.")]


def counts() -> dict[str, int]:
    """Rows of every wuye model: what "nothing written" compares."""
    return {m.__name__: m.objects.count() for m in wuye_models()}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every wuye model without its timestamps, to compare before/after."""
    result = {}
    for model in wuye_models():
        names = [f.attname for f in model._meta.concrete_fields if not isinstance(f, DateTimeField)]
        result[model.__name__] = sorted(
            (tuple(str(v) for v in row) for row in model.objects.values_list(*names)),
        )
    return result


def with_rows(kind: str, *changes: dict, data=None) -> dict:
    """DATA with the rows of `kind` replaced (each change updates one row, by index)."""
    data = {k: [dict(r) for r in v] for k, v in (DATA if data is None else data).items()}
    for index, change in enumerate(changes):
        if change is not None:
            data[kind][index].update(change)
    return data
