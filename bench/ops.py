"""One measured operation in its own process (so its peak memory is its own):

    python -m bench.ops OPERATION [--units N]

The database comes from the environment (WUYE_SQLITE_PATH or WUYE_DATABASE_URL, set by
`python -m bench`). Each operation calls the services and selectors the CLI and the web
pages call, times only that call, and prints one JSON line: seconds, rows, peak_mb, and
for writes the id ranges of the rows written per table (for the floor to write again).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    NEXT_PERIOD,
    NEXT_RUN_ON,
    ON,
    PDF_NOTICES,
    TRIGGER_WRITTEN,
    django_setup,
    emit,
)

ACTOR = "bench"
DUNNING_WEEKS = (5, 4, 3, 2, 1)


# -- building the data set ---------------------------------------------------------------


def build(units: int) -> dict:
    """The demo with three months of history up to ON (as `wuye demo` prepares it), ANALYZE,
    then weekly dunning runs over the five weeks before ON (so accounts stand at various
    steps and some printed notices exist) and ANALYZE; ON's dunning run is the benchmark's."""
    import datetime as dt

    from django.core.management import call_command

    from wuye.demo.services import make_demo_data
    from wuye.dunning.services import run_dunning
    from wuye.properties.models import Account
    from wuye.web.demo import analyse

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    first = (ON.replace(day=1) - dt.timedelta(days=85)).replace(day=1)
    make_demo_data(units=units, seed=1, on=ON, actor=ACTOR, history_from=first, history_until=ON)
    analyse()
    for weeks in DUNNING_WEEKS:  # the weekly dunning runs before the day: escalated steps
        run_dunning(as_of=ON - dt.timedelta(weeks=weeks), actor=ACTOR)
    analyse()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "rows": Account.objects.count(),
    }


def migrate() -> dict:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    return {"seconds": round(time.perf_counter() - started, 2), "rows": 0}


def vacuum() -> dict:
    """PostgreSQL: VACUUM ANALYZE (after a floor's rolled-back writes on the data set)."""
    from django.db import connection

    started = time.perf_counter()
    connection.ensure_connection()
    connection.connection.autocommit = True
    with connection.connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"seconds": round(time.perf_counter() - started, 2), "rows": 0}


def analyze() -> dict:
    from wuye.web.demo import analyse

    started = time.perf_counter()
    analyse()
    return {"seconds": round(time.perf_counter() - started, 2), "rows": 0}


# -- writes: the rows written are found by id ------------------------------------------


def _id_tables() -> list[str]:
    """Tables with an integer `id` primary key (every model of the project's apps)."""
    from django.apps import apps
    from django.db import models

    tables = []
    for model in apps.get_models(include_auto_created=True):
        pk = model._meta.pk
        if pk.column == "id" and isinstance(pk, models.AutoField | models.BigAutoField):
            tables.append(model._meta.db_table)
    return sorted(set(tables))


def _max_ids(tables: list[str]) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = {}
        for table in tables:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            found[table] = cursor.fetchone()[0]
    return found


def _written(run) -> dict:
    """Time `run()`; the rows it wrote are the ids above each table's maximum before."""
    tables = _id_tables()
    before = _max_ids(tables)
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    after = _max_ids(tables)
    written = {t: [before[t], after[t]] for t in tables if after[t] > before[t]}
    from django.db import connection

    rows = {}
    with connection.cursor() as cursor:
        for table, (low, high) in written.items():
            cursor.execute(
                f"SELECT COUNT(*) FROM {table} WHERE id > %s AND id <= %s",
                [low, high],
            )
            rows[table] = cursor.fetchone()[0]
    return {
        "seconds": round(seconds, 3),
        "rows": sum(n for table, n in rows.items() if table not in TRIGGER_WRITTEN),
        "tables": rows,
        "written": written,
    }


def bill_run() -> dict:
    """`wuye bills issue --period NEXT_PERIOD --on NEXT_RUN_ON`: every project."""
    from wuye.billing.services import issue_bills
    from wuye.dates import Period

    period = Period.parse(NEXT_PERIOD)
    result = {}

    def run():
        result["projects"] = issue_bills(period=period, on=NEXT_RUN_ON, actor=ACTOR)

    out = _written(run)
    out["bills"] = sum(r.created for r in result["projects"])
    out["bill_lines"] = sum(r.lines for r in result["projects"])
    return out


def dunning_run() -> dict:
    """`wuye dunning run --as-of ON`: every project."""
    from wuye.dunning.services import run_dunning

    result = {}

    def run():
        result["run"] = run_dunning(as_of=ON, actor=ACTOR)

    out = _written(run)
    out["notices"] = result["run"].notices_created
    return out


# -- reads -------------------------------------------------------------------------------


def aging_report() -> dict:
    """Accounts in arrears and their amounts by age of the oldest open overdue debt, per
    project (the dashboards' 賬齡 figure: `reports.selectors.aging`)."""
    from wuye.properties.models import Project
    from wuye.reports.selectors import aging

    projects = list(Project.objects.order_by("code"))
    started = time.perf_counter()
    buckets = [b for project in projects for b in aging(project=project, as_of=ON)]
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "rows": sum(b.accounts for b in buckets),
        "buckets": len(buckets),
    }


def arrears_list_op(out: Path) -> dict:
    """`wuye reports arrears --project CODE --as-of ON --out FILE.csv`, every project."""
    from wuye.properties.models import Project
    from wuye.reports.services import export_arrears_list

    codes = list(Project.objects.order_by("code").values_list("code", flat=True))
    started = time.perf_counter()
    rows = 0
    for code in codes:
        rows += export_arrears_list(project_code=code, as_of=ON, out=out / f"{code}.csv")["rows"]
    return {"seconds": round(time.perf_counter() - started, 3), "rows": rows}


def _client():
    from django.contrib.auth.models import User
    from django.test import Client

    from wuye.web.models import Membership

    user, _ = User.objects.get_or_create(username="bench-manager")
    Membership.objects.get_or_create(user=user, project=None, role="manager")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _page(url: str, repeat: int = 5) -> float:
    """The median server time of `repeat` GETs after one warm-up (Django test Client,
    as bench/web_pages.py)."""
    client = _client()
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def busiest_account() -> tuple[int, int]:
    """The account with the most ledger entries up to ON, and that number."""
    from django.db.models import Count, Q

    from wuye.properties.models import Account

    row = (
        Account.objects.annotate(n=Count("entries", filter=Q(entries__value_date__lte=ON)))
        .order_by("-n", "pk")
        .values_list("pk", "n")
        .first()
    )
    return row


def account_page() -> dict:
    pk, entries = busiest_account()
    seconds = _page(f"/accounts/{pk}/?on={ON.isoformat()}")
    return {"seconds": round(seconds, 4), "rows": entries, "account": pk}


def open_calls(on):
    """The open calls (R2) issued up to `on`: the collector's calls worklist."""
    from wuye.dunning.models import Action, Notice

    return Notice.objects.filter(action=Action.CALL, status=Notice.Status.OPEN, issued_on__lte=on)


def worklist_page() -> dict:
    """The collector's calls due (tasks, tab calls, R2), first page (50 rows)."""
    shown = min(50, open_calls(ON).count())
    seconds = _page(f"/tasks/?on={ON.isoformat()}&tab=calls")
    return {"seconds": round(seconds, 4), "rows": shown}


def printing_day():
    """The day with the most printed notices (notices, postings, letters; E2)."""
    from django.db.models import Count

    from wuye.documents.selectors import NOT_PRINTED
    from wuye.dunning.models import DELIVERED_ACTIONS, Notice

    row = (
        Notice.objects.filter(action__in=DELIVERED_ACTIONS)
        .exclude(status__in=NOT_PRINTED)
        .values("issued_on")
        .annotate(n=Count("id"))
        .order_by("-n", "-issued_on")
        .first()
    )
    return row["issued_on"] if row else ON


def notices_pdf(out: Path) -> dict:
    """The printed notices of a day (the day with the most: ON itself has few, as the demo
    starts with no dunning history) as one PDF, as `wuye notices pdf --limit PDF_NOTICES`
    renders them: the first PDF_NOTICES by number."""
    from wuye.documents import services

    day = printing_day()
    started = time.perf_counter()
    result = services.render_notices_pdf(as_of=day, out=out / "notices.pdf", limit=PDF_NOTICES)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "rows": result["notices"], "pages": result["pages"],
            "day": day}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description="one benchmark operation (see bench/__main__)")
    parser.add_argument("operation")
    parser.add_argument("--units", type=int, default=0)
    args = parser.parse_args()
    django_setup()
    with tempfile.TemporaryDirectory(prefix="wuye-bench-") as work:
        out = Path(work)
        runs = {
            "build": lambda: build(args.units),
            "analyze": analyze,
            "migrate": migrate,
            "vacuum": vacuum,
            "bill_run": bill_run,
            "dunning_run": dunning_run,
            "aging_report": aging_report,
            "arrears_list": lambda: arrears_list_op(out),
            "account_page": account_page,
            "worklist_page": worklist_page,
            "notices_pdf": lambda: notices_pdf(out),
        }
        if args.operation not in runs:
            print(f"unknown operation {args.operation}", file=sys.stderr)
            return 2
        emit(runs[args.operation]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
