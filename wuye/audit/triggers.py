"""Database triggers that keep the ledger and the audit log append-only and audit every
ledger insert (issue 8), for any client of the database, not only wuye.

PostgreSQL: UPDATE and DELETE on `ledger_entry` raise; on `audit_auditevent` DELETE raises
and UPDATE raises unless it only seals an unsealed event (sets `seq` and `chain`, nothing
else). TRUNCATE of either raises unless the session set `wuye.allow_flush = on` (only
`manage.py flush`, i.e. the test suite's reset, does: wuye.audit.management.commands.flush).
After each INSERT statement into `ledger_entry` (COPY included) one audit event records
the statement's rows: count, sum of amounts, first and last id, and a checksum of the rows'
contents (a sum of 60-bit md5 prefixes, so it adds up over several statements).

SQLite has no statement triggers and no session settings: the insert is audited per row
(the event keeps the row's main fields), and DELETE is refused unless the one-row table
`audit_guard` is open, which only `flush` does inside its own transaction.

A database owner can still drop triggers; that is what the hash chain and `wuye audit
check` are for (docs/audit.md).
"""

from __future__ import annotations

from django.db import connection as default_connection

LEDGER = "ledger_entry"
AUDIT = "audit_auditevent"

# one row's fingerprint on PostgreSQL (also used by the migration's baseline and the check)
PG_FINGERPRINT = (
    "('x' || substr(md5(concat_ws('|', {t}id, {t}account_id, {t}kind, {t}component,"
    " {t}bill_line_id, {t}amount, {t}entry_date, {t}value_date, {t}payment_id, {t}refund_id,"
    " {t}reverses_id)), 1, 15))::bit(60)::bigint"
)

SEAL_ONLY_PG = """(OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.chain <> ''
      AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor
      AND NEW.action = OLD.action AND NEW.table_name = OLD.table_name
      AND NEW.object_id = OLD.object_id AND NEW.before IS NOT DISTINCT FROM OLD.before
      AND NEW.after IS NOT DISTINCT FROM OLD.after)"""

REFUSE_PG = """RAISE EXCEPTION 'wuye: % on % refused: the table is append-only (issue 8, docs/audit.md)',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';"""

POSTGRESQL = [
    f"""
CREATE OR REPLACE FUNCTION wuye_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' AND current_setting('wuye.allow_flush', true) = 'on' THEN
    RETURN NULL;
  END IF;
  {REFUSE_PG}
END $$""",
    f"""
CREATE OR REPLACE FUNCTION wuye_audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {SEAL_ONLY_PG} THEN
    RETURN NEW;
  END IF;
  {REFUSE_PG}
END $$""",
    f"""
CREATE OR REPLACE FUNCTION wuye_audit_ledger_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {AUDIT} (at, actor, action, table_name, object_id, before, after, seq, chain)
  SELECT clock_timestamp(),
    left(CASE WHEN min(actor) = max(actor) THEN min(actor)
              ELSE min(actor) || ' … ' || max(actor) END, 150),
    'insert', '{LEDGER}', min(id) || '..' || max(id), NULL,
    jsonb_build_object('rows', count(*), 'amount', sum(amount)::text,
      'first_id', min(id), 'last_id', max(id), 'checksum', sum(fp)::text),
    NULL, ''
  FROM (SELECT id, actor, amount, {PG_FINGERPRINT.format(t="")} AS fp FROM new_rows) r
  HAVING count(*) > 0;
  RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE TRIGGER wuye_ledger_append_only BEFORE UPDATE OR DELETE ON {LEDGER}
  FOR EACH ROW EXECUTE FUNCTION wuye_append_only()""",
    f"""CREATE OR REPLACE TRIGGER wuye_ledger_no_truncate BEFORE TRUNCATE ON {LEDGER}
  FOR EACH STATEMENT EXECUTE FUNCTION wuye_append_only()""",
    f"""CREATE OR REPLACE TRIGGER wuye_audit_append_only BEFORE DELETE ON {AUDIT}
  FOR EACH ROW EXECUTE FUNCTION wuye_append_only()""",
    f"""CREATE OR REPLACE TRIGGER wuye_audit_seal_only BEFORE UPDATE ON {AUDIT}
  FOR EACH ROW EXECUTE FUNCTION wuye_audit_seal_only()""",
    f"""CREATE OR REPLACE TRIGGER wuye_audit_no_truncate BEFORE TRUNCATE ON {AUDIT}
  FOR EACH STATEMENT EXECUTE FUNCTION wuye_append_only()""",
    f"""CREATE OR REPLACE TRIGGER wuye_audit_ledger_insert AFTER INSERT ON {LEDGER}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION wuye_audit_ledger_insert()""",
]
POSTGRESQL_TRIGGERS = {
    LEDGER: ["wuye_ledger_append_only", "wuye_ledger_no_truncate", "wuye_audit_ledger_insert"],
    AUDIT: ["wuye_audit_append_only", "wuye_audit_seal_only", "wuye_audit_no_truncate"],
}


def _refuse(what: str, table: str) -> str:
    return (
        f"SELECT RAISE(ABORT, 'wuye: {what} on {table} refused: the table is append-only"
        " (issue 8, docs/audit.md)')"
    )


CLOSED = "(SELECT open FROM audit_guard) IS NOT 1"
SEAL_ONLY_SQLITE = """(OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.chain <> ''
      AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor
      AND NEW.action IS OLD.action AND NEW.table_name IS OLD.table_name
      AND NEW.object_id IS OLD.object_id AND NEW.before IS OLD.before
      AND NEW.after IS OLD.after)"""
SQLITE_AMOUNT = "printf('%.2f', NEW.amount)"

SQLITE = [
    "CREATE TABLE IF NOT EXISTS audit_guard (open INTEGER NOT NULL)",
    "INSERT INTO audit_guard (open) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM audit_guard)",
    f"""CREATE TRIGGER IF NOT EXISTS wuye_ledger_no_update BEFORE UPDATE ON {LEDGER}
  BEGIN {_refuse("UPDATE", LEDGER)}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS wuye_ledger_no_delete BEFORE DELETE ON {LEDGER}
  WHEN {CLOSED} BEGIN {_refuse("DELETE", LEDGER)}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS wuye_audit_seal_only BEFORE UPDATE ON {AUDIT}
  WHEN NOT {SEAL_ONLY_SQLITE} BEGIN {_refuse("UPDATE", AUDIT)}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS wuye_audit_no_delete BEFORE DELETE ON {AUDIT}
  WHEN {CLOSED} BEGIN {_refuse("DELETE", AUDIT)}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS wuye_audit_ledger_insert AFTER INSERT ON {LEDGER}
  BEGIN
    INSERT INTO {AUDIT} (at, actor, action, table_name, object_id, before, after, seq, chain)
    VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now'), NEW.actor, 'insert', '{LEDGER}',
      CAST(NEW.id AS TEXT), NULL,
      json_object('rows', 1, 'amount', {SQLITE_AMOUNT}, 'first_id', NEW.id,
        'last_id', NEW.id, 'row', json_object('account_id', NEW.account_id,
          'kind', NEW.kind, 'component', NEW.component, 'bill_line_id', NEW.bill_line_id,
          'amount', {SQLITE_AMOUNT}, 'entry_date', NEW.entry_date,
          'value_date', NEW.value_date, 'payment_id', NEW.payment_id,
          'refund_id', NEW.refund_id, 'reverses_id', NEW.reverses_id)),
      NULL, '');
  END""",
]
SQLITE_TRIGGERS = {
    LEDGER: ["wuye_ledger_no_update", "wuye_ledger_no_delete", "wuye_audit_ledger_insert"],
    AUDIT: ["wuye_audit_seal_only", "wuye_audit_no_delete"],
}


def install(connection=None) -> None:
    """Create (or re-create) the triggers; idempotent. Also run after every migrate: on
    SQLite a migration that rebuilds a table drops its triggers."""
    connection = connection or default_connection
    statements = POSTGRESQL if connection.vendor == "postgresql" else SQLITE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def expected(connection=None) -> dict[str, list[str]]:
    connection = connection or default_connection
    return POSTGRESQL_TRIGGERS if connection.vendor == "postgresql" else SQLITE_TRIGGERS


def missing(connection=None) -> list[str]:
    """The protecting triggers that are not in the database (`wuye audit check`)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    return [
        f"{table}: {name}"
        for table, names in expected(connection).items()
        for name in names
        if name not in present
    ]
