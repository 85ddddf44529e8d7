"""Bill runs, voids and receipt of bills.

`issue_bills` follows Kill Bill's shape (STYLE §6): compute what should exist for the
period as a set (a SQL proposal of bill lines), leave out what exists, and write the
difference in one transaction per project. A dry run is the same proposal, not written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from wuye.billing import numbers
from wuye.billing.models import Bill, BillReceipt, BillRun, Contract
from wuye.dates import Period, add_months, month_end
from wuye.errors import NotFound, WuyeError
from wuye.ledger import services as ledger
from wuye.ledger.models import Entry
from wuye.money import from_fen
from wuye.policies.selectors import policy
from wuye.properties.models import Project
from wuye.sql import analyze, dialect_for
from wuye.workdays.services import next_working_day

PROPOSAL = "wuye_bill_proposal"
NUMBER_WIDTH = 5


@dataclass
class ProjectRunResult:
    project: str
    period: str
    existing: int
    created: int
    lines: int
    total: Decimal
    numbers: tuple[str, str] | None = None
    sample: list[dict] = field(default_factory=list)
    fee_items: list[dict] = field(default_factory=list)  # dry run with fee_item_totals


def bill_number_key(project: Project, period: Period) -> str:
    return f"bill:{project.code}:{period.compact}"


def _cycles_starting(period: Period) -> list[int]:
    """Billing cycles (months) whose period starts with this month: quarters start in
    January, April, July and October; years in January."""
    return [m for m in Contract.Cycle.values if (period.start.month - 1) % m == 0]


def fixed_due_date(period: Period, due_day: int, *, project: Project) -> dt.date:
    """E1: the fixed due day of the period's first month (0 = its last day), moved off
    rest days to the next working day (art. 203, W1) if the policy says so."""
    last = month_end(period.start)
    day = last if due_day == 0 else period.start.replace(day=min(due_day, last.day))
    if policy("due_date_to_workday", project_id=project.pk):
        day = next_working_day(day, calendar=project.workday_calendar)
    return day


def _build_proposal(cursor, *, project: Project, period: Period, account_ids=None) -> None:
    d = dialect_for(connection)
    cursor.execute(f"DROP TABLE IF EXISTS {PROPOSAL}")
    cursor.execute(
        d.create_temp(
            PROPOSAL,
            "account_id BIGINT, unit_code VARCHAR(60), contract_id BIGINT, fee_item_id BIGINT,"
            " basis VARCHAR(20), quantity NUMERIC(10,2), unit_price NUMERIC(12,4),"
            " days INTEGER, cycle_days INTEGER, amount_fen BIGINT, tax_fen BIGINT,"
            " tax_rate NUMERIC(5,4), payment_term VARCHAR(20), due_day INTEGER,"
            " period_end DATE",
        )
    )
    account_filter = ""
    params: dict = {"project": project.pk, "ps": period.start, "default_due_day": 0}
    params["default_due_day"] = policy("fixed_due_day", project_id=project.pk)
    if account_ids is not None:
        placeholders = ", ".join(f"%(acc{i})s" for i in range(len(account_ids)))
        account_filter = f"AND a.id IN ({placeholders})"
        params.update({f"acc{i}": pk for i, pk in enumerate(account_ids)})
    for months in _cycles_starting(period):
        period_end = add_months(period.start, months)
        cycle_days = (period_end - period.start).days
        params.update(
            months=months,
            pe=period_end,
            last=period_end - dt.timedelta(days=1),
            cycle_days=cycle_days,
        )
        # Amounts in 分 by integer arithmetic, half up: (2·num + den) div (2·den).
        # area in 1/100 m², price in 1/10000 yuan, so area·price is in 1/10^6 yuan.
        cursor.execute(
            f"""
            INSERT INTO {PROPOSAL}
            SELECT account_id, unit_code, contract_id, fee_item_id, basis, quantity, unit_price,
                   days, %(cycle_days)s, amount_fen,
                   (2 * amount_fen * tax_bp + 10000 + tax_bp) / (2 * (10000 + tax_bp)),
                   tax_rate, payment_term, due_day, %(pe)s
            FROM (
              SELECT x.*,
                CASE basis
                  WHEN 'per_area' THEN (2 * area_c * price_u * %(months)s * days
                                        + 10000 * %(cycle_days)s) / (20000 * %(cycle_days)s)
                  WHEN 'fixed' THEN (2 * price_u * %(months)s * days + 100 * %(cycle_days)s)
                                    / (200 * %(cycle_days)s)
                  ELSE supplied_fen
                END AS amount_fen
              FROM (
                SELECT a.id AS account_id, u.code AS unit_code, c.id AS contract_id,
                  cl.fee_item_id, cl.basis,
                  CASE WHEN cl.basis = 'per_area' THEN u.area ELSE 1 END AS quantity,
                  cl.unit_price,
                  {d.cents("u.area")} AS area_c,
                  {d.cents("cl.unit_price", 10000)} AS price_u,
                  {d.cents("s.amount")} AS supplied_fen,
                  {d.cents("fi.tax_rate", 10000)} AS tax_bp,
                  fi.tax_rate, c.payment_term,
                  COALESCE(c.fixed_due_day, %(default_due_day)s) AS due_day,
                  {d.days_between("a.bill_from", "a.bill_until")} AS days
                FROM (
                  SELECT a.id, a.unit_id,
                    CASE WHEN a.start_date > %(ps)s THEN a.start_date ELSE %(ps)s END AS bill_from,
                    CASE WHEN a.end_date IS NOT NULL AND a.end_date < %(last)s
                         THEN {d.next_day("a.end_date")} ELSE %(pe)s END AS bill_until
                  FROM properties_account a
                  WHERE a.project_id = %(project)s
                    AND a.start_date < %(pe)s
                    AND (a.end_date IS NULL OR a.end_date >= %(ps)s)
                    {account_filter}
                    AND NOT EXISTS (
                      SELECT 1 FROM billing_bill b
                      WHERE b.account_id = a.id AND b.period_start = %(ps)s
                        AND b.status = 'issued')
                ) a
                JOIN properties_unit u ON u.id = a.unit_id
                JOIN billing_contract c ON c.account_id = a.id
                  AND c.billing_cycle = %(months)s
                  AND c.effective_from = (
                    SELECT MAX(c2.effective_from) FROM billing_contract c2
                    WHERE c2.account_id = a.id AND c2.effective_from <= a.bill_from)
                JOIN billing_contractline cl ON cl.contract_id = c.id
                JOIN billing_feeitem fi ON fi.id = cl.fee_item_id
                LEFT JOIN billing_suppliedamount s ON s.account_id = a.id
                  AND s.fee_item_id = cl.fee_item_id AND s.period_start = %(ps)s
              ) x
            ) y
            WHERE amount_fen > 0
            """,
            params,
        )


def _summary(cursor) -> tuple[int, int, int]:
    cursor.execute(f"SELECT COUNT(DISTINCT account_id), COUNT(*), SUM(amount_fen) FROM {PROPOSAL}")
    bills, lines, fen = cursor.fetchone()
    return int(bills or 0), int(lines or 0), int(fen or 0)


def _sample(cursor, limit: int = 5) -> list[dict]:
    cursor.execute(
        f"SELECT unit_code, SUM(amount_fen) FROM {PROPOSAL} GROUP BY account_id, unit_code"
        f" ORDER BY unit_code LIMIT {int(limit)}"
    )
    return [{"unit": unit, "total": from_fen(int(fen))} for unit, fen in cursor.fetchall()]


def _fee_item_totals(cursor) -> list[dict]:
    """What a run would bill per fee item (the staff page's preview)."""
    cursor.execute(
        f"SELECT fi.code, fi.name, COUNT(*), SUM(p.amount_fen) FROM {PROPOSAL} p"
        " JOIN billing_feeitem fi ON fi.id = p.fee_item_id"
        " GROUP BY fi.id, fi.code, fi.name, fi.sort_order ORDER BY fi.sort_order, fi.code"
    )
    return [
        {"fee_item": code, "name": name, "lines": int(lines), "total": from_fen(int(fen))}
        for code, name, lines, fen in cursor.fetchall()
    ]


def _write_bills(cursor, *, project, period, run, on, actor, count) -> tuple[str, str]:
    d = dialect_for(connection)
    base = numbers.reserve(bill_number_key(project, period), count)
    cursor.execute(f"SELECT DISTINCT due_day FROM {PROPOSAL} WHERE payment_term = 'fixed_day'")
    due_days = sorted(row[0] for row in cursor.fetchall())
    params = {
        "prefix": f"{project.code}-{period.compact}-",
        "base": base,
        "project": project.pk,
        "ps": period.start,
        "on": on,
        "run": run.pk,
        "actor": actor,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "reason": f"bill run {period}",
    }
    when = " ".join(f"WHEN {int(day)} THEN %(due{int(day)})s" for day in due_days)
    params.update(
        {f"due{int(day)}": fixed_due_date(period, day, project=project) for day in due_days}
    )
    due_expr = (
        f"CASE WHEN g.payment_term = 'fixed_day' THEN CASE g.due_day {when} END END"
        if when
        else "NULL"
    )
    number_expr = f"%(prefix)s || {d.padded('g.seq', NUMBER_WIDTH)}"
    cursor.execute(
        f"""
        INSERT INTO billing_bill (number, source, original_number, project_id, account_id,
          contract_id, period_start, period_end, issue_date, receipt_date, due_date, total,
          status, run_id, replaces_id, void_reason, voided_on, voided_by, created_by,
          created_at)
        SELECT {number_expr}, 'run', '', %(project)s, g.account_id, g.contract_id, %(ps)s,
          g.period_end,
          %(on)s, NULL, {due_expr}, {d.from_cents("g.fen")}, 'issued', %(run)s, NULL,
          '', NULL, '', %(actor)s, %(now)s
        FROM (
          SELECT account_id, MAX(contract_id) AS contract_id, MAX(period_end) AS period_end,
            MAX(payment_term) AS payment_term, MAX(due_day) AS due_day, SUM(amount_fen) AS fen,
            ROW_NUMBER() OVER (ORDER BY MIN(unit_code){d.binary_collation}, account_id)
              + %(base)s AS seq
          FROM {PROPOSAL} GROUP BY account_id
        ) g
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO billing_billline (bill_id, fee_item_id, basis, quantity, unit_price, days,
          cycle_days, amount, tax_rate, tax_amount)
        SELECT b.id, p.fee_item_id, p.basis, p.quantity, p.unit_price, p.days, p.cycle_days,
          {d.from_cents("p.amount_fen")}, p.tax_rate, {d.from_cents("p.tax_fen")}
        FROM {PROPOSAL} p JOIN billing_bill b ON b.account_id = p.account_id
          AND b.period_start = %(ps)s AND b.status = 'issued' AND b.run_id = %(run)s
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO ledger_entry (account_id, kind, component, bill_id, bill_line_id,
          fee_item_id, payment_id, refund_id, reverses_id, amount, entry_date, value_date,
          actor, created_at, reason)
        SELECT b.account_id, 'charge', 'principal', b.id, l.id, l.fee_item_id, NULL, NULL,
          NULL, l.amount, %(on)s, %(on)s, %(actor)s, %(now)s, %(reason)s
        FROM billing_billline l JOIN billing_bill b ON b.id = l.bill_id
        WHERE b.run_id = %(run)s
        """,
        params,
    )
    first = numbers.format_number(project.code, period.compact, base + 1, NUMBER_WIDTH)
    last = numbers.format_number(project.code, period.compact, base + count, NUMBER_WIDTH)
    return first, last


def issue_bills_for_project(
    *,
    project: Project,
    period: Period,
    on: dt.date,
    actor: str,
    dry_run: bool = False,
    account_ids: list[int] | None = None,
    sample_size: int = 5,
    fee_item_totals: bool = False,
) -> ProjectRunResult:
    """Issue the missing bills of one project for a period (issue 2; proration by days).

    Idempotent: accounts that already have a live bill for the period are left out, so a
    rerun creates only what is missing. Overpayments sitting as credit are applied to the
    new bills (P1). A dry run lists the first `sample_size` bills and, with
    `fee_item_totals`, the totals per fee item."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not dry_run:  # payments of the project wait (issue 8, wuye/dunning/locks.py)
            from wuye.dunning.locks import lock_runs

            lock_runs([project.pk])
        existing = Bill.objects.filter(
            project=project, period_start=period.start, status=Bill.Status.ISSUED
        ).count()
        _build_proposal(cursor, project=project, period=period, account_ids=account_ids)
        analyze(cursor, PROPOSAL)
        bills, lines, fen = _summary(cursor)
        result = ProjectRunResult(
            project=project.code,
            period=str(period),
            existing=existing,
            created=bills,
            lines=lines,
            total=from_fen(fen),
        )
        if dry_run:
            result.sample = _sample(cursor, sample_size)
            if fee_item_totals:
                result.fee_items = _fee_item_totals(cursor)
        elif bills:
            run = BillRun.objects.create(
                project=project,
                period_start=period.start,
                run_on=on,
                bills_created=bills,
                total=result.total,
                actor=actor,
                created_at=timezone.now(),
            )
            result.numbers = _write_bills(
                cursor, project=project, period=period, run=run, on=on, actor=actor, count=bills
            )
            # A subquery, not a list: a run may bill a million accounts.
            run_accounts = Bill.objects.filter(run=run).values("account_id")
            ledger.apply_credit(run_accounts, on=on, actor=actor)
        cursor.execute(f"DROP TABLE IF EXISTS {PROPOSAL}")
    return result


def issue_bills(
    *,
    period: Period,
    on: dt.date,
    actor: str,
    project_code: str | None = None,
    dry_run: bool = False,
    sample_size: int = 5,
    fee_item_totals: bool = False,
) -> list[ProjectRunResult]:
    """Issue bills for a period in one project or in every project, one transaction each."""
    if project_code:
        projects = list(Project.objects.filter(code=project_code))
        if not projects:
            raise NotFound("project", project_code)
    else:
        projects = list(Project.objects.order_by("code"))
    return [
        issue_bills_for_project(
            project=p,
            period=period,
            on=on,
            actor=actor,
            dry_run=dry_run,
            sample_size=sample_size,
            fee_item_totals=fee_item_totals,
        )
        for p in projects
    ]


def get_bill(number: str) -> Bill:
    try:
        return Bill.objects.select_related("project", "account").get(number=number)
    except Bill.DoesNotExist:
        raise NotFound("bill", number) from None


def void_bill(
    *, number: str, reason: str, on: dt.date, actor: str, reissue: bool = False
) -> tuple[Bill, Bill | None]:
    """Rule D1: a wrong bill is voided (kept, with reason and who), never edited.

    Its charges and late fees are reversed; what was paid on it goes back to the
    account's credit. With `reissue`, a corrected bill is computed from the current
    contract and unit data, numbered anew and linked to the voided one; the credit is
    then applied to it (P1)."""
    if not reason or not reason.strip():
        raise WuyeError("reason_required", "a void needs a reason", "作廢須註明原因")
    with transaction.atomic():
        bill = get_bill(number)
        from wuye.dunning.locks import hold_runs_off

        hold_runs_off([bill.project_id])  # a run of the project first (issue 8, as payments)
        Bill.objects.select_for_update().filter(pk=bill.pk).first()
        bill.refresh_from_db()
        if bill.status == Bill.Status.VOID:
            raise WuyeError("bill_void", f"bill {number} is already void", f"帳單 {number} 已作廢")
        if reissue and bill.source == Bill.Source.OPENING:
            raise WuyeError(
                "opening_not_reissued",
                f"bill {number} is an opening balance: void it and import the corrected one",
                f"帳單 {number} 為期初欠費：請作廢後重新匯入正確金額",
            )
        # waivers (M1, S3) go with the late fee they waived, so no waiver turns into credit
        debts = Entry.objects.filter(
            bill=bill,
            kind__in=[Entry.Kind.CHARGE, Entry.Kind.LATE_FEE, Entry.Kind.WAIVER],
            reversed_by__isnull=True,
        )
        ledger.reverse_entries(list(debts), on=on, actor=actor, reason=f"D1 void: {reason}")
        ledger.release_overallocated(
            [bill.account_id], on=on, actor=actor, reason=f"D1 void: {reason}", bill_id=bill.pk
        )
        Bill.objects.filter(pk=bill.pk).update(
            status=Bill.Status.VOID, void_reason=reason, voided_on=on, voided_by=actor
        )
        bill.refresh_from_db()
        replacement = None
        if reissue:
            result = issue_bills_for_project(
                project=bill.project,
                period=Period(bill.period_start),
                on=on,
                actor=actor,
                account_ids=[bill.account_id],
            )
            if not result.created:
                raise WuyeError(
                    "nothing_to_reissue",
                    f"the account of bill {number} has nothing to bill for its period",
                    f"帳單 {number} 的帳戶在該期間沒有應收項目",
                )
            replacement = Bill.objects.get(
                account_id=bill.account_id,
                period_start=bill.period_start,
                status=Bill.Status.ISSUED,
            )
            Bill.objects.filter(pk=replacement.pk).update(replaces=bill)
            replacement.refresh_from_db()
        ledger.apply_credit([bill.account_id], on=on, actor=actor)
        from wuye.approvals.error_reports import bill_voided  # D1: resolves error reports

        bill_voided(bill=bill, replacement=replacement, on=on, actor=actor)
        from wuye.dunning.services import debts_changed  # F1: notices of the voided debt

        debts_changed({bill.account_id: on}, actor=actor)
    return bill, replacement


def record_bill_receipt(
    *,
    number: str,
    received_on: dt.date,
    actor: str,
    method: str = BillReceipt.Method.HAND,
    signer: str = "",
    signer_relation: str = "",
) -> Bill:
    """Rule B1/E1: the client received the bill; for "N days after receipt" contracts the
    due date is receipt + N days, moved off rest days (art. 203, W1)."""
    with transaction.atomic():
        bill = get_bill(number)
        if bill.status != Bill.Status.ISSUED:
            raise WuyeError("bill_void", f"bill {number} is void", f"帳單 {number} 已作廢")
        if BillReceipt.objects.filter(bill=bill).exists():
            raise WuyeError(
                "already_received",
                f"bill {number} already has a receipt date",
                f"帳單 {number} 已有簽收日期",
            )
        if received_on < bill.issue_date:
            raise WuyeError(
                "invalid_date",
                f"received_on: {received_on} is before the bill's issue date",
                f"簽收日期 {received_on} 早於帳單發出日期",
            )
        BillReceipt.objects.create(
            bill=bill,
            received_on=received_on,
            method=method,
            signer=signer,
            signer_relation=signer_relation,
            actor=actor,
            created_at=timezone.now(),
        )
        update = {"receipt_date": received_on}
        due = _due_after_receipt(bill.project, bill.contract, received_on)
        if due is not None:
            update["due_date"] = due
        Bill.objects.filter(pk=bill.pk).update(**update)
        bill.refresh_from_db()
    return bill


def _due_after_receipt(project: Project, contract: Contract | None, received_on: dt.date):
    """E1: receipt + N days (the contract's, else the policy's), moved off rest days
    (art. 203, W1); None where the due date does not follow the receipt (fixed-day
    contracts, opening balances)."""
    if contract is None or contract.payment_term != Contract.Term.AFTER_RECEIPT:
        return None
    days = contract.payment_term_days
    if days is None:
        days = policy("payment_term_days", project_id=project.pk, segment=contract.segment)
    due = received_on + dt.timedelta(days=days)
    if policy("due_date_to_workday", project_id=project.pk):
        due = next_working_day(due, calendar=project.workday_calendar)
    return due


def record_bill_receipts(
    bill_ids: list[int],
    *,
    received_on: dt.date,
    actor: str,
    method: str = BillReceipt.Method.HAND,
    chunk: int = 5000,
) -> int:
    """`record_bill_receipt` for many bills received on one day, set-based: the due date
    is worked out once per project and contract terms, not once per bill. Bills that are
    void or already received are left alone. Returns how many were recorded."""
    done = 0
    now = timezone.now()
    for offset in range(0, len(bill_ids), chunk):
        part = bill_ids[offset : offset + chunk]
        with transaction.atomic():
            bills = list(
                Bill.objects.filter(
                    pk__in=part, status=Bill.Status.ISSUED, receipt__isnull=True
                ).select_related("project", "contract")
            )
            BillReceipt.objects.bulk_create(
                [
                    BillReceipt(
                        bill=b,
                        received_on=received_on,
                        method=method,
                        actor=actor,
                        created_at=now,
                    )
                    for b in bills
                ]
            )
            by_due: dict[dt.date | None, list[int]] = {}
            cache: dict[tuple, dt.date | None] = {}
            for b in bills:
                c = b.contract
                key = (b.project_id, c and (c.payment_term, c.payment_term_days, c.segment))
                if key not in cache:
                    cache[key] = _due_after_receipt(b.project, c, received_on)
                by_due.setdefault(cache[key], []).append(b.pk)
            for due, ids in by_due.items():
                update = {"receipt_date": received_on}
                if due is not None:
                    update["due_date"] = due
                Bill.objects.filter(pk__in=ids).update(**update)
            done += len(bills)
    return done
