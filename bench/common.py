"""What the benchmark's processes share: the demo's day, the operations, and how a child
process is pointed at a database (SQLite file or PostgreSQL database)."""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ON = dt.date(2026, 6, 15)  # the demo's day (a Monday); history from March: four bill runs
NEXT_PERIOD = "2026-07"  # the bill run measured: the period after the history's last
NEXT_RUN_ON = dt.date(2026, 7, 1)  # its bill-run day (the first working day, W1)
PDF_NOTICES = 1000  # at most this many of the day's notices are rendered
# tables written by the database's own triggers (the audit log, wuye.audit): the floor's
# writes fire them too, so they are neither copied by the floor nor counted as written
TRIGGER_WRITTEN = {"audit_auditevent"}
OPERATIONS = [
    "bill_run",
    "dunning_run",
    "aging_report",
    "arrears_list",
    "account_page",
    "worklist_page",
    "notices_pdf",
]
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/"


def child_env(db: str) -> dict:
    """The environment of a child process working on `db`: a SQLite path, or a
    postgres:// URL."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wuye.settings", "WUYE_USER": "bench"}
    env.pop("WUYE_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    if db.startswith("postgres"):
        env["WUYE_DATABASE_URL"] = db
    else:
        env["WUYE_SQLITE_PATH"] = db
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def peak_mb() -> float:
    """Peak resident memory of this process, or of its largest child (PDF workers), in MB
    (ru_maxrss is in KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def emit(result: dict) -> None:
    """The child's result: one JSON line on stdout (the parent reads the last line)."""
    sys.stdout.write(json.dumps({**result, "peak_mb": peak_mb()}, default=str) + "\n")
    sys.stdout.flush()


def django_setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")
    django.setup()
