"""Measure `wuye notices pdf`: N accounts with three overdue bills each in a fresh SQLite
database, one dunning run (the 1st 催繳通知書 for every account, E2), then the PDF of
that day's notices, rendered by the real command in a child process. Its process tree
(the command and its worker processes) is sampled every 50 ms from /proc for the peak
RSS (all processes together, and the largest one) and the CPU seconds used, so the
figure does not depend on what else the machine is doing at the time.

    .venv/bin/python bench/notices_pdf.py [--notices 500] [--chunk 100] [--keep FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_ON = dt.date(2026, 3, 12)


def build(notices: int) -> None:
    """Accounts with bills for 2026-01..03, each received on the 5th (due the 12th, E1),
    none paid; the run on 2026-03-12 issues one notice per account with three lines."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    from wuye.billing.models import Bill
    from wuye.billing.services import issue_bills_for_project, record_bill_receipts
    from wuye.dates import Period
    from wuye.dunning.services import run_dunning
    from wuye.testing.factories import BuildingFactory, UnitFactory, office_account

    building = BuildingFactory()
    for n in range(notices):
        unit = UnitFactory(building=building, number=f"{n + 101:04d}", area=f"{80 + n % 170}.00")
        office_account(unit=unit, start=dt.date(2026, 1, 1))
    project = building.project
    for month in (1, 2, 3):
        issued = dt.date(2026, month, 2)
        period = Period.parse(f"2026-{month:02d}")
        issue_bills_for_project(project=project, period=period, on=issued, actor="bench")
        ids = list(Bill.objects.filter(period_start=period.start).values_list("pk", flat=True))
        record_bill_receipts(ids, received_on=dt.date(2026, month, 5), actor="bench")
    run = run_dunning(as_of=RUN_ON, actor="bench")
    print(f"setup: {run.notices_created} notices issued on {RUN_ON}", file=sys.stderr)


_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(root: int) -> dict[int, tuple[int, float]]:
    """pid → (RSS bytes, CPU seconds) of `root` and its descendants (walked through
    /proc/PID/task/TID/children, so a sample costs little CPU itself)."""
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(child) for child in f.read().split()]
        except (OSError, ValueError):
            continue
        # after the command: state ppid … utime(12) stime(13) … rss(22)
        cpu = (int(fields[11]) + int(fields[12])) / _TICK
        found[pid] = (int(fields[21]) * _PAGE, cpu)
    return found


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.peak_total = self.peak_one = 0
        self.cpu: dict[int, float] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            tree = _tree(self.pid)
            self.peak_total = max(self.peak_total, sum(rss for rss, _ in tree.values()))
            self.peak_one = max([self.peak_one, *(rss for rss, _ in tree.values())])
            for pid, (_, cpu) in tree.items():
                self.cpu[pid] = max(cpu, self.cpu.get(pid, 0.0))
            self.stop.wait(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=500)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--workers", type=int, help="default: one per core")
    parser.add_argument("--language", choices=["zh-hant", "zh-hans"])
    parser.add_argument("--keep", help="copy the PDF here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wuye-bench-") as work:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "wuye.settings",
            "WUYE_SQLITE_PATH": str(Path(work) / "bench.sqlite3"),
            "WUYE_USER": "bench",
        }
        env.pop("WUYE_DATABASE_URL", None)
        env.pop("DATABASE_URL", None)
        os.environ.update(env)
        started = time.perf_counter()
        build(args.notices)
        setup_seconds = time.perf_counter() - started

        out = Path(args.keep).resolve() if args.keep else Path(work) / "notices.pdf"
        command = [
            sys.executable, "-c", "from wuye.cli import main; raise SystemExit(main())",
            "notices", "pdf", "--as-of", RUN_ON.isoformat(), "--out", str(out),
            "--chunk", str(args.chunk), "--json",
        ]  # fmt: skip
        if args.workers:
            command += ["--workers", str(args.workers)]
        if args.language:
            command += ["--language", args.language]
        started = time.perf_counter()
        child = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        sampler = Sampler(child.pid)
        sampler.start()
        stdout, stderr = child.communicate()
        wall = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        if child.returncode != 0:
            print(stderr, file=sys.stderr)
            return child.returncode
        result = json.loads(stdout)
        # the command itself, from the kernel (exact); its workers, from the samples
        own_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(
            json.dumps(
                {
                    "notices": result["notices"],
                    "pages": result["pages"],
                    "chunk": args.chunk,
                    "render_seconds": result["seconds"],
                    "command_seconds": round(wall, 2),
                    "cpu_seconds": round(sum(sampler.cpu.values()), 1),
                    "processes": len(sampler.cpu),
                    "peak_rss_mib_all_processes": round(sampler.peak_total / 2**20),
                    "peak_rss_mib_largest_process": round(max(sampler.peak_one, own_peak) / 2**20),
                    "pdf_bytes": out.stat().st_size,
                    "setup_seconds": round(setup_seconds, 2),
                    "cpus": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
