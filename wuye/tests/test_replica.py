"""Reports read from a replica (issue 7, wuye.replica, docs/scaling.md): with
WUYE_REPORTS_DATABASE_URL set, the report commands read from that database and every
other command, and every write, stays on the primary. Two SQLite files stand in for a
primary and its (lagging) replica, in subprocesses, as a deployment runs them."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ON = "2026-06-15"


def _wuye(env: dict, *argv: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "wuye.cli", *argv, "--json"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _arrears(env: dict, out: Path) -> dict[str, str]:
    data = _wuye(env, "reports", "arrears", "--project", "CY", "--as-of", ON, "--out", str(out))
    with out.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert data["rows"] == len(rows) - 1
    return {row[0]: row for row in rows[1:]}  # by unit code


@pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"],
    reason="runs on SQLite files whatever the suite's database: the SQLite suite runs it",
)
def test_reports_read_the_replica_and_everything_else_the_primary(tmp_path):
    """Given a primary with demo history and a replica copied from it; when a payment
    clears an account on the primary (the replica has not caught up); then the arrears
    list read with WUYE_REPORTS_DATABASE_URL still shows that account (read from the
    replica), without it the account is gone (the primary), and the payment was written
    to the primary only."""
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("WUYE_DATABASE_URL", "DATABASE_URL")}
    env |= {"WUYE_SQLITE_PATH": str(primary), "WUYE_USER": "finance"}
    _wuye(env, "migrate")
    _wuye(env, "demo-data", "--units", "60", "--seed", "2",
          "--history-from", "2026-04-01", "--history-until", ON)  # fmt: skip
    with sqlite3.connect(primary) as source, sqlite3.connect(replica) as target:
        source.backup(target)
    before = _arrears(env, tmp_path / "before.csv")
    unit = next(iter(before))

    with_replica = env | {"WUYE_REPORTS_DATABASE_URL": f"sqlite:///{replica}"}
    statement = _wuye(with_replica, "accounts", "show", unit, "--as-of", ON)
    owed = statement["balance"]
    # a write with the replica configured: it goes to the primary
    _wuye(with_replica, "payments", "record", "--unit", unit, "--amount", owed, "--on", ON,
          "--method", "cash")  # fmt: skip

    from_primary = _arrears(env, tmp_path / "primary.csv")
    from_replica = _arrears(with_replica, tmp_path / "replica.csv")
    assert unit not in from_primary  # the payment is on the primary
    assert unit in from_replica and from_replica == before  # the replica has not seen it
    with sqlite3.connect(replica) as db:
        (payments_on_replica,) = db.execute("SELECT COUNT(*) FROM payments_payment").fetchone()
    with sqlite3.connect(primary) as db:
        (payments_on_primary,) = db.execute("SELECT COUNT(*) FROM payments_payment").fetchone()
    assert payments_on_primary == payments_on_replica + 1
