"""Backup and restore (issue 8, docs/backup.md): a backup restored into an empty database
gives the same account statements and the same rows per table; restore refuses a
database that is not empty (unless --force), a backup of the other vendor, a file that is
not a backup or is damaged, and writes nothing then.

Each test works on databases of its own, through the `wuye` command as an operator would:
new SQLite files, or new PostgreSQL databases on the configured server when the suite
runs on PostgreSQL (named after the configured database, dropped afterwards)."""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from wuye.errors import WuyeError
from wuye.ops.backup import MANIFEST, pg_tool, read_manifest

WUYE = [sys.executable, "-m", "wuye.cli"]
AS_OF = "2026-03-19"
POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
VENDOR = "postgresql" if POSTGRES else "sqlite"

# Every unit's statement as `wuye accounts show --json` prints it, and the rows per table.
SNAPSHOT = """
import contextlib, io, json, sys
from wuye.cli import main
from django.db import connection
from wuye.ops.backup import _counts
from wuye.properties.models import Unit
statements = {}
for code in Unit.objects.order_by("code").values_list("code", flat=True):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["accounts", "show", code, "--as-of", sys.argv[1], "--json"]) == 0
    statements[code] = json.loads(out.getvalue())
print(json.dumps({"statements": statements, "counts": _counts(connection.cursor(), connection)}))
"""


class Databases:
    """New, empty databases of the suite's vendor; each is an environment for `wuye`."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.created: list[str] = []
        self.numbers = itertools.count(1)
        base = dict(os.environ)
        for name in ("WUYE_DATABASE_URL", "DATABASE_URL", "WUYE_SQLITE_PATH", "WUYE_PRODUCTION"):
            base.pop(name, None)
        self.base = {**base, "DJANGO_SETTINGS_MODULE": "wuye.settings", "WUYE_USER": "ops-test"}

    def new(self, label: str) -> dict:
        name = f"{label}_{next(self.numbers)}"
        if not POSTGRES:
            return {**self.base, "WUYE_SQLITE_PATH": str(self.tmp_path / f"{name}.sqlite3")}
        db = settings.DATABASES["default"]
        name = f"{db['NAME']}_{name}_{os.getpid()}"[:63]
        with self._server() as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}"')
            server.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        return {**self.base, "WUYE_DATABASE_URL": url}

    def _server(self):
        import psycopg

        db = settings.DATABASES["default"]
        return psycopg.connect(dbname="postgres", user=db["USER"], password=db.get("PASSWORD"),
                               host=db["HOST"] or None, port=db["PORT"] or None,
                               autocommit=True)  # fmt: skip

    def drop_all(self) -> None:
        if self.created:
            with self._server() as server:
                for name in self.created:
                    server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wuye(env: dict, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*WUYE, *args], env=env, capture_output=True, text=True, timeout=300)
    if ok:
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def snapshot(env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + SNAPSHOT,
                           AS_OF], env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def is_empty(env: dict, backup: Path) -> bool:
    """The database has no tables (a dry-run restore would not replace anything)."""
    done = wuye(env, "restore", str(backup), "--dry-run", "--json")
    return json.loads(done.stdout)["replaced"] is False


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A database with three months of demo history and a dunning run, and its backup."""
    tmp_path = tmp_path_factory.mktemp("backup")
    databases = Databases(tmp_path)
    try:
        env = databases.new("source")
        wuye(env, "migrate")
        wuye(env, "demo-data", "--units", "6", "--seed", "3", "--on", "2026-03-20",
             "--history-from", "2026-01-01", "--history-until", AS_OF)  # fmt: skip
        wuye(env, "dunning", "run", "--as-of", AS_OF)
        backup = tmp_path / "source.wuye"
        wuye(env, "backup", "--out", str(backup))
        yield SimpleNamespace(env=env, backup=backup, snapshot=snapshot(env), tmp_path=tmp_path)
    finally:
        databases.drop_all()


@pytest.fixture
def databases(tmp_path):
    made = Databases(tmp_path)
    yield made
    made.drop_all()


def test_a_backup_restored_into_an_empty_database_gives_the_same_statements(source, databases):
    manifest = read_manifest(source.backup)
    assert manifest["vendor"] == VENDOR
    assert manifest["tables"] == source.snapshot["counts"]
    assert manifest["tables"]["billing_bill"] > 0 and manifest["tables"]["ledger_entry"] > 0
    assert manifest["tables"]["dunning_notice"] > 0
    assert "0001_initial" in manifest["migrations"]["ledger"]

    target = databases.new("restore")
    done = wuye(target, "restore", str(source.backup))
    assert "row counts checked" in done.stdout
    restored = snapshot(target)
    assert len(restored["statements"]) == 6
    assert restored["statements"] == source.snapshot["statements"]
    assert restored["counts"] == source.snapshot["counts"]

    # a second restore into the now non-empty database is refused, and changes nothing
    again = wuye(target, "restore", str(source.backup), ok=False)
    assert again.returncode == 2
    assert "not empty" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    # --force replaces everything with the backup
    wuye(target, "payments", "record", "--unit", sorted(restored["statements"])[0],
         "--amount", "10.00", "--on", AS_OF)  # fmt: skip
    assert snapshot(target)["counts"] != source.snapshot["counts"]
    wuye(target, "restore", str(source.backup), "--force")
    assert snapshot(target) == source.snapshot


def test_a_dry_run_checks_and_restores_nothing(source, databases):
    target = databases.new("dry")
    done = wuye(target, "restore", str(source.backup), "--dry-run", "--json")
    data = json.loads(done.stdout)
    assert data["dry_run"] is True and data["vendor"] == VENDOR and data["replaced"] is False
    assert is_empty(target, source.backup)


def test_restore_refuses_a_backup_of_the_other_database_vendor(source, databases):
    other = "sqlite" if POSTGRES else "postgresql"
    forged = rewrite(source.backup, source.tmp_path / "other.wuye", vendor=other)
    target = databases.new("vendor")
    done = wuye(target, "restore", str(forged), ok=False)
    assert done.returncode == 2
    made = "SQLite" if other == "sqlite" else "PostgreSQL"
    assert f"is a backup of a {made} database, but the configured database is" in done.stderr
    assert is_empty(target, source.backup)  # nothing written


def test_restore_refuses_a_damaged_backup_and_a_file_that_is_not_one(source, databases):
    target = databases.new("damaged")
    damaged = rewrite(source.backup, source.tmp_path / "damaged.wuye", flip_payload=True)
    done = wuye(target, "restore", str(damaged), ok=False)
    assert done.returncode == 2 and "is damaged" in done.stderr

    not_one = source.tmp_path / "notes.txt"
    not_one.write_text("not a backup")
    done = wuye(target, "restore", str(not_one), ok=False)
    assert done.returncode == 2 and "is not a wuye backup" in done.stderr
    assert is_empty(target, source.backup)  # nothing written


def test_a_backup_never_overwrites_a_file(source):
    done = wuye(source.env, "backup", "--out", str(source.backup), ok=False)
    assert done.returncode == 2 and "exists" in done.stderr


def test_a_missing_postgresql_client_names_the_debian_package(tmp_path, monkeypatch):
    """A server newer than every pg_dump here: the error says what to install."""
    monkeypatch.setenv("WUYE_PG_BINDIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WuyeError) as error:
        pg_tool("pg_dump", SimpleNamespace(pg_version=990004))
    assert error.value.code == "pg_client_missing"
    assert "postgresql-client-99" in error.value.message
    assert "postgresql-client-99" in error.value.message_zh


def rewrite(backup: Path, out: Path, *, vendor: str | None = None, flip_payload=False) -> Path:
    """A copy of a backup with its manifest's vendor changed or one payload byte flipped."""
    with tarfile.open(backup) as tar, tarfile.open(out, "w") as copy:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name == MANIFEST and vendor:
                manifest = json.loads(data)
                manifest["vendor"] = vendor
                data = json.dumps(manifest).encode()
            elif member.name != MANIFEST and flip_payload:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return out
