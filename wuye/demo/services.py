"""A realistic demo: an office tower and a housing estate (with vacant investment units,
shops, villas, parking and a few hardship households), deterministic for a seed.

Written in chunks with bulk inserts so that 100,000 units take seconds, not hours.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from wuye.billing.models import Contract, ContractLine, FeeItem, SuppliedAmount
from wuye.bulk import db_value, insert_rows, reserve_ids
from wuye.dates import Period, add_months
from wuye.errors import WuyeError
from wuye.properties.models import Account, Building, Contact, Customer, Organisation, Project, Unit
from wuye.sql import analyze

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高"
GIVEN = "志明淑芬建國美玲俊傑雅婷家豪怡君文華麗華國強秀英子軒嘉欣宇航思妤承恩佩珊"
COMPANY_WORDS = ["華興", "中信", "宏達", "新紀元", "恒通", "信義", "東方", "海港", "金源", "天成"]
COMPANY_KINDS = ["貿易有限公司", "科技有限公司", "律師事務所", "會計師事務所", "投資有限公司"]
CHUNK = 5000
ANALYZED_TABLES = [
    "properties_unit",
    "properties_customer",
    "properties_contact",
    "properties_account",
    "billing_contract",
    "billing_contractline",
    "billing_suppliedamount",
]


@dataclass
class DemoResult:
    projects: list[str]
    units: int
    accounts: int
    sample_units: dict[str, list[str]] = field(default_factory=dict)
    history: object = None  # a wuye.demo.history.HistoryResult


@dataclass
class _UnitPlan:
    building: str
    number: str
    floor: int
    area: Decimal
    kind: str
    occupancy: str
    segment: str
    customer_kind: str
    customer_role: str


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _company(rng: random.Random) -> str:
    return rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_KINDS)


def _area(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _office_plans(count: int, rng: random.Random) -> list[_UnitPlan]:
    plans = []
    per_floor = 8
    for i in range(count):
        floor = 3 + i // per_floor
        plans.append(
            _UnitPlan(
                building="T1",
                number=f"{floor:02d}{i % per_floor + 1:02d}",
                floor=floor,
                area=_area(rng, 80, 600),
                kind=Unit.Kind.OFFICE,
                occupancy=Unit.Occupancy.OCCUPIED,
                segment=Contract.Segment.OFFICE,
                customer_kind=Customer.Kind.COMPANY,
                customer_role=rng.choice([Customer.Role.OWNER, Customer.Role.TENANT]),
            )
        )
    return plans


def _estate_plans(count: int, rng: random.Random) -> list[_UnitPlan]:
    shops = max(1, count * 3 // 100)
    villas = max(1, count * 2 // 100)
    parking = max(1, count * 5 // 100)
    flats = max(1, count - shops - villas - parking)
    plans = []
    per_building = 120  # 20 floors × 6 flats
    for i in range(flats):
        building, index = divmod(i, per_building)
        floor, door = divmod(index, 6)
        roll = rng.random()
        if roll < 0.08:
            occupancy, segment = Unit.Occupancy.VACANT_UNFITTED, Contract.Segment.VACANT_INVESTMENT
        elif roll < 0.10:
            occupancy, segment = Unit.Occupancy.OCCUPIED, Contract.Segment.HARDSHIP
        else:
            occupancy, segment = Unit.Occupancy.OCCUPIED, Contract.Segment.RESIDENTIAL
        role = Customer.Role.DEVELOPER if roll > 0.99 else Customer.Role.OWNER
        plans.append(
            _UnitPlan(
                building=f"B{building + 1:02d}",
                number=f"{floor + 1:02d}{door + 1:02d}",
                floor=floor + 1,
                area=_area(rng, 60, 180),
                kind=Unit.Kind.RESIDENTIAL,
                occupancy=occupancy,
                segment=segment,
                customer_kind=Customer.Kind.PERSON,
                customer_role=role,
            )
        )
    if not any(p.customer_role == Customer.Role.DEVELOPER for p in plans):
        # X7: the demo always shows one unsold flat billed to the developer (art. 41)
        plans[-1].customer_role = Customer.Role.DEVELOPER
    for i in range(shops):
        plans.append(
            _UnitPlan(
                building="S",
                number=f"{i + 1:03d}",
                floor=1,
                area=_area(rng, 40, 300),
                kind=Unit.Kind.SHOP,
                occupancy=Unit.Occupancy.OCCUPIED,
                segment=Contract.Segment.SHOP_VILLA,
                customer_kind=Customer.Kind.COMPANY,
                customer_role=Customer.Role.OWNER,
            )
        )
    for i in range(villas):
        plans.append(
            _UnitPlan(
                building="V",
                number=f"{i + 1:03d}",
                floor=1,
                area=_area(rng, 250, 600),
                kind=Unit.Kind.VILLA,
                occupancy=Unit.Occupancy.OCCUPIED,
                segment=Contract.Segment.SHOP_VILLA,
                customer_kind=Customer.Kind.PERSON,
                customer_role=Customer.Role.OWNER,
            )
        )
    for i in range(parking):
        plans.append(
            _UnitPlan(
                building="P",
                number=f"{i + 1:04d}",
                floor=-1,
                area=Decimal("12.50"),
                kind=Unit.Kind.PARKING,
                occupancy=Unit.Occupancy.OCCUPIED,
                segment=Contract.Segment.RESIDENTIAL,
                customer_kind=Customer.Kind.PERSON,
                customer_role=Customer.Role.OWNER,
            )
        )
    return plans


def _lines_for(plan: _UnitPlan, items: dict[str, FeeItem], rng: random.Random) -> list[tuple]:
    """(fee item, basis, unit price) per the unit's kind: the prices property companies
    in a second-tier city charge."""
    per_area, fixed, supplied = (
        ContractLine.Basis.PER_AREA,
        ContractLine.Basis.FIXED,
        ContractLine.Basis.SUPPLIED,
    )
    if plan.kind == Unit.Kind.OFFICE:
        return [
            (items["PMF"], per_area, Decimal(rng.choice(["22.00", "25.50", "28.00", "32.80"]))),
            (items["ELEC"], supplied, Decimal(0)),
        ]
    if plan.kind == Unit.Kind.SHOP:
        return [
            (items["PMF"], per_area, Decimal("8.00")),
            (items["WATER"], supplied, Decimal(0)),
            (items["ELEC"], supplied, Decimal(0)),
        ]
    if plan.kind == Unit.Kind.VILLA:
        return [
            (items["PMF"], per_area, Decimal("4.50")),
            (items["PARK"], fixed, Decimal("150.00")),
            (items["WATER"], supplied, Decimal(0)),
        ]
    if plan.kind == Unit.Kind.PARKING:
        return [(items["PARK"], fixed, Decimal("120.00"))]
    return [
        (items["PMF"], per_area, Decimal(rng.choice(["2.30", "2.80", "3.20"]))),
        (items["ELV"], per_area, Decimal("0.35")),
        (items["WATER"], supplied, Decimal(0)),
        (items["ELEC"], supplied, Decimal(0)),
    ]


def _create_project(org, code, name, kind, address, phone, bank) -> Project:
    return Project.objects.create(
        organisation=org,
        code=code,
        name=name,
        kind=kind,
        address=address,
        phone=phone,
        bank_name="中國工商銀行",
        bank_account=bank,
    )


def make_demo_data(
    *,
    units: int,
    seed: int,
    on: dt.date,
    actor: str,
    history_from: dt.date | None = None,
    history_until: dt.date | None = None,
    fast: bool = True,
    estates: int = 1,
) -> DemoResult:
    """Create the demo organisation with `units` units across two projects (≈10 % office).
    `estates` > 1 splits the residential units evenly over that many similar estates (CY,
    CY2, CY3, …): many projects of one size, as a host with many clients has (issue 7's
    scale-out measurement).

    Accounts started two years before `on` (a few move in or out during `on`'s month,
    to show proration); shared utilities are supplied for `on`'s month and the months
    before and after it."""
    if units < 2:
        raise WuyeError("invalid_units", "units: at least 2 (one per project)", "單元數至少為 2")
    if estates < 1 or estates > 99:
        raise WuyeError("invalid_estates", "estates: 1 to 99", "屋苑數須為 1 至 99")
    if units - max(1, round(units * 0.1)) < estates:
        raise WuyeError(
            "invalid_units", "units: at least one per estate", "單元數須至少每個屋苑一個"
        )
    if Project.objects.filter(code__in=["HT", "CY"]).exists():
        raise WuyeError(
            "demo_exists",
            "the demo projects HT and CY already exist in this database",
            "此資料庫已有示範項目 HT 及 CY",
        )
    rng = random.Random(seed)
    items = {item.code: item for item in FeeItem.objects.all()}
    now = timezone.now()
    if (history_from is None) != (history_until is None):
        raise WuyeError(
            "invalid_history",
            "give both --history-from and --history-until, or neither",
            "須同時指定 --history-from 及 --history-until",
        )
    if history_from is not None and history_from > history_until:
        raise WuyeError(
            "invalid_history",
            "--history-from is after --history-until",
            "--history-from 晚於 --history-until",
        )
    if history_until is not None:
        on = history_until
    this_month = Period.of(on)
    anchor = Period.of(history_from or on).start
    start = add_months(anchor, -24)
    first = add_months(anchor, -1)
    supplied_months = []
    while first <= add_months(this_month.start, 1):
        supplied_months.append(first)
        first = add_months(first, 1)
    office_count = max(1, round(units * 0.1))
    with transaction.atomic():
        org = Organisation.objects.create(code="DEMO", name="示範物業管理有限公司")
        office = _create_project(
            org,
            "HT",
            "匯通商業大廈",
            Project.Kind.OFFICE,
            "廣州市天河區示範路1號",
            "020-8888 0001",
            "3602 0000 0000 0001",
        )
        result = DemoResult(projects=["HT"], units=0, accounts=0)
        projects = [(office, _office_plans(office_count, rng))]
        residential = units - office_count
        for n in range(1, estates + 1):
            share = residential // estates + (1 if n <= residential % estates else 0)
            estate = _create_project(
                org,
                "CY" if n == 1 else f"CY{n}",
                "翠苑花園" if n == 1 else f"翠苑花園{n}期",
                Project.Kind.RESIDENTIAL,
                f"廣州市番禺區翠苑路{8 + 2 * (n - 1)}號",
                f"020-8888 {n + 1:04d}",
                f"3602 0000 0000 {n + 1:04d}",
            )
            result.projects.append(estate.code)
            projects.append((estate, _estate_plans(share, rng)))
        for project, plans in projects:
            buildings = {}
            for code in dict.fromkeys(p.building for p in plans):
                buildings[code] = Building.objects.create(
                    project=project,
                    code=code,
                    name={"S": "商鋪", "V": "別墅", "P": "停車場"}.get(code, f"{code}座"),
                )
            for offset in range(0, len(plans), CHUNK):
                chunk = plans[offset : offset + CHUNK]
                created = _write_chunk(
                    project,
                    buildings,
                    chunk,
                    offset,
                    rng,
                    items,
                    start,
                    on,
                    supplied_months,
                    actor,
                    now,
                )
                result.units += len(chunk)
                result.accounts += created
                samples = result.sample_units.setdefault(project.code, [])
                for plan in chunk:  # one unit of each kind of building, for `accounts show`
                    prefix = plan.building[:1]
                    if all(not s.split("-")[1].startswith(prefix) for s in samples):
                        samples.append(f"{project.code}-{plan.building}-{plan.number}")
    with connection.cursor() as cursor:  # fresh statistics for the runs that follow
        analyze(cursor, *ANALYZED_TABLES)
    if history_from is not None:
        from wuye.demo.history import play_history

        result.history = play_history(
            start=history_from, until=history_until, seed=seed, actor=actor, fast=fast
        )
        # fresh statistics for what follows (the summary's arrears query, the first runs):
        # without them PostgreSQL planned that query for 28 bills instead of 160,000 and
        # was still running after 24 minutes at 40,000 units (wuye.web.demo.analyse)
        from wuye.web.demo import analyse

        analyse()
    return result


def _write_chunk(project, buildings, chunk, offset, rng, items, start, on, months, actor, now):
    """Write one chunk of units with their customers, contacts, accounts, contracts and
    supplied amounts as plain rows (COPY on PostgreSQL): a million units in minutes."""
    now = db_value(now)
    n = len(chunk)
    unit_ids = reserve_ids(Unit, n)
    customer_ids = reserve_ids(Customer, n)
    account_ids = reserve_ids(Account, n)
    contract_ids = reserve_ids(Contract, n)
    codes = [f"{project.code}-{p.building}-{p.number}" for p in chunk]
    insert_rows(
        Unit,
        ["id", "project_id", "building_id", "code", "number", "floor", "area", "kind", "occupancy"],
        [
            (uid, project.pk, buildings[p.building].pk, code, p.number, p.floor, p.area, p.kind,
             p.occupancy)
            for uid, code, p in zip(unit_ids, codes, chunk, strict=True)
        ],
    )  # fmt: skip
    customers, contacts = [], []
    for i, (cid, p) in enumerate(zip(customer_ids, chunk, strict=True)):
        number = offset + i + 1
        if p.customer_role == Customer.Role.DEVELOPER:
            name = "翠苑置業發展有限公司"
        elif p.customer_kind == Customer.Kind.COMPANY:
            name = _company(rng)
        else:
            name = _person(rng)
        phone = f"13{rng.randint(100000000, 999999999)}"
        customers.append(
            (cid, f"{project.code}{number:07d}", name, p.customer_kind, p.customer_role,
             f"{project.address} {p.building}-{p.number}", phone,
             f"c{project.code.lower()}{number}@example.cn")
        )  # fmt: skip
    insert_rows(
        Customer,
        ["id", "code", "name", "kind", "role", "mailing_address", "phone", "email"],
        customers,
    )
    for cid, _code, name, kind, _role, _address, phone, _email in customers:
        person = kind == Customer.Kind.PERSON
        contacts.append(
            (
                cid,
                name if person else _person(rng),
                phone,
                "",
                "本人" if person else "行政經理",
                True,
            )
        )
    insert_rows(
        Contact, ["customer_id", "name", "phone", "email", "relation", "is_designated"], contacts
    )
    month_start = on.replace(day=1)
    starts = [
        month_start.replace(day=10) if (offset + i) % 97 == 13 and on.day > 10 else start
        for i in range(n)  # every 97th account moves in this month: prorated
    ]
    insert_rows(
        Account,
        ["id", "code", "project_id", "unit_id", "customer_id", "role", "start_date", "end_date"],
        [
            (aid, f"A-{code}-1", project.pk, uid, cid, p.customer_role, account_start, None)
            for aid, code, uid, cid, p, account_start in zip(
                account_ids, codes, unit_ids, customer_ids, chunk, starts, strict=True
            )
        ],
    )
    contract_rows = []
    for kid, aid, p, account_start in zip(contract_ids, account_ids, chunk, starts, strict=True):
        office = p.kind == Unit.Kind.OFFICE
        contract_rows.append(
            (kid, aid, 1, account_start, Contract.Cycle.MONTHLY,
             Contract.Term.AFTER_RECEIPT if office else Contract.Term.FIXED_DAY, None, None,
             True, Decimal("0.000500"), True, p.segment, "office" if office else "residential",
             "", actor, now, "demo data")
        )  # fmt: skip
    insert_rows(
        Contract,
        ["id", "account_id", "version", "effective_from", "billing_cycle", "payment_term",
         "payment_term_days", "fixed_due_day", "late_fee_clause", "late_fee_rate",
         "late_fee_first", "segment", "dunning_policy", "collector", "created_by",
         "created_at", "reason"],
        contract_rows,
    )  # fmt: skip
    lines, supplied = [], []
    for p, kid, aid in zip(chunk, contract_ids, account_ids, strict=True):
        for item, basis, price in _lines_for(p, items, rng):
            lines.append((kid, item.pk, basis, price))
            if basis == ContractLine.Basis.SUPPLIED:
                for month in months:
                    amount = Decimal(rng.randint(500, 6000)) / 100
                    supplied.append((aid, item.pk, month, amount, actor, now))
    insert_rows(ContractLine, ["contract_id", "fee_item_id", "basis", "unit_price"], lines)
    insert_rows(
        SuppliedAmount,
        ["account_id", "fee_item_id", "period_start", "amount", "created_by", "created_at"],
        supplied,
    )
    return n
