"""`wuye worker` killed (SIGKILL) in the middle of a multi-project dunning run and
restarted (issue 7): the project it was running is rolled back and run again by the new
worker, the finished one is not run twice; every project's notices are issued exactly
once, numbered without gaps (E2), on the database the suite runs on."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

ON = "2026-11-02"
TABLE = "django_tasks_database_dbtaskresult"


def _wuye(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "wuye.cli", *args], env=env, capture_output=True, text=True,
        check=True, timeout=300,
    )  # fmt: skip


@pytest.fixture
def scratch():
    """A database of its own (the test database is not visible to other processes), and
    a function that runs one SQL query on it from this process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_DATABASE")}
    env.pop("DATABASE_URL", None)
    env.pop("WUYE_TASK_HOLD", None)
    env["WUYE_USER"] = "scheduler"
    if connection.vendor == "postgresql":
        import psycopg

        name = f"wuye_h_sched_{uuid.uuid4().hex[:8]}"
        s = connection.settings_dict
        server = f"host={s['HOST']} port={s['PORT'] or 5432} user={s['USER']}"
        with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        env["WUYE_DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{name}"

        def query(sql):
            with psycopg.connect(f"{server} dbname={name}", autocommit=True) as conn:
                return conn.execute(sql).fetchall()

        yield env, query
        with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"wuye-sched-{uuid.uuid4().hex[:8]}.db"
        env["WUYE_SQLITE_PATH"] = str(path)

        def query(sql):
            conn = sqlite3.connect(path, timeout=30)
            try:
                return conn.execute(sql).fetchall()
            finally:
                conn.close()

        yield env, query
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def statuses(query) -> list[str]:
    return sorted(status for (status,) in query(f"SELECT status FROM {TABLE}"))


def test_worker_killed_mid_run_and_restarted_issues_each_notice_once(scratch):
    env, query = scratch
    _wuye(env, "migrate")
    _wuye(env, "demo-data", "--units", "400", "--on", "2026-10-31",
          "--history-from", "2026-08-01", "--history-until", "2026-10-31")  # fmt: skip
    queued = json.loads(_wuye(env, "runs", "enqueue", "dunning", "--on", ON, "--json").stdout)
    codes = [q["project"] for q in queued["queued"]]
    assert codes == ["CY", "HT"]  # run in this order (enqueued first, run first)

    # the worker holds HT's transaction open after writing its notices: killed there
    held = {**env, "WUYE_TASK_HOLD": "HT:120"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "wuye.cli", "worker", "--no-schedule", "--interval", "0.2"],
        env=held, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while statuses(query) != ["RUNNING", "SUCCESSFUL"]:
            assert worker.poll() is None, worker.stderr.read()
            assert time.monotonic() < deadline, statuses(query)
            time.sleep(0.1)
        time.sleep(2)  # HT's notices are written, not committed
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        worker.stderr.close()
    assert worker.returncode == -signal.SIGKILL

    def notices() -> list[dict]:
        out = _wuye(env, "notices", "list", "--as-of", ON, "--json").stdout
        return json.loads(out)["notices"]

    done = notices()
    assert done and {n["number"].split("-")[0] for n in done} == {"CY"}  # HT rolled back
    assert statuses(query) == ["RUNNING", "SUCCESSFUL"]  # HT claimed by a dead worker

    restarted = _wuye(env, "worker", "--once", "--no-schedule")
    assert "requeued task" in restarted.stderr
    assert statuses(query) == ["SUCCESSFUL", "SUCCESSFUL"]
    after = notices()
    assert [n for n in after if n["number"].startswith("CY")] == done  # CY not run twice
    by_project: dict[str, list[int]] = {}
    for n in after:
        prefix, _, seq = n["number"].rpartition("-")
        by_project.setdefault(prefix.split("-")[0], []).append(int(seq))
    assert set(by_project) == {"CY", "HT"}
    for numbers in by_project.values():  # gapless per project and year
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    steps = [(n["unit"], n["step"]) for n in after]
    assert len(steps) == len(set(steps))  # one notice per account and track (E2)

    _wuye(env, "runs", "enqueue", "dunning", "--on", ON)  # the whole run again
    _wuye(env, "worker", "--once", "--no-schedule")
    assert notices() == after  # changes nothing


def test_two_worker_threads_run_a_bill_run_and_stop_on_sigterm(scratch):
    env, query = scratch
    _wuye(env, "migrate")
    _wuye(env, "demo-data", "--units", "200", "--on", "2026-10-31",
          "--history-from", "2026-09-01", "--history-until", "2026-10-31")  # fmt: skip
    _wuye(env, "runs", "enqueue", "bills", "--period", "2026-11", "--on", ON)
    worker = subprocess.Popen(
        [sys.executable, "-m", "wuye.cli", "worker", "--threads", "2", "--no-schedule",
         "--interval", "0.2", "--tick", "0.5"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while statuses(query) != ["SUCCESSFUL", "SUCCESSFUL"]:
            assert worker.poll() is None, worker.stderr.read()
            assert time.monotonic() < deadline, statuses(query)
            time.sleep(0.1)
        assert query("SELECT count(*) FROM scheduler_workerbeat") == [(1,)]  # alive
        worker.send_signal(signal.SIGTERM)  # finish, then leave
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stderr.close()
    assert query("SELECT count(*) FROM scheduler_workerbeat") == [(0,)]
    rows = query("SELECT number FROM billing_bill WHERE period_start = '2026-11-01'")
    by_project: dict[str, list[int]] = {}
    for (number,) in rows:
        prefix, _, seq = number.rpartition("-")
        by_project.setdefault(prefix, []).append(int(seq))
    assert len(by_project) == 2
    for numbers in by_project.values():  # gapless per project and period
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
