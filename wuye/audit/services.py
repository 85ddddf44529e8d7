"""Writing and sealing audit events (issue 8)."""

from __future__ import annotations

import hashlib
import json

from django.db import connection, transaction
from django.utils import timezone

from wuye.audit.context import current_actor
from wuye.audit.models import AuditEvent

FIELDS = ["id", "at", "actor", "action", "table", "object_id", "before", "after"]


def record(
    *, action: str, table: str, object_id: str = "", before=None, after=None, actor=None
) -> AuditEvent:
    """Append one event; it is sealed into the hash chain when its transaction commits."""
    event = AuditEvent.objects.create(
        at=timezone.now(),
        actor=(actor or current_actor())[:150],
        action=action,
        table=table,
        object_id=str(object_id)[:100],
        before=before,
        after=after,
    )
    transaction.on_commit(seal_quietly)
    return event


def content(row: dict) -> str:
    """The event as the chain hashes it: canonical JSON of its fields as stored."""
    values = dict(row)
    values["at"] = values["at"].isoformat()
    return json.dumps(
        [values[f] for f in FIELDS], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def link(previous: str, row: dict) -> str:
    return hashlib.sha256((previous + content(row)).encode()).hexdigest()


SEAL_CHUNK = 5000


def seal() -> int:
    """Give every committed unsealed event its place in the chain (`seq`, in id order
    among those sealed together) and its hash: sha256(previous hash + this event). One
    sealer at a time (an advisory lock on PostgreSQL; SQLite has one writer). Read and
    written SEAL_CHUNK events at a time, so memory stays bounded (SQLite writes one
    event per ledger row: a demo's history is hundreds of thousands)."""
    if not AuditEvent.objects.filter(seq__isnull=True).exists():
        return 0  # the usual case; no write lock taken (SQLite's IMMEDIATE transactions)
    sealed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('wuye.audit.seal'))")
        last = (
            AuditEvent.objects.filter(seq__isnull=False)
            .order_by("-seq")
            .values_list("seq", "chain")
            .first()
        )
        seq, previous = last or (0, "")
        after_id = 0
        while rows := list(
            AuditEvent.objects.filter(seq__isnull=True, id__gt=after_id)
            .order_by("id")
            .values(*FIELDS)[:SEAL_CHUNK]
        ):
            updates = []
            for row in rows:
                seq += 1
                previous = link(previous, row)
                updates.append((seq, previous, row["id"]))
            cursor.executemany(
                "UPDATE audit_auditevent SET seq = %s, chain = %s WHERE id = %s AND seq IS NULL",
                updates,
            )
            sealed += len(rows)
            after_id = rows[-1]["id"]
    return sealed


def seal_quietly() -> None:
    """Seal after a commit or at the end of a request or command; a failure (e.g. a
    database not migrated yet) leaves the events for the next seal or `wuye audit seal`."""
    from django.db import DatabaseError

    try:
        seal()
    except DatabaseError:
        pass
