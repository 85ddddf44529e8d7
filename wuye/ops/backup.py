"""Backup and restore of the whole database (issue 8, docs/backup.md).

A backup is one tar file holding `manifest.json` (what it is: the database vendor, when it
was made, the migrations applied, the rows per table, the payload's size and SHA-256) and
the payload: PostgreSQL's custom-format dump (`pg_dump -Fc`) or a copy of the SQLite file
made with SQLite's online backup API. Both are taken while wuye runs and are consistent:
the PostgreSQL row counts are read in the very snapshot pg_dump dumps
(`pg_export_snapshot`), the SQLite ones from the copy.

Restore checks everything before it writes: the file is a wuye backup, of the configured
database's vendor, intact (SHA-256), made by migrations this wuye knows, and the target
database is empty (unless `force`). It then restores in one transaction
(`pg_restore --single-transaction`; SQLite's backup API replaces the file as a whole) and
checks the row counts against the manifest. Nothing financial is edited: a restore
replaces the whole database with an earlier, complete state of it."""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from wuye.errors import WuyeError

FORMAT = "wuye-backup"
VERSION = 1
MANIFEST = "manifest.json"
PAYLOAD = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
VENDOR_NAME = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
_CHUNK = 1 << 20


# --- backup ------------------------------------------------------------------------


def backup_database(*, out: Path, now: dt.datetime) -> dict:
    """Write a backup of the configured database to `out` (refused if it exists). The
    file appears only when complete (written beside it, then renamed)."""
    from django.db import connection

    out = Path(out)
    if out.exists():
        raise WuyeError(
            "backup_exists",
            f"--out: {out} exists: choose another file name (a backup never overwrites one)",
            f"--out：{out} 已存在：請用另一個檔名（備份不會覆寫已有檔案）",
        )
    if not out.parent.is_dir():
        raise WuyeError(
            "backup_directory",
            f"--out: the directory {out.parent} does not exist",
            f"--out：目錄 {out.parent} 不存在",
        )
    _connect(connection)
    vendor = connection.vendor
    if vendor not in PAYLOAD:
        raise WuyeError("backup_vendor", f"cannot back up a {vendor} database")
    with tempfile.TemporaryDirectory(prefix=".wuye-backup-", dir=out.parent) as work:
        payload = Path(work) / PAYLOAD[vendor]
        if vendor == "postgresql":
            manifest = _dump_postgresql(connection, payload)
        else:
            manifest = _copy_sqlite(connection, payload)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "vendor": vendor,
            "created_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "database": str(connection.settings_dict["NAME"]),
            "wuye": _wuye_version(),
            **manifest,
            "payload": payload.name,
            "payload_bytes": payload.stat().st_size,
            "payload_sha256": _sha256(payload.open("rb")),
        }
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(_plain(info, now), io.BytesIO(data))  # first: read without the payload
            tar.add(payload, arcname=payload.name, filter=lambda member: _plain(member, now))
        partial.chmod(0o600)  # personal data: readable by its owner only
        os.replace(partial, out)
    return {"file": str(out), "bytes": out.stat().st_size, **_summary(manifest)}


def _plain(member: tarfile.TarInfo, now: dt.datetime) -> tarfile.TarInfo:
    member.uid = member.gid = 0
    member.uname = member.gname = ""
    member.mode, member.mtime = 0o600, int(now.timestamp())
    return member


def _dump_postgresql(connection, payload: Path) -> dict:
    """pg_dump in a snapshot this connection exported, so the counts match the dump."""
    from django.db import transaction

    pg_dump = pg_tool("pg_dump", connection)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        manifest = {
            "server_version": _pg_version(connection),
            "migrations": _migrations(cursor, connection),
            "tables": _counts(cursor, connection),
        }
        _run(
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}",
             f"--file={payload}", str(connection.settings_dict["NAME"])],
            _pg_env(connection.settings_dict), "pg_dump",
        )  # fmt: skip
    return manifest


def _copy_sqlite(connection, payload: Path) -> dict:
    connection.ensure_connection()
    copy = sqlite3.connect(payload)
    try:
        connection.connection.backup(copy)  # a consistent copy while others write
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        cursor = copy.cursor()
        return {
            "server_version": sqlite3.sqlite_version,
            "migrations": _migrations(cursor, connection),
            "tables": _counts(cursor, connection),
        }
    finally:
        copy.close()


# --- restore -----------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    """The manifest of a wuye backup file, or a clear error if it is not one."""
    source = Path(source)
    if not source.is_file():
        raise WuyeError("backup_missing", f"{source}: no such file", f"{source}：檔案不存在")
    not_ours = WuyeError(
        "not_a_backup",
        f"{source} is not a wuye backup (made by `wuye backup --out FILE`)",
        f"{source} 不是 wuye 備份檔（由 `wuye backup --out FILE` 產生）",
    )
    try:
        with tarfile.open(source, "r:") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST or member.size > 10 << 20:
                raise not_ours
            manifest = json.loads(tar.extractfile(member).read())
    except (tarfile.TarError, ValueError, OSError):
        raise not_ours from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_ours
    if manifest.get("version") != VERSION or manifest.get("vendor") not in PAYLOAD:
        raise WuyeError(
            "backup_version",
            f"{source} is a wuye backup of format {manifest.get('version')}, which this "
            f"wuye cannot read (it reads format {VERSION}): use the wuye that made it",
            f"{source} 的備份格式為 {manifest.get('version')}，此版本 wuye 只能讀取格式 "
            f"{VERSION}：請用產生它的 wuye 還原",
        )
    return manifest


def restore_database(*, source: Path, force: bool = False, dry_run: bool = False) -> dict:
    """Restore a backup into the configured database, which must be empty unless `force`
    (then everything in it is replaced). With `dry_run`, only the checks run."""
    from django.db import connection

    source = Path(source)
    manifest = read_manifest(source)
    _connect(connection)
    vendor = connection.vendor
    where = f"{VENDOR_NAME.get(vendor, vendor)} {connection.settings_dict['NAME']}"
    if manifest["vendor"] != vendor:
        made = VENDOR_NAME[manifest["vendor"]]
        raise WuyeError(
            "backup_wrong_vendor",
            f"{source} is a backup of a {made} database, but the configured database is "
            f"{where}: restore it into a {made} database (WUYE_DATABASE_URL; without it "
            "wuye uses SQLite)",
            f"{source} 是 {made} 資料庫的備份，但目前設定的資料庫是 {where}：請還原到 "
            f"{made} 資料庫（WUYE_DATABASE_URL；未設定時 wuye 使用 SQLite）",
        )
    unknown = _unknown_migrations(manifest)
    if unknown:
        raise WuyeError(
            "backup_newer",
            f"{source} was made by a newer wuye (migrations unknown here: "
            f"{', '.join(unknown[:5])}): restore it with that version",
            f"{source} 由較新版本的 wuye 產生（此版本不認識的遷移：{'、'.join(unknown[:5])}）："
            "請用該版本還原",
        )
    tables = connection.introspection.table_names()
    if tables and not force:
        rows = sum(_counts(connection.cursor(), connection).values())
        raise WuyeError(
            "restore_not_empty",
            f"the configured database {where} is not empty ({len(tables)} tables, {rows} "
            "rows): restore into a new, empty database, or give --force to replace "
            "everything in it with the backup",
            f"目前設定的資料庫 {where} 不是空的（{len(tables)} 個表、{rows} 列）：請還原到新的"
            "空資料庫，或加 --force 以備份取代其全部內容",
        )
    _check_payload(source, manifest)
    result = {"file": str(source), "database": where, "replaced": bool(tables),
              **_summary(manifest)}  # fmt: skip
    if dry_run:
        return {**result, "dry_run": True}
    if vendor == "postgresql":
        _restore_postgresql(connection, source, manifest, clean=bool(tables))
    else:
        _restore_sqlite(connection, source, manifest)
    counts = _counts(connection.cursor(), connection)
    differ = {
        table: (manifest["tables"].get(table), counts.get(table))
        for table in set(manifest["tables"]) | set(counts)
        if manifest["tables"].get(table) != counts.get(table)
    }
    if differ:
        raise WuyeError(
            "restore_counts_differ",
            f"restored, but the rows per table differ from the backup's manifest: {differ}",
            f"已還原，但各表列數與備份清單不符：{differ}",
        )
    pending = _pending_migrations(connection)
    return {**result, "pending_migrations": pending}


def _check_payload(source: Path, manifest: dict) -> None:
    with _payload(source, manifest) as stream:
        digest = _sha256(stream)
    if digest != manifest.get("payload_sha256"):
        raise WuyeError(
            "backup_damaged",
            f"{source} is damaged: its database copy does not match its checksum",
            f"{source} 已損壞：資料庫副本與校驗碼不符",
        )


@contextlib.contextmanager
def _payload(source: Path, manifest: dict):
    with tarfile.open(source, "r:") as tar:
        try:
            member = tar.getmember(manifest["payload"])
        except KeyError:
            raise WuyeError(
                "backup_damaged",
                f"{source} is damaged: it has no {manifest['payload']}",
                f"{source} 已損壞：缺少 {manifest['payload']}",
            ) from None
        yield tar.extractfile(member)


def _restore_postgresql(connection, source: Path, manifest: dict, *, clean: bool) -> None:
    """pg_restore in one transaction (all or nothing), reading the dump from the file."""
    pg_restore = pg_tool("pg_restore", connection)
    connection.close()  # pg_restore --clean must not wait for this session's locks
    args = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
            "--single-transaction", "--no-password",
            f"--dbname={connection.settings_dict['NAME']}"]  # fmt: skip
    if clean:
        args += ["--clean", "--if-exists"]
    with _payload(source, manifest) as stream:
        _run(args, _pg_env(connection.settings_dict), "pg_restore", stdin=stream)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics are not in a dump


def _restore_sqlite(connection, source: Path, manifest: dict) -> None:
    with tempfile.TemporaryDirectory(prefix="wuye-restore-") as work:
        copy = Path(work) / "database.sqlite3"
        with _payload(source, manifest) as stream, copy.open("wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK)
        backup = sqlite3.connect(copy)
        try:
            if backup.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise WuyeError(
                    "backup_damaged",
                    f"{source} is damaged: SQLite's check of its copy failed",
                    f"{source} 已損壞：SQLite 檢查其副本失敗",
                )
            connection.ensure_connection()
            # the backup API replaces the target's pages as a whole, under its lock
            backup.backup(connection.connection)
        finally:
            backup.close()


# --- PostgreSQL client tools -------------------------------------------------------


def pg_tool(name: str, connection) -> str:
    """pg_dump or pg_restore of the server's major version or newer: $WUYE_PG_BINDIR,
    Debian's /usr/lib/postgresql/N/bin (newest first), then PATH."""
    server = connection.pg_version // 10000
    candidates = []
    if os.environ.get("WUYE_PG_BINDIR"):
        candidates.append(str(Path(os.environ["WUYE_PG_BINDIR"]) / name))
    debian = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates += sorted(debian, key=lambda p: -int(re.sub(r"\D", "", Path(p).parts[-3]) or 0))
    candidates.append(shutil.which(name))
    found = []
    for candidate in filter(None, candidates):
        major = _tool_major(candidate)
        if major is not None:
            found.append(f"{candidate} ({major})")
            if major >= server:
                return candidate
    have = f" (found: {', '.join(found)})" if found else ""
    raise WuyeError(
        "pg_client_missing",
        f"{name} for PostgreSQL {server} or newer is not installed{have}: install Debian's "
        f"postgresql-client-{server} (apt-get install postgresql-client-{server}) or set "
        "WUYE_PG_BINDIR to its directory",
        f"未安裝 PostgreSQL {server} 或更新版本的 {name}{have}：請安裝 Debian 套件 "
        f"postgresql-client-{server}（apt-get install postgresql-client-{server}），"
        "或以 WUYE_PG_BINDIR 指定其目錄",
    )


def _tool_major(path: str) -> int | None:
    try:
        output = subprocess.run([path, "--version"], capture_output=True, text=True,
                                timeout=30, check=True).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", output)
    return int(match.group(1)) if match else None


def _pg_env(settings_dict: dict) -> dict:
    """libpq's environment for the configured database (no password on a command line)."""
    env = dict(os.environ)
    for key, var in [("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD")]:  # fmt: skip
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(key):
            env[f"PG{key.upper()}"] = str(options[key])
    return env


def _pg_version(connection) -> str:
    major, minor = divmod(connection.pg_version, 10000)
    return f"{major}.{minor}"


def _run(args: list[str], env: dict, name: str, stdin=None) -> None:
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(args, env=env, stdin=subprocess.PIPE if stdin else None,
                                   stdout=subprocess.DEVNULL, stderr=errors)  # fmt: skip
        if stdin is not None:
            try:
                shutil.copyfileobj(stdin, process.stdin, _CHUNK)
            except BrokenPipeError:
                pass  # it stopped reading: its exit code and messages say why
            finally:
                process.stdin.close()
        code = process.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if code != 0:
        last = " | ".join(message.splitlines()[-3:]) or f"exit code {code}"
        raise WuyeError(f"{name.replace('pg_', '')}_failed", f"{name} failed: {last}",
                        f"{name} 失敗：{last}")  # fmt: skip


# --- what a database holds ---------------------------------------------------------


def _connect(connection) -> None:
    from django.db.utils import OperationalError

    try:
        connection.ensure_connection()
    except OperationalError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        name = connection.settings_dict["NAME"]
        raise WuyeError(
            "database_unavailable",
            f"cannot open the database {name}: {first} (a new PostgreSQL database: createdb)",
            f"無法開啟資料庫 {name}：{first}（新建 PostgreSQL 資料庫：createdb）",
        ) from None


def _counts(cursor, connection) -> dict[str, int]:
    """Rows per table, for every table in the database (not only wuye's models)."""
    quote = connection.ops.quote_name
    names = connection.introspection.table_names(cursor)
    counts = {}
    for name in sorted(names):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")
        counts[name] = cursor.fetchone()[0]
    return counts


def _migrations(cursor, connection) -> dict[str, list[str]]:
    if "django_migrations" not in connection.introspection.table_names(cursor):
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _known_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _unknown_migrations(manifest: dict) -> list[str]:
    from django.apps import apps

    installed = {config.label for config in apps.get_app_configs()}
    known = _known_migrations()
    return [
        f"{app}.{name}"
        for app, names in sorted(manifest.get("migrations", {}).items())
        if app in installed
        for name in names
        if (app, name) not in known
    ]


def _pending_migrations(connection) -> list[str]:
    """What `wuye migrate` would still apply to the restored database (an older backup)."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def _summary(manifest: dict) -> dict:
    return {
        "vendor": manifest["vendor"],
        "created_at": manifest["created_at"],
        "tables": len(manifest["tables"]),
        "rows": sum(manifest["tables"].values()),
    }


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    with stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _wuye_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wuye")
    except PackageNotFoundError:
        return "unknown"
