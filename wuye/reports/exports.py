"""Writing the monthly arrears list (每月業主欠費清單, M4) as XLSX or CSV, row by row:
openpyxl's write-only workbook and the csv module never hold the whole list."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from wuye.dunning.models import Contact
from wuye.money import ZERO, fmt
from wuye.reports.selectors import ArrearsList, ArrearsRow

AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def headers(listing: ArrearsList) -> list[str]:
    """單元, 業主, then months and amount per fee item, then the account's situation."""
    columns = ["單元 unit", "業主 owner"]
    for item in listing.fee_items:
        columns += [f"{item.name} 月數 months", f"{item.name} 金額 amount"]
    return [
        *columns,
        "違約金 late fee",
        "合計 total",
        "最早到期日 oldest due",
        "逾期天數 days overdue",
        "賬齡 age",
        "欠費原因 reason",
        "最近聯絡 last contact",
        "聯絡方式 channel",
        "承諾付款日 promise date",
        "承諾金額 promise amount",
        "催繳階段 stage",
        "負責收款員 collector",
    ]


def _channel(code: str) -> str:
    return Contact.Channel(code).label if code in Contact.Channel.values else code


def values(listing: ArrearsList, row: ArrearsRow) -> list:
    """The row's cells in header order: amounts Decimal, dates date, the rest text."""
    cells: list = [row.unit, row.owner]
    for item in listing.fee_items:
        arrears = row.by_item.get(item.pk)
        cells += [arrears.months if arrears else 0, arrears.amount if arrears else ZERO]
    return [
        *cells,
        row.late_fee,
        row.total,
        row.oldest_due,
        row.days_overdue,
        row.age,
        row.reason_label,
        row.last_contact_on,
        _channel(row.last_contact_channel) if row.last_contact_channel else "",
        row.promise_on,
        row.promise_amount,
        row.stage,
        row.collector,
    ]


def write_xlsx(listing: ArrearsList, path: Path) -> tuple[int, Decimal]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"{listing.project.code} {listing.as_of:%Y-%m}")
    sheet.append(headers(listing))
    count, total = 0, ZERO
    for row in listing.rows:
        cells = []
        for value in values(listing, row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = AMOUNT_FORMAT
            elif hasattr(value, "isoformat"):
                cell.number_format = DATE_FORMAT
            cells.append(cell)
        sheet.append(cells)
        count, total = count + 1, total + row.total
    workbook.save(path)
    return count, total


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return fmt(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def write_csv(listing: ArrearsList, path: Path) -> tuple[int, Decimal]:
    """UTF-8 with a BOM, so that Excel opens the Chinese text correctly."""
    count, total = 0, ZERO
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers(listing))
        for row in listing.rows:
            writer.writerow([_text(v) for v in values(listing, row)])
            count, total = count + 1, total + row.total
    return count, total
