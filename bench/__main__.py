"""`python -m bench --units N --db sqlite|postgres --json FILE` (issue 7, docs/benchmarks.md).

Builds (once per size, then reused) the demo data set with three months of history and
ANALYZE: SQLite `bench-<units>.sqlite3` in --dir, PostgreSQL database `wuye_bench_<units>`.
Then each operation runs in its own process on a throwaway copy (a file copy; `CREATE
DATABASE … TEMPLATE`), and so does its floor; the table shows time, floor time, ratio,
rows, rows/s and peak memory; --json FILE writes the same with the machine's details.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import OPERATIONS, PG_DEFAULT, ROOT, child_env

WRITES = ("bill_run", "dunning_run")


class Store:
    """The data sets and their throwaway copies on one database server (or directory)."""

    def __init__(self, kind: str, units: int, directory: Path, pg_url: str):
        self.kind, self.units, self.directory, self.pg_url = kind, units, directory, pg_url
        self.base = self.name("")

    def name(self, suffix: str) -> str:
        if self.kind == "sqlite":
            return str(self.directory / f"bench-{self.units}{suffix}.sqlite3")
        return f"wuye_bench_{self.units}{suffix.replace('-', '_')}"

    def url(self, name: str) -> str:
        return name if self.kind == "sqlite" else self.pg_url + name

    def _admin(self, sql: str) -> list:
        import psycopg

        with psycopg.connect(self.pg_url + "postgres", autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def exists(self, name: str) -> bool:
        if self.kind == "sqlite":
            return Path(name).exists()
        return bool(self._admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def drop(self, name: str) -> None:
        if self.kind == "sqlite":
            for end in ("", "-wal", "-shm", "-journal"):
                Path(name + end).unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, name: str) -> None:
        if self.kind == "postgres":
            self._admin(f'CREATE DATABASE "{name}"')

    def copy(self, source: str, target: str) -> str:
        self.drop(target)
        if self.kind == "sqlite":
            with sqlite3.connect(source) as connection:  # the WAL into the file first
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            shutil.copyfile(source, target)
        else:
            self._admin(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        return target

    def rename(self, source: str, target: str) -> None:
        if self.kind == "sqlite":
            with sqlite3.connect(source) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
            os.replace(source, target)
            self.drop(source)
        else:
            self._admin(f'ALTER DATABASE "{source}" RENAME TO "{target}"')

    def version(self) -> str:
        if self.kind == "sqlite":
            return sqlite3.sqlite_version
        return self._admin("SHOW server_version")[0][0]


def run_child(module: str, args: list[str], db: str) -> dict:
    """Run `python -m module args` on `db`; its last stdout line is its JSON result."""
    command = [sys.executable, "-m", module, *args]
    done = subprocess.run(
        command, env=child_env(db), cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
        raise SystemExit(f"{' '.join(command[2:])} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine(store: Store) -> dict:
    ram = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "database": store.kind,
        "database_version": store.version(),
    }


def measure(
    store: Store, log, only: set[str] | None = None, build_only: bool = False
) -> tuple[dict, list[dict]]:
    """Build (or reuse) the data set, then every operation (or those in `only`) and its
    floor. The reads run on the day after the dunning run, so that runs for them anyway."""
    only = set(OPERATIONS) if only is None else only
    build = {"reused": True}
    if not store.exists(store.base):
        building = store.name("-building")
        store.drop(building)
        store.create(building)
        log(f"building {store.base} ({store.units} units) …")
        build = run_child("bench.ops", ["build", "--units", str(store.units)], store.url(building))
        store.rename(building, store.base)
        build["reused"] = False
    else:  # a data set built by an older version: bring its schema up to date first
        run_child("bench.ops", ["migrate"], store.url(store.base))
    results = []
    if build_only:
        return build, results

    def write(operation: str, keep: bool) -> str:
        copy = store.copy(store.base, store.name(f"-{operation}"))
        op = run_child("bench.ops", [operation], store.url(copy))
        if operation not in only:
            return copy  # needed by the reads only
        args = [operation, "--source", store.url(copy), "--written", json.dumps(op["written"])]
        if store.kind == "postgres":
            # on the data set itself, rolled back after its constraints are checked: no
            # third copy of a large data set; VACUUM then clears the rolled-back rows
            floor = run_child("bench.floors", [*args, "--rollback"], store.url(store.base))
            run_child("bench.ops", ["vacuum"], store.url(store.base))
        else:
            floor_copy = store.copy(store.base, store.name(f"-{operation}-floor"))
            floor = run_child("bench.floors", args, store.url(floor_copy))
            store.drop(floor_copy)
        if not keep:
            store.drop(copy)
        results.append(row(operation, op, floor))
        log(line(results[-1]))
        return copy

    if "bill_run" in only:
        write("bill_run", keep=False)
    reads = [op for op in OPERATIONS if op not in WRITES and op in only]
    if not reads and "dunning_run" not in only:
        return build, results
    day = write("dunning_run", keep=True)  # the reads run on the day after its dunning run
    try:
        run_child("bench.ops", ["analyze"], store.url(day))  # as `wuye demo` does
        for operation in reads:
            op = run_child("bench.ops", [operation], store.url(day))
            extra = ["--account", str(op["account"])] if "account" in op else []
            extra += ["--day", str(op["day"])] if "day" in op else []
            floor = run_child("bench.floors", [operation, *extra], store.url(day))
            results.append(row(operation, op, floor))
            log(line(results[-1]))
    finally:
        store.drop(day)
    return build, results


def row(operation: str, op: dict, floor: dict) -> dict:
    seconds, floor_seconds = op["seconds"], floor["seconds"]
    details = {k: v for k, v in op.items() if k not in ("seconds", "rows", "peak_mb", "written")}
    return {
        "operation": operation,
        "seconds": seconds,
        "floor_seconds": floor_seconds,
        "ratio": round(seconds / max(floor_seconds, 1e-4), 1),
        "rows": op["rows"],
        "floor_rows": floor["rows"],
        "rows_per_second": round(op["rows"] / max(seconds, 1e-6)),
        "peak_mb": op["peak_mb"],
        "floor_peak_mb": floor["peak_mb"],
        "floor_details": {
            k: v for k, v in floor.items() if k not in ("seconds", "rows", "peak_mb")
        },
        "details": details,
    }


HEADER = f"{'operation':<14} {'time s':>9} {'floor s':>9} {'ratio':>7} {'rows':>9} {'rows/s':>10} {'peak MB':>8}"


def line(r: dict) -> str:
    return (
        f"{r['operation']:<14} {r['seconds']:>9.3f} {r['floor_seconds']:>9.4f} {r['ratio']:>7.1f} "
        f"{r['rows']:>9} {r['rows_per_second']:>10} {r['peak_mb']:>8.0f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--dir", default=".", help="where SQLite data sets are kept")
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="PostgreSQL server URL, ending in /")
    parser.add_argument("--drop", action="store_true", help="remove the data set afterwards")
    parser.add_argument("--only", help=f"comma-separated operations ({','.join(OPERATIONS)})")
    parser.add_argument(
        "--build-only", action="store_true", help="build the data set, measure nothing"
    )
    args = parser.parse_args()
    only = None
    if args.only:
        only = {op.strip() for op in args.only.split(",") if op.strip()}
        if unknown := only - set(OPERATIONS):
            parser.error(f"--only: unknown operation(s) {', '.join(sorted(unknown))}")
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    store = Store(args.db, args.units, Path(args.dir).resolve(), args.pg_url)
    started = time.perf_counter()

    def log(text: str) -> None:
        print(text, flush=True)

    info = machine(store)
    log(f"{args.db} {info['database_version']}, {args.units} units, {info['cores']} cores, "
        f"{info['ram_gb']} GB RAM")  # fmt: skip
    log(HEADER)
    try:
        build, results = measure(store, log, only, args.build_only)
    finally:
        if args.drop:
            store.drop(store.base)
    result = {
        "units": args.units,
        "db": args.db,
        "machine": info,
        "build": build,
        "operations": results,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
