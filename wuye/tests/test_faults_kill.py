"""The bill run and the dunning run killed with SIGKILL at random points, then run again
(issue 8, Faults), on the database the suite runs on.

Each run is the real command (`python -m wuye.cli bills issue …`, `… dunning run …`)
started as a subprocess on a scratch database holding demo data with three months of
history. An uninterrupted run on a copy of that database is the reference, and it is timed
and watched to learn how long its write transactions last. Then, on fresh copies, the same
command is killed a few times at random points drawn from a seeded RNG: either a random
moment of the whole process, or a random moment after its write transaction was seen open
(SQLite: a writer holds the database lock; PostgreSQL: the backend is in a transaction that
wrote). After every kill and after the final, uninterrupted rerun the database must hold:

- numbers without gap or repeat per sequence (bills per project and period, notices and
  receipts per project and year; E2, P1): exactly 1…last of `billing_numbersequence`;
- no duplicate bill (account, period), notice (episode, level, occurrence) or outbox
  message (one per notice), and every bill's total equal to its lines and to its charge
  entries, every payment fully booked (P1, Money);
- after the rerun, the same bills, notices and messages (numbers, accounts, amounts) and
  the same balance on every account as the uninterrupted reference.

The test prints one line per run kind (`FAULTS kill …`) with the kills survived and how many
hit an open transaction; run with `-s` to see it.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

HISTORY = ("--history-from", "2026-08-01", "--history-until", "2026-10-31")
UNITS = "400"
RUNS = {
    # kind: the command, and the tables whose content the run writes (for the comparison)
    "bills": ("bills", "issue", "--period", "2026-11", "--on", "2026-11-02"),
    "dunning": ("dunning", "run", "--as-of", "2026-11-02"),
}
TRIALS = 4  # fresh copies per run kind
KILLS_PER_TRIAL = 2  # kills one after the other on the same copy, then the rerun
SEED = 20261127


def _base_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_DATABASE")}
    for name in ("DATABASE_URL", "WUYE_TASK_HOLD", "WUYE_SQLITE_PATH"):
        env.pop(name, None)
    env["WUYE_USER"] = "scheduler"
    return env


class ScratchSqlite:
    """Databases as files: a copy is a file copy (after a clean checkpoint)."""

    vendor = "sqlite"

    def __init__(self, root: Path):
        self.root = root

    def env(self, name: str) -> dict:
        return {**_base_env(), "WUYE_SQLITE_PATH": str(self.root / f"{name}.db")}

    def copy(self, source: str, target: str) -> None:
        conn = sqlite3.connect(self.root / f"{source}.db")
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        shutil.copyfile(self.root / f"{source}.db", self.root / f"{target}.db")

    def query(self, name: str, sql: str, params=()) -> list[tuple]:
        conn = sqlite3.connect(self.root / f"{name}.db", timeout=30)
        try:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()

    def prober(self, name: str):
        """A function telling whether a writer holds the database lock right now (the
        runs' transactions are BEGIN IMMEDIATE, so that is exactly "inside atomic")."""
        conn = sqlite3.connect(self.root / f"{name}.db", timeout=0, isolation_level=None)

        def in_transaction() -> bool:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            conn.execute("ROLLBACK")
            return False

        in_transaction.close = conn.close
        return in_transaction

    def settle(self, name: str) -> None:
        """A killed process holds nothing: the OS released its lock."""

    def drop_all(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class ScratchPostgres:
    """Databases on the suite's server: a copy is CREATE DATABASE … TEMPLATE …."""

    vendor = "postgresql"

    def __init__(self):
        s = connection.settings_dict
        self.user, self.host, self.port = s["USER"], s["HOST"], s["PORT"] or 5432
        self.server = f"host={self.host} port={self.port} user={self.user}"
        self.prefix = f"wuye_helper_faults_kill_{uuid.uuid4().hex[:6]}"
        self.names: list[str] = []

    def _admin(self, sql: str, params=()):
        import psycopg

        with psycopg.connect(f"{self.server} dbname=postgres", autocommit=True) as conn:
            return conn.execute(sql, params).fetchall() if params else conn.execute(sql)

    def db(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def create(self, name: str) -> None:
        self._admin(f"CREATE DATABASE {self.db(name)}")
        self.names.append(name)

    def env(self, name: str) -> dict:
        url = f"postgres://{self.user}@{self.host}:{self.port}/{self.db(name)}"
        return {**_base_env(), "WUYE_DATABASE_URL": url}

    def copy(self, source: str, target: str) -> None:
        self._admin(f"CREATE DATABASE {self.db(target)} TEMPLATE {self.db(source)}")
        self.names.append(target)

    def query(self, name: str, sql: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"{self.server} dbname={self.db(name)}", autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def prober(self, name: str):
        """A function telling whether a backend of the database is inside a transaction
        that has written (or sits idle in one) right now."""
        import psycopg

        conn = psycopg.connect(f"{self.server} dbname=postgres", autocommit=True)
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND (backend_xid IS NOT NULL OR state = 'idle in transaction')"
        )

        def in_transaction() -> bool:
            return conn.execute(sql, (self.db(name),)).fetchone()[0] > 0

        in_transaction.close = conn.close
        return in_transaction

    def settle(self, name: str) -> None:
        """Wait until the killed client's backend is gone: it runs its statement on until
        it finds the client away, and a COMMIT sent just before the kill may still land
        (checked in between, the database would seem to change under the checks)."""
        deadline = time.monotonic() + 60
        while self._admin(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.db(name),),
        )[0][0]:
            assert time.monotonic() < deadline, "the killed run's backend did not end"
            time.sleep(0.05)

    def drop_all(self) -> None:
        for name in self.names:
            self._admin(f"DROP DATABASE IF EXISTS {self.db(name)} WITH (FORCE)")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A base database with demo data and history, made once for the module."""
    if connection.vendor == "postgresql":
        dbs = ScratchPostgres()
        dbs.create("base")
    else:
        dbs = ScratchSqlite(tmp_path_factory.mktemp("faults-kill"))
    try:
        _wuye(dbs.env("base"), "migrate")
        _wuye(dbs.env("base"), "demo-data", "--units", UNITS, "--on", "2026-10-31", *HISTORY)
        yield dbs
    finally:
        dbs.drop_all()


def _wuye(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wuye.cli", *args], env=env, capture_output=True, text=True,
        check=True, timeout=300,
    )  # fmt: skip


def _start(env, args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "wuye.cli", *args], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _watch(dbs, name: str, args) -> tuple[float, float, float]:
    """Run the command to its end, probing for an open write transaction every few ms:
    the whole duration, when the first transaction was seen open, and how long the
    transactions were seen open in all."""
    probe = dbs.prober(name)
    try:
        started = time.monotonic()
        run = _start(dbs.env(name), args)
        first, seen_open, last = None, 0.0, started
        while run.poll() is None:
            now = time.monotonic()
            if probe():
                first = now - started if first is None else first
                seen_open += now - last
            last = now
            time.sleep(0.003)
        total = time.monotonic() - started
        _, err = run.communicate()
        assert run.returncode == 0, err
    finally:
        probe.close()
    assert first is not None, "the run's write transaction was never seen open"
    return total, first, seen_open


def _kill(dbs, name: str, args, *, rng: random.Random, total: float, txn: float) -> str:
    """Start the command and SIGKILL it at a random point; returns where it was: "in
    transaction", "outside transaction" or "finished" (the kill came too late)."""
    probe = dbs.prober(name)
    run = _start(dbs.env(name), args)
    try:
        if rng.random() < 0.4:  # a random moment of the whole process
            deadline = time.monotonic() + rng.uniform(0.0, total)
            while time.monotonic() < deadline and run.poll() is None:
                time.sleep(0.002)
        else:  # a random moment after the write transaction opened
            limit = time.monotonic() + 120
            while not probe() and run.poll() is None:
                assert time.monotonic() < limit, "the run never opened its transaction"
                time.sleep(0.002)
            deadline = time.monotonic() + rng.uniform(0.0, 0.8 * txn)
            while time.monotonic() < deadline and run.poll() is None:
                time.sleep(0.002)
        where = "in transaction" if probe() else "outside transaction"
        if run.poll() is not None:
            where = "finished"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        if run.returncode == 0:  # it ended between the look and the kill: too late
            where = "finished"
        if where != "finished":
            assert run.returncode == -signal.SIGKILL, run.stderr.read()
        elif run.returncode != -signal.SIGKILL:
            assert run.returncode == 0, run.stderr.read()
        return where
    finally:
        run.stderr.close()
        probe.close()


# --- what the database must hold ---------------------------------------------------------

SEQUENCES = {  # the key's kind: table, number column, prefix from (project, middle)
    "bill": ("billing_bill", "number", "{}-{}-"),
    "notice": ("dunning_notice", "number", "{}-N{}-"),
    "receipt": ("payments_payment", "receipt_number", "{}-R{}-"),
}


def check_invariants(dbs, name: str) -> None:
    q = lambda sql, *p: dbs.query(name, sql, p)  # noqa: E731
    # numbers: exactly 1…last of each sequence, nothing numbered outside one (E2, P1)
    covered = Counter()
    for key, last in q("SELECT key, last FROM billing_numbersequence"):
        kind, project, middle = key.split(":")
        if kind not in SEQUENCES:
            continue
        table, column, pattern = SEQUENCES[kind]
        prefix = pattern.format(project, middle)
        found = [
            int(n[len(prefix) :])
            for (n,) in q(f"SELECT {column} FROM {table} WHERE {column} LIKE %s", prefix + "%")
        ]
        assert sorted(found) == list(range(1, last + 1)), (key, last, len(found))
        covered[table] += len(found)
    for table, _column, _ in SEQUENCES.values():
        assert q(f"SELECT count(*) FROM {table}")[0][0] == covered[table], table
    # one live bill per account and period, one notice per episode, level and occurrence,
    # one outbox message per notice (E2, R1)
    assert not q(
        "SELECT account_id, period_start FROM billing_bill WHERE status = 'issued'"
        " GROUP BY account_id, period_start HAVING count(*) > 1"
    )
    assert not q(
        "SELECT episode_id FROM dunning_notice WHERE replaces_id IS NULL"
        " AND status <> 'cancelled' GROUP BY episode_id, level, occurrence HAVING count(*) > 1"
    )
    assert not q(
        "SELECT notice_id FROM messaging_message WHERE notice_id IS NOT NULL"
        " GROUP BY notice_id HAVING count(*) > 1"
    )
    # the ledger: a bill's total is its lines and its charge entries; a payment is booked
    # in full; no debt is paid below zero (P1, Money)
    assert not q(
        "SELECT b.number FROM billing_bill b LEFT JOIN ("
        "  SELECT bill_id, SUM(amount) AS s FROM billing_billline GROUP BY bill_id) l"
        "  ON l.bill_id = b.id LEFT JOIN ("
        "  SELECT bill_id, SUM(amount) AS s FROM ledger_entry WHERE kind = 'charge'"
        "  GROUP BY bill_id) e ON e.bill_id = b.id"
        " WHERE ROUND(COALESCE(l.s, 0) - b.total, 2) <> 0 OR ROUND(COALESCE(e.s, 0) - b.total, 2) <> 0"
    )
    assert not q(
        "SELECT p.receipt_number FROM payments_payment p LEFT JOIN ("
        "  SELECT payment_id, SUM(amount) AS s FROM ledger_entry WHERE kind = 'payment'"
        "  GROUP BY payment_id) e ON e.payment_id = p.id WHERE ROUND(COALESCE(e.s, 0) + p.amount, 2) <> 0"
    )
    assert not q(
        "SELECT bill_line_id, component FROM ledger_entry WHERE bill_line_id IS NOT NULL"
        " GROUP BY bill_line_id, component HAVING ROUND(SUM(amount), 2) < 0"
    )


def snapshot(dbs, name: str) -> dict:
    """What the runs write, by business keys (ids may differ: PostgreSQL sequences are
    not rolled back), amounts as text."""
    q = lambda sql: sorted(tuple(str(v) for v in row) for row in dbs.query(name, sql))  # noqa: E731
    return {
        "bills": q(
            "SELECT number, account_id, period_start, total, due_date, status FROM billing_bill"
        ),
        "bill lines": q(
            "SELECT b.number, l.fee_item_id, l.amount FROM billing_billline l"
            " JOIN billing_bill b ON b.id = l.bill_id"
        ),
        "notices": q(
            "SELECT number, account_id, level, occurrence, action, status, principal,"
            " late_fee, total, pay_by FROM dunning_notice"
        ),
        "messages": q(
            "SELECT idempotency_key, account_id, channel, recipient, status, body"
            " FROM messaging_message"
        ),
        "balances": q(
            "SELECT account_id, ROUND(SUM(amount), 2) FROM ledger_entry GROUP BY account_id"
        ),
        "entries": q(
            "SELECT e.account_id, e.kind, e.component, b.number, l.fee_item_id, e.amount,"
            " e.entry_date FROM ledger_entry e LEFT JOIN billing_billline l"
            " ON l.id = e.bill_line_id LEFT JOIN billing_bill b ON b.id = l.bill_id"
        ),
        "episodes": q("SELECT account_id, opened_on, closed_on FROM dunning_episode"),
        "run marks": q("SELECT project_id, last_as_of FROM dunning_runmark"),
    }


def _rerun(dbs, name: str, args) -> None:
    _wuye(dbs.env(name), *args)


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_run_killed_at_random_points_and_rerun_loses_and_doubles_nothing(scratch, kind):
    """E2, P1, R1, Money: given a run killed with SIGKILL several times at random points
    (some inside its write transaction), when it is run again to the end, then numbers
    have no gap or repeat, nothing is doubled, the ledger adds up, and the result is the
    same as the uninterrupted run's."""
    dbs, args = scratch, RUNS[kind]
    rng = random.Random(f"{SEED}-{kind}-{dbs.vendor}")
    before = snapshot(dbs, "base")

    reference = f"{kind}_ref"
    dbs.copy("base", reference)
    total, first_open, txn = _watch(dbs, reference, args)
    check_invariants(dbs, reference)
    expected = snapshot(dbs, reference)
    assert (
        expected["bills" if kind == "bills" else "notices"]
        != before["bills" if kind == "bills" else "notices"]
    ), "the reference run wrote nothing"
    _rerun(dbs, reference, args)  # run it twice, nothing changes (STYLE §10)
    assert snapshot(dbs, reference) == expected

    where = Counter()
    for trial in range(TRIALS):
        name = f"{kind}_t{trial}"
        dbs.copy("base", name)
        for _ in range(KILLS_PER_TRIAL):
            where[_kill(dbs, name, args, rng=rng, total=total, txn=txn)] += 1
            dbs.settle(name)
            check_invariants(dbs, name)  # a kill leaves a consistent database
        _rerun(dbs, name, args)
        check_invariants(dbs, name)
        assert snapshot(dbs, name) == expected, f"trial {trial} differs from the reference"

    kills = where["in transaction"] + where["outside transaction"]
    print(
        f"\nFAULTS kill {dbs.vendor} {kind}: {kills} SIGKILLs survived "
        f"({where['in transaction']} inside the write transaction, "
        f"{where['outside transaction']} outside it, {where['finished']} came after the end) "
        f"over {TRIALS} reruns; run {total:.2f} s, transaction first seen at "
        f"{first_open:.2f} s and open {txn:.2f} s; no gap, repeat, duplicate or imbalance"
    )
    assert where["in transaction"] >= 1, where  # the point of the test
