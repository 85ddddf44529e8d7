"""Measure the staff pages that list accounts or tasks (issue 6: "Pages that list accounts
or tasks stay fast with 100,000 units"): on a database holding the demo (built here into
a SQLite file when missing: `make_demo_data` with three months of history, then the
day's dunning run), a company-wide manager GETs each page (and the API's account and task
lists) through Django's test Client, in this process, so the figure is the server's time
(URL routing, views, queries, templates), without a network or a browser. Each page is
fetched once with its queries captured (their number), then `--repeat` times timed (the
median and the fastest); `--only TEXT` measures the pages whose label has TEXT.

    .venv/bin/python bench/web_pages.py --db /tmp/wuye-100k.sqlite3 --units 100000
    WUYE_DATABASE_URL=postgres://… .venv/bin/python bench/web_pages.py --units 100000

The first run builds the demo (minutes at 100,000 units); later runs reuse it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ON = dt.date(2026, 6, 15)  # a Monday; history from March: three bill runs


def setup_database(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")
    if not (os.environ.get("WUYE_DATABASE_URL") or os.environ.get("DATABASE_URL")):
        os.environ["WUYE_SQLITE_PATH"] = str(Path(args.db).resolve())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_demo(units: int, on: dt.date) -> dict:
    """The demo with history and the day's dunning run, unless the database has it."""
    from wuye.demo.services import make_demo_data
    from wuye.dunning.services import run_dunning
    from wuye.properties.models import Account, Project
    from wuye.web.demo import analyse

    if Project.objects.filter(code="HT").exists():
        return {"built": False, "accounts": Account.objects.count()}
    started = time.perf_counter()
    first = (on.replace(day=1) - dt.timedelta(days=85)).replace(day=1)
    make_demo_data(units=units, seed=1, on=on, actor="bench", history_from=first, history_until=on)
    run = run_dunning(as_of=on, actor="bench")
    analyse()  # planner statistics, as `wuye demo` leaves them
    return {
        "built": True,
        "accounts": Account.objects.count(),
        "notices": run.notices_created,
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def pages(on: dt.date) -> list[tuple[str, str]]:
    """(label, URL) of the pages measured: the account list's first page, filtered pages
    and page 1000, the account page of the unit with the most history, the task tabs."""
    from django.db.models import Count

    from wuye.properties.models import Account

    busiest = Account.objects.annotate(n=Count("entries")).order_by("-n", "pk").values("pk").first()
    shop = Account.objects.filter(unit__code="CY-S-001").values("pk").first() or busiest
    day = f"on={on.isoformat()}"
    return [
        ("accounts, first page", f"/accounts/?{day}"),
        ("accounts, in arrears", f"/accounts/?{day}&arrears=1"),
        ("accounts, CY vacant investment in arrears",
         f"/accounts/?{day}&project=CY&segment=vacant_investment&arrears=1"),
        ("accounts, search '0101'", f"/accounts/?{day}&q=0101"),
        ("accounts, page 1000", f"/accounts/?{day}&page=1000"),
        ("accounts, in arrears, page 20", f"/accounts/?{day}&arrears=1&page=20"),
        ("account page (most entries)", f"/accounts/{busiest['pk']}/?{day}"),
        ("account page (CY-S-001)", f"/accounts/{shop['pk']}/?{day}"),
        ("tasks: bills to deliver", f"/tasks/?{day}&tab=bills"),
        ("tasks: notices to deliver", f"/tasks/?{day}&tab=notices"),
        ("tasks: calls due", f"/tasks/?{day}&tab=calls"),
        ("tasks: calls due, page 10", f"/tasks/?{day}&tab=calls&page=10"),
        ("tasks: visits due", f"/tasks/?{day}&tab=visits"),
        ("tasks: postings due", f"/tasks/?{day}&tab=postings"),
        ("tasks: broken promises", f"/tasks/?{day}&tab=promises"),
        ("today's list", f"/today/?{day}"),
        ("API accounts, first page", f"/api/v1/accounts/?{day}"),
        ("API accounts, in arrears", f"/api/v1/accounts/?{day}&in_arrears=true"),
        ("API tasks (all kinds)", f"/api/v1/tasks/?{day}"),
        ("API tasks: hand-overs", f"/api/v1/tasks/?{day}&kind=handover"),
        ("API tasks: deliveries", f"/api/v1/tasks/?{day}&kind=delivery"),
        ("API tasks: notices", f"/api/v1/tasks/?{day}&kind=notice"),
        ("API tasks: calls", f"/api/v1/tasks/?{day}&kind=call"),
    ]  # fmt: skip


def followed(client, url: str, hops: int) -> str:
    """The URL reached by following the page's "next" link `hops` times (the arrears
    list's next link continues after the last account shown)."""
    import html
    import re

    for _ in range(hops):
        page = client.get(url).content.decode()
        href = re.search(r'<a href="([^"]+)" rel="next">', page)
        if href is None:
            break
        url = url.split("?")[0] + html.unescape(href.group(1))
    return url


def measure(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        count = len(queries)  # read now: the next request clears the query log
    except Exception as error:  # a broken page is reported, the others still measured
        return {"status": f"error: {error!r}"[:200]}
    if response.status_code != 200:
        return {"status": response.status_code}
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "status": 200,
        "queries": count,
        "median_ms": round(statistics.median(times), 1),
        "min_ms": round(min(times), 1),
        "bytes": len(response.content),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench-web.sqlite3", help="SQLite file (built if new)")
    parser.add_argument("--units", type=int, default=100_000, help="demo size when building")
    parser.add_argument("--on", default=ON.isoformat(), help="the demo's day (YYYY-MM-DD)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="measure the pages whose label has this")
    args = parser.parse_args()
    on = dt.date.fromisoformat(args.on)

    setup_database(args)
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from wuye.web.models import Membership

    built = build_demo(args.units, on)
    user, _ = User.objects.get_or_create(username="bench-manager")
    Membership.objects.get_or_create(user=user, project=None, role="manager")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    rows = []
    listed = pages(on)
    deep = "accounts, in arrears, page 20 by next link"
    if args.only in deep:  # also when --only is not given ("" is in every label)
        start = f"/accounts/?on={on.isoformat()}&arrears=1"
        listed.append((deep, followed(client, start, 19)))
    for label, url in listed:
        if args.only and args.only not in label:
            continue
        rows.append({"page": label, "url": url, **measure(client, url, args.repeat)})
    result = {"database": connection.vendor, **built, "pages": rows}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{connection.vendor}, {built['accounts']} accounts"
          + (f" (built in {built['build_seconds']} s)" if built["built"] else ""))  # fmt: skip
    for r in rows:
        if r["status"] != 200:
            print(f"  {r['page']:<44} HTTP {r['status']}")
            continue
        print(
            f"  {r['page']:<44} {r['median_ms']:>8.1f} ms (min {r['min_ms']:.1f})"
            f"  {r['queries']:>3} queries"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
