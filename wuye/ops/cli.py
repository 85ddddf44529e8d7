"""`wuye backup --out FILE` and `wuye restore FILE` (issue 8, docs/backup.md): the whole
database, PostgreSQL (pg_dump/pg_restore) or SQLite (its online backup API)."""

from __future__ import annotations


def register(group, command) -> None:
    p = command(group.top, "backup", _backup, "back up the whole database to one file")
    p.add_argument("--out", required=True, metavar="FILE", help="the backup file (must not exist)")
    p = command(group.top, "restore", _restore, "restore a backup into an empty database")
    p.add_argument("file", metavar="FILE", help="a file made by `wuye backup`")
    p.add_argument("--force", action="store_true",
                   help="replace everything in a database that is not empty")  # fmt: skip
    p.add_argument("--dry-run", dest="dry_run", action="store_true",
                   help="check the file and the database, restore nothing")  # fmt: skip


def _backup(args) -> int:
    from pathlib import Path

    from django.utils import timezone

    from wuye.cli import _emit
    from wuye.ops.backup import VENDOR_NAME, backup_database

    result = backup_database(out=Path(args.out), now=timezone.now())  # the edge reads the clock
    text = (
        f"backup written: {result['file']} ({VENDOR_NAME[result['vendor']]}, "
        f"{result['tables']} tables, {result['rows']:,} rows, {result['bytes']:,} bytes)"
    )
    return _emit(args, result, text)


def _restore(args) -> int:
    from pathlib import Path

    from wuye.cli import _emit
    from wuye.ops.backup import VENDOR_NAME, restore_database

    result = restore_database(source=Path(args.file), force=args.force, dry_run=args.dry_run)
    made = (
        f"{VENDOR_NAME[result['vendor']]} backup of {result['created_at']}, "
        f"{result['tables']} tables, {result['rows']:,} rows"
    )
    if result.get("dry_run"):
        verb = "would replace everything in" if result["replaced"] else "would restore into"
        return _emit(args, result, f"{args.file}: {made}; {verb} {result['database']}")
    text = f"restored {made} into {result['database']}; row counts checked"
    if result["pending_migrations"]:
        text += f"\nthe backup is older than this wuye: run `wuye migrate` " \
                f"({len(result['pending_migrations'])} migrations to apply)"  # fmt: skip
    return _emit(args, result, text)
