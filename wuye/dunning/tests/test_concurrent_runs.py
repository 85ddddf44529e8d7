"""Two dunning runs for the same date started at the same time, as two processes (the
scheduler fired twice), on the database the suite runs on: no duplicate notice, no gap
in the numbers, and a third run changes nothing (rule E2; issue 4)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

AS_OF = "2026-11-02"


def _wuye(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "wuye.cli", *args], env=env, capture_output=True, text=True,
        check=check, timeout=300,
    )  # fmt: skip


@pytest.fixture
def scratch_env(tmp_path):
    """A database of its own (the test database is not visible to other processes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WUYE_DATABASE")}
    env.pop("DATABASE_URL", None)
    env["WUYE_USER"] = "scheduler"
    if connection.vendor == "postgresql":
        import psycopg

        name = f"wuye_conc_{uuid.uuid4().hex[:8]}"
        settings = connection.settings_dict
        admin = f"host={settings['HOST']} port={settings['PORT'] or 5432} user={settings['USER']} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        env["WUYE_DATABASE_URL"] = (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{name}"
        )
        yield env
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        env["WUYE_SQLITE_PATH"] = str(Path(tmp_path) / "concurrent.sqlite3")
        yield env


def test_two_overlapping_runs_issue_each_notice_once(scratch_env):
    env = scratch_env
    _wuye(env, "migrate")
    _wuye(env, "demo-data", "--units", "400", "--on", "2026-10-31",
          "--history-from", "2026-08-01", "--history-until", "2026-10-31")  # fmt: skip
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "wuye.cli", "dunning", "run", "--as-of", AS_OF, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    import json

    created = [json.loads(out)["notices_created"] for out, _ in outputs]
    listed = json.loads(_wuye(env, "notices", "list", "--as-of", AS_OF, "--json").stdout)
    notices = listed["notices"]
    assert sum(created) == len(notices) > 0  # one run issued them all, the other none
    assert 0 in created
    steps = [(n["unit"], n["step"]) for n in notices]
    assert len(steps) == len(set(steps))  # one notice per account and track per run (E2)
    by_project: dict[str, list[int]] = {}
    for n in notices:
        prefix, _, seq = n["number"].rpartition("-")
        by_project.setdefault(prefix, []).append(int(seq))
    for numbers in by_project.values():  # gapless per project and year
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    again = json.loads(_wuye(env, "dunning", "run", "--as-of", AS_OF, "--json").stdout)
    assert again["notices_created"] == 0
