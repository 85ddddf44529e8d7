"""`import_file` (issue 3): master data, contracts, supplied amounts and opening balances
from a CSV, XLSX or JSON file, all or nothing.

It follows the shape of the bill run (STYLE §6): read the file (`readers`), parse every
cell (`schema`), then plan — load the existing rows the file names in a few set-based
queries, compare, and collect what to create and what to update, with every problem as
an `ImportIssue`. With any issue nothing is written and `WuyeError("import_refused")`
carries the list; a dry run stops after the plan. Otherwise the plan is written in ONE
transaction with bulk inserts and updates, and an `ImportBatch` row records it.

Keys (re-importing a file changes nothing): projects by code, units by
PROJECT-BUILDING-NUMBER, customers by code, contacts by customer + name, accounts by
unit + customer + start date, contract versions by account + effective date, supplied
amounts by account + fee item + period, opening balances by account + period. Master
data (projects, units, customers, contacts, accounts) is updated in place; contracts,
supplied amounts and opening balances are financial history and are never edited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.db.models import Max, Model, QuerySet
from django.utils import timezone

from wuye.billing import numbers
from wuye.billing.models import (
    Bill,
    BillLine,
    Contract,
    ContractLine,
    FeeItem,
    SuppliedAmount,
)
from wuye.dates import add_months
from wuye.errors import WuyeError
from wuye.imports import readers
from wuye.imports import schema as s
from wuye.imports.models import ImportBatch
from wuye.imports.schema import CellError, ImportIssue, Kind
from wuye.ledger import services as ledger
from wuye.ledger.models import Entry
from wuye.money import MAX_AMOUNT, ZERO, money
from wuye.policies.selectors import policy
from wuye.properties.models import Account, Building, Contact, Customer, Organisation, Project, Unit

OPENING_NUMBER_WIDTH = 5
OPENING_REASON = "opening balance"
CHUNK = 2000  # values per `IN (…)` of the look-ups
DEFAULT_ORGANISATION = ("ORG", "物業管理公司")


@dataclass
class KindCounts:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    file: str
    sha256: str
    format: str
    encoding: str | None
    on: dt.date
    dry_run: bool
    kinds: list[KindCounts] = field(default_factory=list)
    batch: int | None = None  # the ImportBatch written, if anything changed

    @property
    def created(self) -> int:
        return sum(k.created for k in self.kinds)

    @property
    def updated(self) -> int:
        return sum(k.updated for k in self.kinds)

    @property
    def unchanged(self) -> int:
        return sum(k.unchanged for k in self.kinds)


def import_file(
    path: str | Path,
    *,
    on: dt.date,
    actor: str,
    dry_run: bool = False,
    encoding: str | None = None,
    kind: str | None = None,
) -> ImportResult:
    """Import a file all or nothing (issue 3). `on` is the import date: the booking date
    of opening balances (their value date is their original issue date, so that aging
    E1, limitation X2 and the one-year rule R5 count from their original dates)."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise WuyeError(
            "file_unreadable",
            f"cannot read {shown}: {error.strerror or error}",
            f"無法讀取 {shown}：{error.strerror or error}",
            file=shown,
        ) from None
    content = readers.read_file(Path(path).name, data, encoding=encoding, kind=kind)
    if not content.issues and not content.tables:
        content.issues.append(ImportIssue("", None, None, "the file has no data", "檔案沒有資料"))
    result = ImportResult(
        file=shown,
        sha256=hashlib.sha256(data).hexdigest(),
        format=content.format,
        encoding=content.encoding,
        on=on,
        dry_run=dry_run,
    )
    try:
        with transaction.atomic():
            plan = _Plan(file=Path(path).name, on=on, actor=actor)
            plan.build(content.tables)
            if content.issues or plan.issues:
                # In the file's order: by sheet, then row (stable: columns stay in order).
                sheets = {t.sheet: i for i, t in reversed(list(enumerate(content.tables)))}
                issues = sorted(
                    content.issues + plan.issues,
                    key=lambda i: (sheets.get(i.sheet, -1), i.row or 0),
                )
                raise _refused(shown, issues)
            result.kinds = [plan.counts[k.name] for k in s.KINDS if k.name in plan.kinds_seen]
            if dry_run or not (result.created or result.updated):
                return result
            plan.write()
            result.batch = ImportBatch.objects.create(
                file_name=Path(path).name[:255],
                sha256=result.sha256,
                format=result.format,
                encoding=result.encoding or "",
                import_date=on,
                counts={
                    k.kind: {
                        "rows": k.rows,
                        "created": k.created,
                        "updated": k.updated,
                        "unchanged": k.unchanged,
                    }
                    for k in result.kinds
                },
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                actor=actor,
                created_at=plan.now,
            ).pk
    except IntegrityError:  # someone wrote the same keys meanwhile: nothing was written
        raise WuyeError(
            "import_conflict",
            f"{shown}: the data changed while importing; nothing was written, import again",
            f"{shown}：匯入期間資料已被更改，未寫入任何資料，請重新匯入",
            file=shown,
        ) from None
    return result


def _refused(shown: str, issues: list[ImportIssue]) -> WuyeError:
    count = len(issues)
    plural = "error" if count == 1 else "errors"
    return WuyeError(
        "import_refused",
        f"import refused: {count} {plural} in {shown}, nothing written",
        f"匯入被拒：{shown} 有 {count} 個錯誤，未寫入任何資料",
        file=shown,
        errors=[
            {
                "sheet": _printable(i.sheet),
                "row": i.row,
                "column": _printable(i.column),
                "message": _printable(i.message),
                "message_zh": _printable(i.message_zh),
            }
            for i in issues
        ],
    )


def _printable(text: str | None) -> str | None:
    """Text that can be printed and sent as UTF-8: a JSON file may name a column or sheet
    with half a UTF-16 pair ("\\ud800"), which is shown escaped."""
    if text is None:
        return None
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --- parsed rows ------------------------------------------------------------------------


@dataclass
class Row:
    kind: Kind
    sheet: str
    number: int
    values: dict[str, Any]
    headers: dict[str, str]

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)

    def header(self, name: str) -> str:
        """The column's header as written in the file (or as the file would write it)."""
        return self.headers.get(name) or readers.expected_header(
            self.kind, name, self.headers.values()
        )

    def where(self, other: Row) -> str:
        """How this row is named in a message about `other`."""
        return (
            f"row {self.number}" if self.sheet == other.sheet else f"{self.sheet} row {self.number}"
        )

    def where_zh(self, other: Row) -> str:
        return (
            f"第 {self.number} 列"
            if self.sheet == other.sheet
            else f"{self.sheet} 第 {self.number} 列"
        )


def _chunked(queryset: QuerySet, lookup: str, values: Iterable) -> list:
    """`queryset.filter(lookup__in=values)` in chunks: a few queries, never one per row."""
    values = sorted(set(values), key=str)
    found = []
    for start in range(0, len(values), CHUNK):
        found.extend(queryset.filter(**{f"{lookup}__in": values[start : start + CHUNK]}))
    return found


def _ids(objects: Iterable[Model]) -> list[int]:
    return sorted({o.pk for o in objects if o.pk is not None})


def _valid_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _covers(account: Account, day: dt.date) -> bool:
    return account.start_date <= day and (account.end_date is None or account.end_date >= day)


def _until(account: Account) -> str:
    return str(account.end_date) if account.end_date else "open"


# --- the plan ---------------------------------------------------------------------------


class _Plan:
    """What the file means against the database: issues, rows to create and rows to
    update, in dependency order. Building it reads; only `write` writes."""

    def __init__(self, *, file: str, on: dt.date, actor: str):
        self.file, self.on, self.actor = file, on, actor
        self.now = timezone.now()
        self.issues: list[ImportIssue] = []
        self.counts = {k.name: KindCounts(k.name) for k in s.KINDS}
        self.kinds_seen: set[str] = set()
        # Keys of rows that had errors: what refers to them is not reported again.
        self.failed: dict[str, set] = defaultdict(set)
        # The world as it will be: existing rows loaded, planned new ones added.
        self.organisation: Organisation | None = None
        self.projects: dict[str, Project] = {}
        self.buildings: dict[tuple[str, str], Building] = {}
        self.units: dict[str, Unit] = {}
        self.customers: dict[str, Customer] = {}
        self.contacts: dict[str, list[Contact]] = defaultdict(list)
        self.accounts: dict[str, list[Account]] = defaultdict(list)  # by unit code
        self.fee_items: dict[str, FeeItem] = {}
        # Writes.
        self.new: dict[type, list] = defaultdict(list)
        self.changed: dict[type, dict[int, tuple[Model, set[str]]]] = defaultdict(dict)
        self.new_bills: list[tuple[Bill, list[BillLine]]] = []
        self.late_fee_rates: dict[tuple, Decimal] = {}

    # -- helpers

    def error(self, row: Row, column: str | None, message: str, message_zh: str) -> None:
        header = row.header(column) if column else None
        self.issues.append(ImportIssue(row.sheet, row.number, header, message, message_zh))

    def duplicate(self, seen: dict, key, row: Row, column: str, what: str, what_zh: str) -> bool:
        first = seen.get(key)
        if first is None:
            seen[key] = row
            return False
        self.error(
            row,
            column,
            f"duplicate: {first.where(row)} has the same {what}",
            f"重複：{first.where_zh(row)}已有相同的{what_zh}",
        )
        return True

    def create(self, obj: Model, kind: str | None = None) -> Model:
        self.new[type(obj)].append(obj)
        if kind:
            self.counts[kind].created += 1
        return obj

    def update(self, obj: Model, values: dict[str, Any], kind: str | None = None) -> bool:
        """Set the given values (None = not given: kept); count the row."""
        fields = {f for f, v in values.items() if v is not None and getattr(obj, f) != v}
        for name in fields:
            setattr(obj, name, values[name])
        if fields:
            self.changed[type(obj)].setdefault(id(obj), (obj, set()))[1].update(fields)
        if kind:
            if fields:
                self.counts[kind].updated += 1
            else:
                self.counts[kind].unchanged += 1
        return bool(fields)

    def _known(self, row: Row, column: str, table: dict, kind: str, en: str, zh: str):
        """The existing (or earlier in this file) row a key refers to, else an error; a
        key whose own row was refused is not reported twice."""
        code = row[column]
        found = table.get(code)
        if found is None and code not in self.failed[kind]:
            self.error(row, column, f"unknown {en} '{code}'", f"找不到{zh}「{code}」")
        return found

    def project(self, row: Row) -> Project | None:
        return self._known(row, "project_code", self.projects, "projects", "project", "項目")

    def unit(self, row: Row) -> Unit | None:
        return self._known(row, "unit_code", self.units, "units", "unit", "單元")

    def customer(self, row: Row) -> Customer | None:
        return self._known(row, "customer_code", self.customers, "customers", "customer", "客戶")

    def fee_item(self, row: Row) -> FeeItem | None:
        name = row["fee_item"]
        found = self.fee_items.get(s.fold(name))
        if found is None:
            known = ", ".join(sorted({f.code for f in self.fee_items.values()}))
            self.error(
                row,
                "fee_item",
                f"unknown fee item '{name}' (one of {known})",
                f"找不到收費項目「{name}」（應為 {known} 之一）",
            )
        return found

    def account_on(self, unit_code: str, customer_code: str, day: dt.date) -> Account | None:
        for account in self.accounts[unit_code]:
            if account.customer.code == customer_code and _covers(account, day):
                return account
        return None

    def account_in(self, unit_code: str, start: dt.date) -> Account | None:
        """The unit's account active on the period's first day, else the first one that
        overlaps the period (a move-in during the month)."""
        end = add_months(start, 1)
        accounts = self.accounts[unit_code]
        active = [a for a in accounts if _covers(a, start)]
        if active:
            return max(active, key=lambda a: a.start_date)
        overlapping = [
            a
            for a in accounts
            if a.start_date < end and (a.end_date is None or a.end_date >= start)
        ]
        return min(overlapping, key=lambda a: a.start_date) if overlapping else None

    def account_failed(self, unit_code: str, customer_code: str | None) -> None:
        """An account row was refused: rows that need the unit's accounts say nothing."""
        self.failed["account_units"].add(unit_code)
        self.failed["accounts"].add((unit_code, customer_code))

    def no_account_in(self, row: Row, unit_code: str, start: dt.date) -> None:
        if unit_code not in self.failed["account_units"]:
            self.error(
                row,
                "period",
                f"unit {unit_code} has no account in {start:%Y-%m}",
                f"單元 {unit_code} 於 {start:%Y-%m} 沒有帳戶",
            )

    # -- building the plan

    def build(self, tables: list[readers.Table]) -> None:
        rows: dict[str, list[Row]] = {k.name: [] for k in s.KINDS}
        for table in tables:
            self.kinds_seen.add(table.kind.name)
            good = self.parse(table)
            rows[table.kind.name].extend(good)
            self.counts[table.kind.name].rows += len(table.rows)
        self.load(rows)
        self.plan_projects(rows["projects"])
        self.plan_units(rows["units"])
        self.plan_customers(rows["customers"])
        self.plan_contacts(rows["contacts"])
        self.plan_accounts(rows["accounts"])
        self.plan_contracts(rows["contracts"])
        self.plan_supplied(rows["supplied_amounts"])
        self.plan_opening(rows["opening_balances"])

    def parse(self, table: readers.Table) -> list[Row]:
        """Every cell through its column's parser; returns the rows without errors and
        notes the keys of the others (so that what refers to them is not reported)."""
        good = []
        for raw in table.rows:
            row = Row(table.kind, table.sheet, raw.number, {}, raw.headers)
            ok = True
            for column in table.kind.columns:
                value = raw.cells.get(column.name)
                if value is None:
                    if column.required and column.name not in table.missing:
                        self.error(row, column.name, "missing required value", "必填欄位未填")
                    ok = ok and not column.required
                    row.values[column.name] = None
                    continue
                try:
                    if isinstance(value, list | dict):  # JSON
                        raise CellError("a list or object is not a value", "陣列或物件不是欄值")
                    row.values[column.name] = column.parse(value)
                except CellError as problem:
                    self.error(row, column.name, problem.message, problem.message_zh)
                    row.values[column.name] = None
                    ok = False
            if ok:
                good.append(row)
            else:
                self.note_failed(row)
        return good

    def note_failed(self, row: Row) -> None:
        v = row.values
        if row.kind is s.PROJECTS and v.get("project_code"):
            self.failed["projects"].add(v["project_code"])
        elif row.kind is s.UNITS and v.get("project_code") and v.get("building_code"):
            self.failed["units"].add(f"{v['project_code']}-{v['building_code']}-{v['number']}")
        elif row.kind is s.CUSTOMERS and v.get("customer_code"):
            self.failed["customers"].add(v["customer_code"])
        elif row.kind is s.ACCOUNTS and v.get("unit_code"):
            self.account_failed(v["unit_code"], v.get("customer_code"))

    def load(self, rows: dict[str, list[Row]]) -> None:
        """The existing rows the file names: a few queries, whatever the file's size."""
        unit_rows = rows["units"]
        project_codes = {r["project_code"] for r in rows["projects"] + unit_rows}
        unit_codes = {f"{r['project_code']}-{r['building_code']}-{r['number']}" for r in unit_rows}
        for kind in ("accounts", "contracts", "supplied_amounts", "opening_balances"):
            unit_codes |= {r["unit_code"] for r in rows[kind]}
        customer_codes = set()
        for kind in ("customers", "contacts", "accounts", "contracts"):
            customer_codes |= {r["customer_code"] for r in rows[kind]}
        self.projects = {p.code: p for p in _chunked(Project.objects.all(), "code", project_codes)}
        self.units = {
            u.code: u
            for u in _chunked(
                Unit.objects.select_related("project", "building"), "code", unit_codes
            )
        }
        building_codes = {r["building_code"] for r in unit_rows}
        for building in _chunked(
            Building.objects.filter(project__code__in=project_codes).select_related("project"),
            "code",
            building_codes,
        ):
            self.buildings[(building.project.code, building.code)] = building
        self.customers = {
            c.code: c for c in _chunked(Customer.objects.all(), "code", customer_codes)
        }
        contact_customers = {r["customer_code"] for r in rows["contacts"]}
        for contact in _chunked(
            Contact.objects.select_related("customer").order_by("id"),
            "customer__code",
            contact_customers,
        ):
            self.contacts[contact.customer.code].append(contact)
        account_units = set()
        for kind in ("accounts", "contracts", "supplied_amounts", "opening_balances"):
            account_units |= {r["unit_code"] for r in rows[kind]}
        for account in _chunked(
            Account.objects.select_related("customer", "unit", "project").order_by("start_date"),
            "unit__code",
            account_units,
        ):
            self.accounts[account.unit.code].append(account)
        for item in FeeItem.objects.all():
            for name in (item.code, item.name, item.name_en):
                if name:
                    self.fee_items.setdefault(s.fold(name), item)

    def plan_projects(self, rows: list[Row]) -> None:
        seen: dict = {}
        for row in rows:
            code = row["project_code"]
            if self.duplicate(seen, code, row, "project_code", "project code", "項目編號"):
                continue
            zone = row["time_zone"]
            if zone is not None and not _valid_time_zone(zone):
                self.error(row, "time_zone", f"unknown time zone '{zone}'", f"未知的時區「{zone}」")
                self.failed["projects"].add(code)
                continue
            values = {
                "name": row["name"],
                "kind": row["kind"],
                "time_zone": zone,
                "phone": row["phone"],
                "bank_name": row["bank_name"],
                "bank_account": row["bank_account"],
                "address": row["address"],
            }
            existing = self.projects.get(code)
            if existing is not None:
                self.update(existing, values, "projects")
                continue
            if self.organisation is None:
                self.organisation = Organisation.objects.order_by("id").first()
                if self.organisation is None:
                    code_, name = DEFAULT_ORGANISATION
                    self.organisation = self.create(Organisation(code=code_, name=name))
            given = {k: v for k, v in values.items() if v is not None}
            self.projects[code] = self.create(
                Project(organisation=self.organisation, code=code, **given), "projects"
            )

    def plan_units(self, rows: list[Row]) -> None:
        seen: dict = {}
        for row in rows:
            project_code, building_code, number = (
                row["project_code"],
                row["building_code"],
                row["number"],
            )
            code = f"{project_code}-{building_code}-{number}"
            if self.duplicate(seen, code, row, "number", f"unit {code}", f"單元 {code}"):
                continue
            project = self.project(row)
            if project is None:
                self.failed["units"].add(code)
                continue
            if len(code) > 60:
                self.error(
                    row,
                    "number",
                    f"the unit code {code} is longer than 60 characters",
                    f"單元編號 {code} 超過 60 字",
                )
                continue
            values = {
                "floor": row["floor"],
                "area": row["area"],
                "kind": row["kind"],
                "occupancy": row["occupancy"],
            }
            existing = self.units.get(code)
            if existing is not None:
                self.update(existing, values, "units")
                continue
            building = self.buildings.get((project_code, building_code))
            if building is None:
                name = row["building_name"] or building_code
                building = self.create(Building(project=project, code=building_code, name=name))
                self.buildings[(project_code, building_code)] = building
            given = {k: v for k, v in values.items() if v is not None}
            self.units[code] = self.create(
                Unit(project=project, building=building, code=code, number=number, **given),
                "units",
            )

    def plan_customers(self, rows: list[Row]) -> None:
        seen: dict = {}
        for row in rows:
            code = row["customer_code"]
            if self.duplicate(seen, code, row, "customer_code", "customer code", "客戶編號"):
                continue
            values = {
                "name": row["name"],
                "kind": row["kind"],
                "role": row["role"],
                "mailing_address": row["mailing_address"],
                "phone": row["phone"],
                "email": row["email"],
            }
            existing = self.customers.get(code)
            if existing is not None:
                self.update(existing, values, "customers")
                continue
            given = {k: v for k, v in values.items() if v is not None}
            self.customers[code] = self.create(Customer(code=code, **given), "customers")

    def plan_contacts(self, rows: list[Row]) -> None:
        """Rule B1: at most one designated contact per customer. A contact the file
        designates takes the designation from the customer's other contacts."""
        seen: dict = {}
        designated: dict[str, Row] = {}
        touched: list[Contact] = []
        for row in rows:
            code, name = row["customer_code"], row["name"]
            if self.duplicate(seen, (code, name), row, "name", "contact", "聯絡人"):
                continue
            customer = self.customer(row)
            if customer is None:
                continue
            if row["designated"]:
                first = designated.get(code)
                if first is not None:
                    self.error(
                        row,
                        "designated",
                        f"customer {code} already has a designated contact in {first.where(row)}:"
                        " at most one (B1)",
                        f"客戶 {code} 的指定負責人已在{first.where_zh(row)}：最多一位（B1）",
                    )
                    continue
                designated[code] = row
            values = {
                "phone": row["phone"],
                "email": row["email"],
                "relation": row["relation"],
                "is_designated": row["designated"],
            }
            existing = next((c for c in self.contacts[code] if c.name == name), None)
            if existing is not None:
                self.update(existing, values)
                touched.append(existing)
                continue
            given = {k: v for k, v in values.items() if v is not None}
            contact = self.create(Contact(customer=customer, name=name, **given))
            self.contacts[code].append(contact)
            touched.append(contact)
        for code, row in designated.items():
            for contact in self.contacts[code]:
                if contact.pk and contact.is_designated and contact.name != row["name"]:
                    self.update(contact, {"is_designated": False})
        changed = self.changed[Contact]
        counts = self.counts["contacts"]
        counts.created = sum(1 for c in touched if c.pk is None)
        counts.unchanged = sum(1 for c in touched if c.pk and id(c) not in changed)
        counts.updated = len(changed)

    def plan_accounts(self, rows: list[Row]) -> None:
        """Accounts: one payer for one unit over one occupancy period (RULES "Account"),
        so the accounts of a unit may not overlap; a move-out is an end date."""
        seen: dict = {}
        row_of: dict[int, Row] = {}
        for row in rows:
            unit_code, customer_code = row["unit_code"], row["customer_code"]
            start, end = row["start_date"], row["end_date"]
            key = (unit_code, customer_code, start)
            if self.duplicate(seen, key, row, "start_date", "account", "帳戶"):
                continue
            unit, customer = self.unit(row), self.customer(row)
            if unit is None or customer is None:
                self.account_failed(unit_code, customer_code)
                continue
            if end is not None and end < start:
                self.error(
                    row,
                    "end_date",
                    f"{end} is before the start date {start}",
                    f"{end} 早於開始日期 {start}",
                )
                self.account_failed(unit_code, customer_code)
                continue
            existing = next(
                (
                    a
                    for a in self.accounts[unit_code]
                    if a.customer.code == customer_code and a.start_date == start
                ),
                None,
            )
            if existing is not None:
                self.update(existing, {"role": row["role"], "end_date": end}, "accounts")
                row_of[id(existing)] = row
                continue
            code = f"A-{unit_code}-{start:%Y%m%d}"
            if len(code) > 40:
                self.error(
                    row,
                    "unit_code",
                    f"the account code {code} is longer than 40 characters",
                    f"帳戶編號 {code} 超過 40 字",
                )
                self.account_failed(unit_code, customer_code)
                continue
            clash = next((a for a in self.accounts[unit_code] if a.code == code), None)
            if clash is not None:
                self.error(
                    row,
                    "customer_code",
                    f"unit {unit_code} already has an account from {start}"
                    f" ({clash.code}, customer {clash.customer.code}): one payer at a time",
                    f"單元 {unit_code} 已有自 {start} 起的帳戶（{clash.code}，客戶"
                    f" {clash.customer.code}）：同一時間只有一位付款人",
                )
                self.account_failed(unit_code, customer_code)
                continue
            account = self.create(
                Account(
                    code=code,
                    project=unit.project,
                    unit=unit,
                    customer=customer,
                    role=row["role"],
                    start_date=start,
                    end_date=end,
                ),
                "accounts",
            )
            self.accounts[unit_code].append(account)
            row_of[id(account)] = row
        for unit_code in {r["unit_code"] for r in rows}:
            ordered = sorted(self.accounts[unit_code], key=lambda a: a.start_date)
            for before, after in itertools.pairwise(ordered):
                if before.end_date is not None and before.end_date < after.start_date:
                    continue
                row = row_of.get(id(after)) or row_of.get(id(before))
                if row is None:
                    continue  # an overlap already in the database, not the file's doing
                other = before if row_of.get(id(after)) is row else after
                self.error(
                    row,
                    "start_date",
                    f"overlaps account {other.code}"
                    f" ({other.start_date} – {_until(other)}) of unit {unit_code}: one payer"
                    " at a time; give the earlier account its end date",
                    f"與單元 {unit_code} 的帳戶 {other.code}（{other.start_date} –"
                    f" {_until(other)}）重疊：同一時間只有一位付款人，請先填上前一帳戶的結束日期",
                )
                self.account_failed(unit_code, row["customer_code"])

    def late_fee_rate(self, account: Account, segment: str) -> Decimal:
        """L1 default: the policy's rate where the contract has a late-fee clause."""
        key = (account.project.pk, segment)
        if key not in self.late_fee_rates:
            rate = policy("late_fee_rate", project_id=account.project.pk, segment=segment)
            self.late_fee_rates[key] = Decimal(rate).quantize(Decimal("0.000001"))
        return self.late_fee_rates[key]

    def contract_terms(self, row: Row, account: Account) -> dict[str, Any] | None:
        terms = {
            "billing_cycle": row["billing_cycle"] or Contract.Cycle.MONTHLY,
            "payment_term": row["payment_term"],
            "payment_term_days": row["payment_term_days"],
            "fixed_due_day": row["fixed_due_day"],
            "late_fee_clause": bool(row["late_fee_clause"]),
            "late_fee_rate": row["late_fee_rate"],
            "segment": row["segment"],
            "dunning_policy": row["dunning_policy"] or "",
            "collector": row["collector"] or "",
        }
        ok = True
        if (
            terms["payment_term"] == Contract.Term.AFTER_RECEIPT
            and terms["fixed_due_day"] is not None
        ):
            self.error(
                row,
                "fixed_due_day",
                "a fixed due day is only for payment term fixed_day (E1)",
                "固定到期日只適用於付款期限 fixed_day（E1）",
            )
            ok = False
        if (
            terms["payment_term"] == Contract.Term.FIXED_DAY
            and terms["payment_term_days"] is not None
        ):
            self.error(
                row,
                "payment_term_days",
                "days after receipt are only for payment term after_receipt (E1)",
                "付款天數只適用於付款期限 after_receipt（E1）",
            )
            ok = False
        rate = terms["late_fee_rate"]
        if not terms["late_fee_clause"] and rate:
            self.error(
                row,
                "late_fee_rate",
                "a late-fee rate needs a late-fee clause (L1, X3)",
                "違約金日率須有違約金條款（L1、X3）",
            )
            ok = False
        if rate is None:
            rate = self.late_fee_rate(account, terms["segment"]) if terms["late_fee_clause"] else 0
        terms["late_fee_rate"] = Decimal(rate).quantize(Decimal("0.000001"))
        return terms if ok else None

    def plan_contracts(self, rows: list[Row]) -> None:
        """Rows of one account with one effective date form one contract version. A new
        effective date is a new version; an existing version is never edited."""
        seen: dict = {}
        versions: dict[tuple[int, dt.date], list[tuple[Row, dict, ContractLine]]] = {}
        account_of: dict[tuple[int, dt.date], Account] = {}
        for row in rows:
            unit_code, customer_code, start = (
                row["unit_code"],
                row["customer_code"],
                row["effective_from"],
            )
            unit, customer, item = self.unit(row), self.customer(row), self.fee_item(row)
            if unit is None or customer is None or item is None:
                continue
            key = (unit_code, customer_code, start, item.code)
            if self.duplicate(seen, key, row, "fee_item", "contract line", "合同收費項目"):
                continue
            account = self.account_on(unit_code, customer_code, start)
            if account is None:
                if (unit_code, customer_code) not in self.failed["accounts"]:
                    self.error(
                        row,
                        "effective_from",
                        f"customer {customer_code} has no account for unit {unit_code} on {start}",
                        f"客戶 {customer_code} 於 {start} 沒有單元 {unit_code} 的帳戶",
                    )
                continue
            basis, price = row["basis"], row["unit_price"]
            if basis == ContractLine.Basis.SUPPLIED and price:
                self.error(
                    row,
                    "unit_price",
                    "a supplied line has no price: its amounts come from supplied amounts",
                    "按期提供金額的項目沒有單價：金額來自按期金額",
                )
                continue
            if basis != ContractLine.Basis.SUPPLIED and price is None:
                self.error(
                    row,
                    "unit_price",
                    f"missing required value (basis {basis})",
                    f"必填欄位未填（計費方式 {basis}）",
                )
                continue
            terms = self.contract_terms(row, account)
            if terms is None:
                continue
            line = ContractLine(fee_item=item, basis=basis, unit_price=price or Decimal(0))
            group = versions.setdefault((id(account), start), [])
            account_of[(id(account), start)] = account
            if group:
                first, first_terms, _ = group[0]
                differs = [name for name, value in terms.items() if first_terms[name] != value]
                for name in differs:
                    self.error(
                        row,
                        name,
                        f"differs from {first.where(row)} of the same contract version"
                        f" ({account.code}, from {start})",
                        f"與同一合同版本（{account.code}，{start} 起）的{first.where_zh(row)}不同",
                    )
                if differs:
                    continue
            group.append((row, terms, line))
        existing_ids = _ids(account_of.values())
        existing: dict[tuple[int, dt.date], Contract] = {}
        max_version: dict[int, int] = defaultdict(int)
        for contract in _chunked(
            Contract.objects.select_related("account"), "account_id", existing_ids
        ):
            existing[(contract.account_id, contract.effective_from)] = contract
            max_version[contract.account_id] = max(
                max_version[contract.account_id], contract.version
            )
        lines: dict[int, dict[int, ContractLine]] = defaultdict(dict)
        for line in _chunked(
            ContractLine.objects.select_related("fee_item"), "contract__account_id", existing_ids
        ):
            lines[line.contract_id][line.fee_item_id] = line
        billed_until = {
            row["account_id"]: row["until"]
            for start in range(0, len(existing_ids), CHUNK)
            for row in Bill.objects.filter(
                account_id__in=existing_ids[start : start + CHUNK],
                status=Bill.Status.ISSUED,
                contract__isnull=False,
            )
            .values("account_id")
            .annotate(until=Max("period_end"))
            .order_by()
        }
        new_versions: dict[int, list[tuple[dt.date, Contract]]] = defaultdict(list)
        for key, group in versions.items():
            account, start = account_of[key], key[1]
            first, terms, _line = group[0]
            current = existing.get((account.pk, start)) if account.pk else None
            if current is not None:
                if self.same_version(current, group, lines[current.pk]):
                    self.counts["contracts"].unchanged += 1
                continue
            until = billed_until.get(account.pk)
            if until is not None and start < until:
                self.error(
                    first,
                    "effective_from",
                    f"{account.code} is billed up to {until - dt.timedelta(days=1)}: a new"
                    " version takes effect after the last billed period (a wrong bill is"
                    " voided and reissued, D1)",
                    f"{account.code} 已出帳至 {until - dt.timedelta(days=1)}：新版本須於最後已出帳"
                    "期間之後生效（錯誤帳單以作廢重開處理，D1）",
                )
                continue
            contract = Contract(
                account=account,
                effective_from=start,
                created_by=self.actor,
                created_at=self.now,
                reason=f"import {self.file}",
                **terms,
            )
            new_versions[id(account)].append((start, contract))
            for _row, _terms, line in group:
                line.contract = contract
                self.new[ContractLine].append(line)
        for contracts in new_versions.values():
            account = contracts[0][1].account
            base = max_version[account.pk] if account.pk else 0
            for offset, (_start, contract) in enumerate(sorted(contracts, key=lambda c: c[0])):
                contract.version = base + offset + 1
                self.create(contract, "contracts")

    def same_version(
        self, current: Contract, group, current_lines: dict[int, ContractLine]
    ) -> bool:
        """Compare a version in the file with the one in the database; report each
        difference (history is never edited)."""
        rule = "a change needs a new effective date: history is never edited"
        rule_zh = "變更須有新的生效日期：歷史不可修改"
        same = True
        first, terms, _ = group[0]
        where = f"version {current.version} of {current.account.code} from {current.effective_from}"
        where_zh = f"{current.account.code} 自 {current.effective_from} 起的第 {current.version} 版"
        for name, value in terms.items():
            old = getattr(current, name)
            if old != value:
                same = False
                self.error(
                    first,
                    name,
                    f"{where} has {old}, the file {value}: {rule}",
                    f"{where_zh}為 {old}，檔案為 {value}：{rule_zh}",
                )
        in_file = set()
        for row, _terms, line in group:
            in_file.add(line.fee_item.pk)
            old = current_lines.get(line.fee_item.pk)
            if old is None:
                same = False
                self.error(
                    row,
                    "fee_item",
                    f"{where} has no {line.fee_item.code}: {rule}",
                    f"{where_zh}沒有 {line.fee_item.code}：{rule_zh}",
                )
            elif (old.basis, old.unit_price) != (line.basis, line.unit_price):
                same = False
                column = "basis" if old.basis != line.basis else "unit_price"
                shown = old.basis if column == "basis" else old.unit_price
                self.error(
                    row,
                    column,
                    f"{where} has {shown} for {line.fee_item.code}: {rule}",
                    f"{where_zh}的 {line.fee_item.code} 為 {shown}：{rule_zh}",
                )
        for item_id, old in current_lines.items():
            if item_id not in in_file:
                same = False
                code = old.fee_item.code
                self.error(
                    first,
                    "fee_item",
                    f"{where} also has {code}, which the file leaves out: {rule}",
                    f"{where_zh}另有 {code}，檔案中沒有：{rule_zh}",
                )
        return same

    def live_bills(self, accounts: Iterable[Account], periods: set[dt.date]) -> dict:
        """The live bills of these accounts for these periods, by (account id, period)."""
        ids = _ids(accounts)
        found = {}
        for start in range(0, len(ids), CHUNK):
            for bill in Bill.objects.filter(
                account_id__in=ids[start : start + CHUNK],
                period_start__in=sorted(periods),
                status=Bill.Status.ISSUED,
            ):
                found[(bill.account_id, bill.period_start)] = bill
        return found

    def plan_supplied(self, rows: list[Row]) -> None:
        """Amounts supplied per account, fee item and period (shared utilities, meters):
        an amount in the database is never changed by an import."""
        seen: dict = {}
        planned = []
        for row in rows:
            unit_code, start = row["unit_code"], row["period"]
            unit, item = self.unit(row), self.fee_item(row)
            if unit is None or item is None:
                continue
            if self.duplicate(
                seen, (unit_code, start, item.code), row, "fee_item", "supplied amount", "按期金額"
            ):
                continue
            account = self.account_in(unit_code, start)
            if account is None:
                self.no_account_in(row, unit_code, start)
                continue
            planned.append((row, account, item, start))
        accounts = [p[1] for p in planned]
        existing = {
            (a.account_id, a.fee_item_id, a.period_start): a
            for a in _chunked(
                SuppliedAmount.objects.filter(period_start__in={p[3] for p in planned}),
                "account_id",
                _ids(accounts),
            )
        }
        bills = self.live_bills(accounts, {p[3] for p in planned})
        for row, account, item, start in planned:
            amount = row["amount"]
            old = existing.get((account.pk, item.pk, start)) if account.pk else None
            if old is not None:
                if old.amount == amount:
                    self.counts["supplied_amounts"].unchanged += 1
                else:
                    self.error(
                        row,
                        "amount",
                        f"{item.code} of {account.code} for {start:%Y-%m} was supplied as"
                        f" {money(old.amount)}: a supplied amount is never changed by import",
                        f"{account.code} {start:%Y-%m} 的 {item.code} 已匯入為 {money(old.amount)}："
                        "按期金額不可由匯入更改",
                    )
                continue
            bill = bills.get((account.pk, start)) if account.pk else None
            if bill is not None:
                self.error(
                    row,
                    "period",
                    f"the bill of {account.code} for {start:%Y-%m} is already issued"
                    f" ({bill.number}): it would never be billed; void and reissue the bill (D1)",
                    f"{account.code} {start:%Y-%m} 的帳單已發出（{bill.number}）：此金額不會出帳，"
                    "請作廢重開帳單（D1）",
                )
                continue
            self.create(
                SuppliedAmount(
                    account=account,
                    fee_item=item,
                    period_start=start,
                    amount=amount,
                    created_by=self.actor,
                    created_at=self.now,
                ),
                "supplied_amounts",
            )

    def plan_opening(self, rows: list[Row]) -> None:
        """Opening balances: unpaid bills from before wuye. The rows of one account and
        period form one bill with source "opening", due on its original due date, so
        that aging (E1), limitation (X2) and the one-year rule (R5) count from it."""
        seen: dict = {}
        bills: dict[tuple[int, dt.date], list[tuple[Row, FeeItem]]] = {}
        account_of: dict[tuple[int, dt.date], Account] = {}
        shared = ("original_due_date", "original_number", "original_issue_date")
        for row in rows:
            unit_code, start = row["unit_code"], row["period"]
            unit, item = self.unit(row), self.fee_item(row)
            if unit is None or item is None:
                continue
            if self.duplicate(
                seen, (unit_code, start, item.code), row, "fee_item", "opening balance", "期初欠費"
            ):
                continue
            account = self.account_in(unit_code, start)
            if account is None:
                self.no_account_in(row, unit_code, start)
                continue
            key = (id(account), start)
            group = bills.setdefault(key, [])
            account_of[key] = account
            if group:
                first = group[0][0]
                differs = [name for name in shared if first[name] != row[name]]
                for name in differs:
                    self.error(
                        row,
                        name,
                        f"differs from {first.where(row)} of the same bill ({unit_code}, {start:%Y-%m})",
                        f"與同一帳單（{unit_code}，{start:%Y-%m}）的{first.where_zh(row)}不同",
                    )
                if differs:
                    continue
            group.append((row, item))
        existing = self.live_bills(account_of.values(), {k[1] for k in account_of})
        existing_lines: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for line in _chunked(BillLine.objects.all(), "bill_id", [b.pk for b in existing.values()]):
            existing_lines[line.bill_id][line.fee_item_id] = line.amount
        for key, group in bills.items():
            account, start = account_of[key], key[1]
            first = group[0][0]
            issue_date = first["original_issue_date"] or start
            due = first["original_due_date"]
            if due < issue_date:
                self.error(
                    first,
                    "original_due_date",
                    f"{due} is before the bill's issue date {issue_date}",
                    f"{due} 早於帳單發出日期 {issue_date}",
                )
                continue
            amounts = {item.pk: row["amount"] for row, item in group}
            total = sum(amounts.values(), ZERO)
            if total > MAX_AMOUNT:
                self.error(
                    first,
                    "amount",
                    f"the bill's total {total} is larger than {MAX_AMOUNT}",
                    f"帳單合計 {total} 超過上限 {MAX_AMOUNT}",
                )
                continue
            bill = existing.get((account.pk, start)) if account.pk else None
            if bill is not None:
                same = (
                    bill.source == Bill.Source.OPENING
                    and bill.due_date == due
                    and bill.issue_date == issue_date
                    and bill.original_number == (first["original_number"] or "")
                    and existing_lines[bill.pk] == amounts
                )
                if same:
                    self.counts["opening_balances"].unchanged += 1
                    continue
                if bill.source == Bill.Source.OPENING:
                    en = "with other content: an opening balance is never edited; void it (D1) and import the corrected one"
                    zh = "但內容不同：期初欠費不可修改，請作廢（D1）後匯入正確金額"
                else:
                    en = "issued by wuye: it is not an opening balance"
                    zh = "由本系統發出，不是期初欠費"
                self.error(
                    first,
                    "period",
                    f"{account.code} already has bill {bill.number} for {start:%Y-%m}, {en}",
                    f"{account.code} 於 {start:%Y-%m} 已有帳單 {bill.number}，{zh}",
                )
                continue
            end = add_months(start, 1)
            days = (end - start).days
            new = Bill(
                source=Bill.Source.OPENING,
                project=account.project,
                account=account,
                contract=None,
                run=None,
                original_number=first["original_number"] or "",
                period_start=start,
                period_end=end,
                issue_date=issue_date,
                due_date=due,
                total=total,
                created_by=self.actor,
                created_at=self.now,
            )
            lines = [
                BillLine(
                    bill=new,
                    fee_item=item,
                    basis=ContractLine.Basis.FIXED,
                    quantity=Decimal("1.00"),
                    unit_price=row["amount"],
                    days=days,
                    cycle_days=days,
                    amount=row["amount"],
                    tax_rate=item.tax_rate,
                    tax_amount=money(row["amount"] * item.tax_rate / (1 + item.tax_rate)),
                )
                for row, item in sorted(group, key=lambda g: (g[1].sort_order, g[1].code))
            ]
            self.new_bills.append((new, lines))
            self.counts["opening_balances"].created += 1

    # -- writing

    def write(self) -> None:
        """Everything in the plan, in dependency order, in the caller's transaction."""
        for model in (Organisation, Project, Building, Unit, Customer):
            self.bulk_create(model)
            self.bulk_update(model)
        # B1's partial unique index: take designations away before giving new ones.
        contacts = self.changed.pop(Contact, {})
        releasing = {
            k: (o, f)
            for k, (o, f) in contacts.items()
            if "is_designated" in f and not o.is_designated
        }
        for part in (releasing, {k: v for k, v in contacts.items() if k not in releasing}):
            self.changed[Contact] = part
            self.bulk_update(Contact)
        self.bulk_create(Contact)
        for model in (Account,):
            self.bulk_create(model)
            self.bulk_update(model)
        for model in (Contract, ContractLine, SuppliedAmount):
            self.bulk_create(model)
        if self.new_bills:
            self.write_opening_balances()

    def bulk_create(self, model: type) -> None:
        objects = self.new.get(model)
        if objects:
            model.objects.bulk_create(objects, batch_size=CHUNK)

    def bulk_update(self, model: type) -> None:
        changed = self.changed.get(model)
        if changed:
            fields = sorted(set().union(*(f for _, f in changed.values())))
            model.objects.bulk_update([o for o, _ in changed.values()], fields, batch_size=CHUNK)

    def write_opening_balances(self) -> None:
        """Numbers `{PROJECT}-OB{YYYYMM}-{NNNNN}`, gapless per project and period, in unit
        order; one principal charge per line, booked on the import date with the original
        issue date as value date; then credits are applied (P1)."""
        groups: dict[tuple[str, dt.date], list[tuple[Bill, list[BillLine]]]] = defaultdict(list)
        for bill, lines in self.new_bills:
            groups[(bill.project.code, bill.period_start)].append((bill, lines))
        for (project_code, start), group in sorted(groups.items()):
            middle = f"OB{start:%Y%m}"
            base = numbers.reserve(f"opening:{project_code}:{start:%Y%m}", len(group))
            group.sort(key=lambda g: (g[0].account.unit.code, g[0].account.start_date))
            for offset, (bill, _lines) in enumerate(group, start=1):
                bill.number = numbers.format_number(
                    project_code, middle, base + offset, OPENING_NUMBER_WIDTH
                )
        Bill.objects.bulk_create([b for b, _ in self.new_bills], batch_size=CHUNK)
        lines = [line for _, group in self.new_bills for line in group]
        BillLine.objects.bulk_create(lines, batch_size=CHUNK)
        Entry.objects.bulk_create(
            [
                Entry(
                    account=line.bill.account,
                    kind=Entry.Kind.CHARGE,
                    component=Entry.Component.PRINCIPAL,
                    bill=line.bill,
                    bill_line=line,
                    fee_item=line.fee_item,
                    amount=line.amount,
                    entry_date=self.on,
                    value_date=line.bill.issue_date,
                    actor=self.actor,
                    created_at=self.now,
                    reason=OPENING_REASON,
                )
                for line in lines
            ],
            batch_size=CHUNK,
        )
        ledger.apply_credit(
            sorted({b.account.pk for b, _ in self.new_bills}), on=self.on, actor=self.actor
        )
