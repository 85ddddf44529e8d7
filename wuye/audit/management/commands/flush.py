"""Django's `flush` (the test suite's reset between transactional tests), allowed past the
append-only triggers for its own transaction only (wuye.audit.triggers): PostgreSQL
`SET LOCAL wuye.allow_flush = on` for TRUNCATE, SQLite opens `audit_guard` and closes it
again before the commit. Nothing else in wuye deletes ledger or audit rows."""

from django.core.management.commands.flush import Command as Flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction


class Command(Flush):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        tables = connection.introspection.table_names()
        guarded = "audit_auditevent" in tables
        with transaction.atomic(using=connection.alias):
            if guarded:
                with connection.cursor() as cursor:
                    if connection.vendor == "postgresql":
                        cursor.execute("SET LOCAL wuye.allow_flush = 'on'")
                    elif "audit_guard" in tables:
                        cursor.execute("UPDATE audit_guard SET open = 1")
            super().handle(**options)
            if guarded:
                with connection.cursor() as cursor:
                    if connection.vendor == "postgresql":
                        cursor.execute("SET LOCAL wuye.allow_flush = 'off'")
                    elif "audit_guard" in tables:
                        cursor.execute("UPDATE audit_guard SET open = 0")
