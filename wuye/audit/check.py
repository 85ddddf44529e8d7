"""`wuye audit check` (issue 8): the audit log's hash chain is whole, and the ledger is
what the log says was inserted into it.

Chain: sealed events have seq 1, 2, 3, … with no gap, and each one's `chain` is
sha256(previous chain + the event as stored): a changed event breaks its own hash, a
deleted one leaves a gap in `seq`.

Ledger: every insert into `ledger_entry` is audited with its first and last id, row
count, sum of amounts and (PostgreSQL) a checksum of the rows' contents. Overlapping id
ranges (concurrent statements) are checked together. Every entry must lie in an audited
range (else it was inserted past the audit), and each range must hold the audited count,
sum and checksum now (else rows were deleted or changed). On SQLite each row's event also
keeps the row's main fields, compared one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from wuye.audit import triggers
from wuye.audit.models import AuditEvent
from wuye.audit.services import FIELDS, link, seal

FAR = 2**62
SHOW = 10  # ids named per finding


@dataclass
class CheckResult:
    events: int = 0
    sealed_now: int = 0
    unsealed: int = 0
    entries: int = 0
    audited_inserts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok, "events": self.events, "sealed_now": self.sealed_now,
            "unsealed": self.unsealed, "entries": self.entries,
            "audited_inserts": self.audited_inserts, "problems": self.problems,
        }  # fmt: skip


def check(*, seal_first: bool = True) -> CheckResult:
    result = CheckResult()
    if seal_first:
        result.sealed_now = seal()
    outermost = not connection.in_atomic_block
    with transaction.atomic():  # one snapshot: events and entries committed meanwhile agree
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        result.problems += [f"trigger missing or disabled: {t}" for t in triggers.missing()]
        _check_chain(result)
        _check_ledger(result)
    return result


def _check_chain(result: CheckResult) -> None:
    expected_seq, previous = 1, ""
    events = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for row in events.values("seq", "chain", *FIELDS).iterator(chunk_size=5000):
        result.events += 1
        if row["seq"] != expected_seq:
            result.problems.append(
                f"audit events missing: seq {expected_seq}..{row['seq'] - 1} are gone "
                f"(the next is event {row['id']})"
            )
            previous = row["chain"]  # go on from here, to find later breaks too
        elif link(previous, row) != row["chain"]:
            result.problems.append(
                f"audit event {row['id']} (seq {row['seq']}) was changed: its hash does not match"
            )
            previous = row["chain"]
        else:
            previous = row["chain"]
        expected_seq = row["seq"] + 1
    result.unsealed = AuditEvent.objects.filter(seq__isnull=True).count()


def _fen(amount) -> int:
    return int((Decimal(str(amount)) * 100).to_integral_value())


def _ranges():
    """Audited inserts as (lo, hi, rows, fen, checksum or None, event ids), overlapping
    ranges merged."""
    events = AuditEvent.objects.filter(
        table=triggers.LEDGER, action__in=["insert", "baseline"]
    ).order_by("id")
    spans = []
    for event_id, after in events.values_list("id", "after").iterator(chunk_size=5000):
        checksum = after.get("checksum")
        spans.append((
            int(after["first_id"]), int(after["last_id"]), int(after["rows"]),
            _fen(after["amount"]), None if checksum is None else int(checksum), event_id,
        ))  # fmt: skip
    spans.sort()
    merged: list[list] = []
    for lo, hi, rows, fen, checksum, event_id in spans:
        if merged and lo <= merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], hi)
            last[2] += rows
            last[3] += fen
            last[4] = None if last[4] is None or checksum is None else last[4] + checksum
            last[5].append(event_id)
        else:
            merged.append([lo, hi, rows, fen, checksum, [event_id]])
    return merged


def _check_ledger(result: CheckResult) -> None:
    postgres = connection.vendor == "postgresql"
    merged = _ranges()
    result.audited_inserts = sum(len(m[5]) for m in merged)
    # the whole id line: audited ranges, and the gaps between them, which must be empty
    intervals, edge = [], -FAR
    for n, (lo, hi, *_rest) in enumerate(merged):
        if lo > edge:
            intervals.append((edge, lo - 1, -1))
        intervals.append((lo, hi, n))
        edge = hi + 1
    intervals.append((edge, FAR, -1))
    fen = "(e.amount * 100)::bigint" if postgres else "CAST(round(e.amount * 100) AS INTEGER)"
    fingerprint = f"sum({triggers.PG_FINGERPRINT.format(t='e.')})" if postgres else "NULL"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE wuye_audit_ranges (k integer, lo bigint, hi bigint, n integer)"
            + (" ON COMMIT DROP" if postgres else "")
        )
        cursor.executemany(
            "INSERT INTO wuye_audit_ranges VALUES (%s, %s, %s, %s)",
            [(k, lo, hi, n) for k, (lo, hi, n) in enumerate(intervals)],
        )
        cursor.execute(
            f"""SELECT r.k, r.lo, r.hi, r.n, count(e.id), sum({fen}), {fingerprint}
            FROM wuye_audit_ranges r JOIN ledger_entry e ON e.id BETWEEN r.lo AND r.hi
            GROUP BY r.k, r.lo, r.hi, r.n ORDER BY r.k"""
        )
        found = {row[0]: row for row in cursor.fetchall()}
        for k, (lo, hi, n) in enumerate(intervals):
            _, _, _, _, count, sum_fen, checksum = found.get(k, (k, lo, hi, n, 0, 0, None))
            result.entries += count
            if n < 0:
                if count:
                    cursor.execute(
                        "SELECT id FROM ledger_entry WHERE id BETWEEN %s AND %s ORDER BY id"
                        f" LIMIT {SHOW}",
                        [lo, hi],
                    )
                    ids = ", ".join(str(r[0]) for r in cursor.fetchall())
                    more = " …" if count > SHOW else ""
                    result.problems.append(
                        f"{count} ledger entries have no audited insert: entry {ids}{more}"
                    )
                continue
            _lo, _hi, rows, want_fen, want_sum, event_ids = merged[n]
            differs = []
            if count != rows:
                differs.append(f"{rows} rows audited, {count} found")
            if (sum_fen or 0) != want_fen:
                differs.append(
                    f"amount {Decimal(want_fen) / 100:.2f} audited, {Decimal(sum_fen or 0) / 100:.2f} found"
                )
            if not differs and want_sum is not None and checksum is not None:
                if int(checksum) != want_sum:
                    differs.append("contents differ from the audited checksum")
            if differs:
                what = f"entry {lo}" if lo == hi else f"entries {lo}..{hi}"
                events = ", ".join(map(str, event_ids[:SHOW]))
                result.problems.append(
                    f"ledger {what} (audit event {events}): {'; '.join(differs)}"
                )
        if not postgres:
            _compare_rows(cursor, result)
        cursor.execute("DROP TABLE wuye_audit_ranges")


SQLITE_FIELDS = [
    "account_id", "kind", "component", "bill_line_id", "entry_date", "value_date",
    "payment_id", "refund_id", "reverses_id",
]  # fmt: skip


def _compare_rows(cursor, result: CheckResult) -> None:
    """SQLite: each entry against the fields its own insert event kept."""
    differs = " OR ".join(f"json_extract(a.after, '$.row.{f}') IS NOT e.{f}" for f in SQLITE_FIELDS)
    cursor.execute(
        f"""SELECT e.id FROM audit_auditevent a
          JOIN ledger_entry e ON e.id = CAST(a.object_id AS INTEGER)
        WHERE a.table_name = 'ledger_entry' AND a.action = 'insert'
          AND ({differs} OR json_extract(a.after, '$.row.amount') <> printf('%.2f', e.amount))
        ORDER BY e.id"""
    )
    for (entry_id,) in cursor.fetchall():
        result.problems.append(f"ledger entry {entry_id} was changed after its audited insert")
