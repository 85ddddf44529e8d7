"""The floor of each operation in its own process: the same rows written or read by
hand-written SQL, one statement a table (docs/benchmarks.md):

    python -m bench.floors OPERATION [--source DB --written JSON]

Writes (bill run, dunning run): the rows the service wrote (read untimed from its copy,
`--source`, by the id ranges in `--written`) are written again into a fresh copy of the
same data set (this process's database) in one transaction: PostgreSQL `COPY … FROM
STDIN` a table, SQLite `executemany` a table. The dunning run's floor is set-based: it
also reads, each in one `GROUP BY`, what any set-based run must read to decide (the late
fee basis of each overdue debt and each payer's arrears). Reads: one query returning the
same rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import tempfile
import time

from bench.common import ON, PDF_NOTICES, TRIGGER_WRITTEN, django_setup, emit


def _connect(source: str):
    """A plain DB-API connection to the operation's copy and its parameter mark."""
    if source.startswith("postgres"):
        import psycopg

        return psycopg.connect(source), "%s"
    return sqlite3.connect(source), "?"


def _source_rows(source: str, written: dict) -> dict[str, tuple[list[str], list[tuple]]]:
    """table → (columns, rows) of the rows the service wrote (untimed)."""
    found = {}
    connection, mark = _connect(source)
    try:
        cursor = connection.cursor()
        for table, (low, high) in written.items():
            cursor.execute(
                f"SELECT * FROM {table} WHERE id > {mark} AND id <= {mark} ORDER BY id",
                [low, high],
            )
            found[table] = ([d[0] for d in cursor.description], cursor.fetchall())
    finally:
        connection.close()
    return found


# Rows a write updates rather than adds, found by the day they changed: (table, the
# columns set, the date column that says the row changed on the day)
UPDATED = [
    ("dunning_notice", ["status", "ended_on", "end_reason"], "ended_on"),
    ("dunning_episode", ["closed_on", "close_reason"], "closed_on"),
]


def _updated_rows(source: str, written: dict) -> list[tuple[str, list[str], list[tuple]]]:
    """The rows older than the write that it changed on the day (untimed): the floor makes
    the same updates, so its rows satisfy the same constraints (one live notice per level,
    one open episode per payer)."""
    found = []
    connection, mark = _connect(source)
    try:
        cursor = connection.cursor()
        for table, columns, day in UPDATED:
            if table not in written:
                continue
            cursor.execute(
                f"SELECT {', '.join(columns)}, id FROM {table} WHERE id <= {mark} AND {day} = {mark}",
                [written[table][0], ON.isoformat()],
            )
            found.append((table, columns, cursor.fetchall()))
    finally:
        connection.close()
    return found


def _update(cursor, updated: list[tuple[str, list[str], list[tuple]]]) -> int:
    count = 0
    for table, columns, rows in updated:
        if rows:
            sets = ", ".join(f"{c} = %s" for c in columns)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)
            count += len(rows)
    return count


def _copy_files(
    source: str, written: dict, directory: str
) -> dict[str, tuple[list[str], str, int]]:
    """PostgreSQL: table → (columns, a file of the rows the service wrote in COPY's text
    format, rows) (untimed). In files, not in memory: a million-unit bill run writes
    millions of rows."""
    import os

    import psycopg

    found = {}
    with psycopg.connect(source) as connection, connection.cursor() as cursor:
        for table, (low, high) in written.items():
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = [d[0] for d in cursor.description]
            path = os.path.join(directory, f"{table}.copy")
            rows = 0
            query = f"COPY (SELECT * FROM {table} WHERE id > {int(low)} AND id <= {int(high)}) TO STDOUT"
            with open(path, "wb") as f, cursor.copy(query) as copy:
                for block in copy:
                    f.write(block)
                    rows += bytes(block).count(b"\n")
            found[table] = (columns, path, rows)
    return found


def dunning_reads() -> dict:
    """What a set-based dunning run must read before it writes, one `GROUP BY` each: per
    overdue bill line bearing late fees, the principal still open and the late fee posted
    (L1's basis); per payer and project, the open overdue amount and the oldest due date
    (E1/E2's input)."""
    from django.db import connection

    from wuye.billing.models import Bill, FeeItem
    from wuye.ledger.models import Entry
    from wuye.properties.models import Account

    e, b = Entry._meta.db_table, Bill._meta.db_table
    f, a = FeeItem._meta.db_table, Account._meta.db_table
    late_fee_basis = (
        "SELECT e.bill_line_id, "
        "SUM(CASE WHEN e.component = %s AND e.value_date <= %s THEN e.amount ELSE 0 END), "
        "SUM(CASE WHEN e.kind = %s THEN e.amount ELSE 0 END) "
        f"FROM {e} e JOIN {b} b ON b.id = e.bill_id JOIN {f} f ON f.id = e.fee_item_id "
        "WHERE b.status = %s AND b.due_date < %s AND f.bears_late_fee "
        "AND e.bill_line_id IS NOT NULL GROUP BY e.bill_line_id"
    )
    arrears = (
        "SELECT a.project_id, a.customer_id, SUM(e.amount), MIN(b.due_date) "
        f"FROM {e} e JOIN {b} b ON b.id = e.bill_id JOIN {a} a ON a.id = e.account_id "
        "WHERE b.status = %s AND b.due_date < %s AND e.value_date <= %s "
        "AND e.bill_line_id IS NOT NULL "
        "GROUP BY a.project_id, a.customer_id HAVING SUM(e.amount) > 0.005"
    )
    connection.ensure_connection()
    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(late_fee_basis, [Entry.Component.PRINCIPAL, ON, Entry.Kind.LATE_FEE,
                                        Bill.Status.ISSUED, ON])  # fmt: skip
        rows += len(cursor.fetchall())
        cursor.execute(arrears, [Bill.Status.ISSUED, ON, ON])
        rows += len(cursor.fetchall())
    return {"seconds": time.perf_counter() - started, "rows": rows}


def write_floor(source: str, written: dict, rollback: bool = False) -> dict:
    """`rollback` (PostgreSQL): write into this database itself and, once the deferred
    constraints are checked (`SET CONSTRAINTS ALL IMMEDIATE`), roll back."""
    from django.db import connection, transaction

    # the audit log's rows are written by the database's own triggers (wuye.audit), which
    # fire for the floor's writes as for the operation's: not copied
    written = {t: ids for t, ids in written.items() if t not in TRIGGER_WRITTEN}
    updated = _updated_rows(source, written)
    changed = sum(len(r) for _, _, r in updated)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with tempfile.TemporaryDirectory(prefix="wuye-floor-") as work:
            files = _copy_files(source, written, work)
            started = time.perf_counter()
            with transaction.atomic():
                raw = connection.connection  # psycopg 3
                with raw.cursor() as cursor:
                    _update(cursor, updated)
                    for table, (columns, path, _) in files.items():
                        names = ", ".join(f'"{c}"' for c in columns)
                        with (
                            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
                            open(path, "rb") as f,
                        ):
                            while block := f.read(1 << 20):
                                copy.write(block)
                    if rollback:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        seconds = time.perf_counter() - started
                        transaction.set_rollback(True)
            if not rollback:
                seconds = time.perf_counter() - started
        rows = sum(n for _, _, n in files.values()) + changed
        how = "copy, rolled back" if rollback else "copy"
        return {"seconds": round(seconds, 3), "rows": rows, "how": how}
    data = _source_rows(source, written)
    rows = sum(len(r) for _, r in data.values()) + changed
    # SQLite: executemany a table in one transaction (rolled back), then one INSERT …
    # SELECT a table from the operation's copy ATTACHed (committed); the faster is the floor
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _update(cursor, updated)
        for table, (columns, values) in data.items():
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("%s" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
        executemany = time.perf_counter() - started
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("ATTACH DATABASE %s AS src", [source])
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _update(cursor, updated)
        for table, (low, high) in written.items():
            names = ", ".join(f'"{c}"' for c in data[table][0])
            cursor.execute(
                f"INSERT INTO main.{table} ({names}) SELECT {names} FROM src.{table} "
                "WHERE id > %s AND id <= %s",
                [low, high],
            )
    insert_select = time.perf_counter() - started
    return {
        "seconds": round(min(executemany, insert_select), 3),
        "rows": rows,
        "executemany_seconds": round(executemany, 3),
        "insert_select_seconds": round(insert_select, 3),
    }


def _query(sql: str, params: list) -> dict:
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 4), "rows": len(rows)}


def _overdue(select: str, having: str = "") -> str:
    """Open overdue bill debt per account, as the arrears list counts it (M4, E1)."""
    from wuye.billing.models import Bill
    from wuye.ledger.models import Entry

    return (
        f"SELECT e.account_id, {select} FROM {Entry._meta.db_table} e "
        f"JOIN {Bill._meta.db_table} b ON b.id = e.bill_id "
        "WHERE b.status = %s AND b.due_date < %s AND e.value_date <= %s "
        "AND e.bill_line_id IS NOT NULL "
        f"GROUP BY e.account_id HAVING SUM(e.amount) > 0.005 {having}"
    )


def aging_report() -> dict:
    """One query: each account's open overdue debts (per bill, item and component, those
    still open), summed per account with the oldest due date among them (the bucket)."""
    from wuye.billing.models import Bill
    from wuye.ledger.models import Entry

    debts = (
        f"SELECT e.account_id, SUM(e.amount) AS open, MIN(b.due_date) AS due "
        f"FROM {Entry._meta.db_table} e JOIN {Bill._meta.db_table} b ON b.id = e.bill_id "
        "WHERE b.status = %s AND b.due_date < %s AND e.value_date <= %s "
        "AND e.bill_line_id IS NOT NULL "
        "GROUP BY e.account_id, e.bill_id, e.fee_item_id, e.component "
        "HAVING SUM(e.amount) > 0.005"
    )
    sql = f"SELECT d.account_id, SUM(d.open), MIN(d.due) FROM ({debts}) d GROUP BY d.account_id"
    return _query(sql, [Bill.Status.ISSUED, ON, ON])


def arrears_list() -> dict:
    """What the list is computed from, one statement per project (the list is a
    project's: `wuye reports arrears --project`): the project's accounts in arrears (their
    overdue entries summed above half a fen, one hash per account), then their open debts
    per bill, fee item and component (a fee item's amount and months need the debts, not
    the account's total) with due date and period, ordered by unit. Rows = accounts in
    arrears; the list also reads the fee items, the per-account columns (collector, last
    contact, promise, stage, reason) and writes the file, the floor does not. The JSON's
    `all_projects_seconds` is the same read for every project in one statement."""
    from django.db import connection

    from wuye.billing.models import Bill
    from wuye.ledger.models import Entry
    from wuye.properties.models import Account, Project, Unit

    joined = (
        f"{Entry._meta.db_table} e JOIN {Bill._meta.db_table} b ON b.id = e.bill_id"
        f" JOIN {Account._meta.db_table} pa ON pa.id = e.account_id"
    )
    where = (
        "b.status = %s AND b.due_date < %s AND e.value_date <= %s AND e.bill_line_id IS NOT NULL"
    )

    def statement(project: str) -> str:
        mine = f"{where} {project}"
        return (
            f"SELECT d.account_id, d.bill_id, d.fee_item_id, d.component, b.due_date,"
            f" b.period_start, b.period_end, d.open FROM ("
            f"SELECT e.account_id, e.bill_id, e.fee_item_id, e.component, SUM(e.amount) AS open"
            f" FROM {joined} WHERE {mine} AND e.account_id IN ("
            f"SELECT e.account_id FROM {joined} WHERE {mine}"
            " GROUP BY e.account_id HAVING SUM(e.amount) > 0.005)"
            " GROUP BY e.account_id, e.bill_id, e.fee_item_id, e.component"
            " HAVING SUM(e.amount) > 0.005) d"
            f" JOIN {Bill._meta.db_table} b ON b.id = d.bill_id"
            f" JOIN {Account._meta.db_table} a ON a.id = d.account_id"
            f" JOIN {Unit._meta.db_table} u ON u.id = a.unit_id ORDER BY u.code, a.id"
        )

    issued = Bill.Status.ISSUED
    connection.ensure_connection()
    seconds, accounts, debts = 0.0, 0, 0
    with connection.cursor() as cursor:
        for project in Project.objects.order_by("code").values_list("pk", flat=True):
            started = time.perf_counter()
            cursor.execute(statement("AND pa.project_id = %s"),
                           [issued, ON, ON, project, issued, ON, ON, project])  # fmt: skip
            rows = cursor.fetchall()
            seconds += time.perf_counter() - started
            accounts += len({row[0] for row in rows})
            debts += len(rows)
            del rows
        started = time.perf_counter()
        cursor.execute(statement(""), [issued, ON, ON, issued, ON, ON])
        everything = len(cursor.fetchall())
        together = time.perf_counter() - started
    return {"seconds": round(seconds, 4), "rows": accounts, "debts": debts,
            "all_projects_seconds": round(together, 4), "all_projects_debts": everything}  # fmt: skip


def account_page(account: int) -> dict:
    """One query: the account's ledger entries up to ON, in order."""
    from wuye.ledger.models import Entry

    sql = (
        f"SELECT * FROM {Entry._meta.db_table} WHERE account_id = %s AND value_date <= %s "
        "ORDER BY value_date, id"
    )
    return _query(sql, [account, ON])


def worklist_page() -> dict:
    """One query: the first 50 open calls (R2) issued up to ON, with their unit code."""
    from wuye.dunning.models import Action, Notice
    from wuye.properties.models import Account, Unit

    sql = (
        f"SELECT n.*, u.code FROM {Notice._meta.db_table} n "
        f"JOIN {Account._meta.db_table} a ON a.id = n.account_id "
        f"JOIN {Unit._meta.db_table} u ON u.id = a.unit_id "
        "WHERE n.action = %s AND n.status = %s AND n.issued_on <= %s "
        "ORDER BY n.issued_on, n.number LIMIT 50"
    )
    return _query(sql, [Action.CALL, Notice.Status.OPEN, ON])


def notices_pdf(day) -> dict:
    """One query: the notices printed and their lines (the rows the PDF shows)."""
    from wuye.dunning.models import DELIVERED_ACTIONS, Notice, NoticeLine

    actions = sorted(str(a) for a in DELIVERED_ACTIONS)
    marks = ", ".join("%s" for _ in actions)
    sql = (
        f"SELECT n.*, l.* FROM (SELECT * FROM {Notice._meta.db_table} "
        f"WHERE issued_on = %s AND action IN ({marks}) AND status NOT IN (%s, %s) "
        f"ORDER BY number LIMIT {PDF_NOTICES}) n "
        f"JOIN {NoticeLine._meta.db_table} l ON l.notice_id = n.id ORDER BY n.number, l.id"
    )
    return _query(sql, [day, *actions, Notice.Status.CANCELLED, Notice.Status.VOID])


def main() -> int:
    parser = argparse.ArgumentParser(description="the floor of one benchmark operation")
    parser.add_argument("operation")
    parser.add_argument("--source", help="the database the service wrote (writes)")
    parser.add_argument("--written", help="JSON: table → [low id, high id] (writes)")
    parser.add_argument("--account", type=int, help="the account page's account")
    parser.add_argument("--day", help="the notices' day (notices_pdf)")
    parser.add_argument("--rollback", action="store_true", help="write, check, roll back (PG)")
    args = parser.parse_args()
    django_setup()
    if args.operation in ("bill_run", "dunning_run"):
        reads = dunning_reads() if args.operation == "dunning_run" else None
        result = write_floor(args.source, json.loads(args.written), rollback=args.rollback)
        if reads:
            result["write_seconds"] = result["seconds"]
            result["read_seconds"] = round(reads["seconds"], 3)
            result["rows_read"] = reads["rows"]
            result["seconds"] = round(result["seconds"] + reads["seconds"], 3)
    elif args.operation == "account_page":
        result = account_page(args.account)
    elif args.operation == "notices_pdf":
        result = notices_pdf(dt.date.fromisoformat(args.day))
    else:
        result = {
            "aging_report": aging_report,
            "arrears_list": arrears_list,
            "worklist_page": worklist_page,
        }[args.operation]()
    emit(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
