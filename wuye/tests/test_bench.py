"""`python -m bench` (issue 7) at a tiny size on SQLite: every operation is measured in
its own process with rows, a floor (the same rows by hand-written SQL) and a ratio, and
the JSON carries the machine's details. In the PostgreSQL suite, also the writes on
PostgreSQL: their floors written into the data set itself and rolled back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench.common import OPERATIONS as BENCH_OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = set(BENCH_OPERATIONS)


@pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"],
    reason="runs on SQLite files whatever the suite's database: the SQLite suite runs it",
)
def test_bench_measures_every_operation_against_its_floor(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("WUYE_DATABASE_URL", "DATABASE_URL")}
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--units", "60", "--db", "sqlite",
         "--dir", str(tmp_path), "--json", str(out), "--drop"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["units"] == 60 and result["db"] == "sqlite"
    assert result["machine"]["cores"] >= 1 and result["machine"]["database_version"]
    assert {r["operation"] for r in result["operations"]} == OPERATIONS
    for r in result["operations"]:
        assert r["rows"] > 0, r
        assert r["seconds"] > 0 and r["floor_seconds"] > 0 and r["ratio"] > 0, r
        assert r["floor_rows"] > 0 and r["peak_mb"] > 0, r
    writes = {r["operation"]: r for r in result["operations"]}
    for name in ("bill_run", "dunning_run"):  # the floor writes exactly the same rows
        assert writes[name]["floor_rows"] == writes[name]["rows"]
    # the arrears list's floor reads the same accounts' open debts, per debt
    arrears = writes["arrears_list"]
    assert arrears["floor_rows"] == arrears["rows"]
    assert arrears["floor_details"]["debts"] >= arrears["rows"]
    # read a project at a time (as the list is) or all at once: the same debts
    assert arrears["floor_details"]["all_projects_debts"] == arrears["floor_details"]["debts"]
    assert "bill_run" in done.stdout and "ratio" in done.stdout  # the printed table
    assert not list(tmp_path.glob("bench-60*.sqlite3"))  # --drop removed the data set


@pytest.mark.postgres_only(reason="the PostgreSQL floors (COPY, rolled back) need the server")
def test_bench_on_postgresql_writes_each_floor_into_the_data_set_and_rolls_it_back(tmp_path):
    from django.conf import settings

    db = settings.DATABASES["default"]
    server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
    env = {k: v for k, v in os.environ.items() if k not in ("WUYE_DATABASE_URL", "DATABASE_URL")}
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--units", "60", "--db", "postgres", "--pg-url", server,
         "--only", "bill_run,dunning_run,aging_report", "--json", str(out), "--drop"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["db"] == "postgres"
    ops = {r["operation"]: r for r in result["operations"]}
    assert set(ops) == {"bill_run", "dunning_run", "aging_report"}
    for name in ("bill_run", "dunning_run"):
        assert ops[name]["floor_rows"] == ops[name]["rows"] > 0, ops[name]
        assert ops[name]["floor_details"]["how"] == "copy, rolled back"
    assert ops["dunning_run"]["floor_details"]["rows_read"] > 0  # the set-based reads
    import psycopg

    with psycopg.connect(server + "postgres") as admin:
        left = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'wuye_bench_60%'"
        ).fetchall()
    assert left == []  # --drop removed the data set; no copy was left behind
