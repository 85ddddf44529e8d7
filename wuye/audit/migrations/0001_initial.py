"""The audit log and its triggers (issue 8, wuye.audit.triggers). Entries already in the
ledger are recorded as one 'baseline' event, so `wuye audit check` covers them."""

from django.db import migrations, models

from wuye.audit import triggers


def baseline(cursor, vendor: str) -> None:
    if vendor == "postgresql":
        cursor.execute(
            f"""INSERT INTO audit_auditevent (at, actor, action, table_name, object_id, before,
              after, seq, chain)
            SELECT clock_timestamp(), 'system', 'baseline', 'ledger_entry',
              min(id) || '..' || max(id), NULL,
              jsonb_build_object('rows', count(*), 'amount', sum(amount)::text,
                'first_id', min(id), 'last_id', max(id),
                'checksum', sum({triggers.PG_FINGERPRINT.format(t="")})::text), NULL, ''
            FROM ledger_entry HAVING count(*) > 0"""
        )
    else:
        cursor.execute(
            """INSERT INTO audit_auditevent (at, actor, action, table_name, object_id, before,
              after, seq, chain)
            SELECT strftime('%Y-%m-%d %H:%M:%f', 'now'), 'system', 'baseline', 'ledger_entry',
              min(id) || '..' || max(id), NULL,
              json_object('rows', count(*), 'amount', printf('%.2f', sum(amount)),
                'first_id', min(id), 'last_id', max(id)), NULL, ''
            FROM ledger_entry HAVING count(*) > 0"""
        )


def install(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        baseline(cursor, connection.vendor)
    triggers.install(connection)


def uninstall(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table, names in triggers.expected(connection).items():
            for name in names:
                if connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                else:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS wuye_audit_ledger_insert()")
            cursor.execute("DROP FUNCTION IF EXISTS wuye_append_only()")
            cursor.execute("DROP FUNCTION IF EXISTS wuye_audit_seal_only()")
        else:
            cursor.execute("DROP TABLE IF EXISTS audit_guard")


class Migration(migrations.Migration):
    initial = True

    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("at", models.DateTimeField(db_index=True)),
                ("actor", models.CharField(max_length=150)),
                ("action", models.CharField(max_length=20, choices=[
                    ("create", "新增"), ("update", "修改"), ("delete", "刪除"),
                    ("insert", "寫入帳目"), ("baseline", "既有帳目"), ("grant", "授予"),
                    ("revoke", "撤銷"),
                ])),
                ("table", models.CharField(db_column="table_name", db_index=True, max_length=100)),
                ("object_id", models.CharField(blank=True, max_length=100)),
                ("before", models.JSONField(blank=True, null=True)),
                ("after", models.JSONField(blank=True, null=True)),
                ("seq", models.BigIntegerField(blank=True, null=True, unique=True)),
                ("chain", models.CharField(blank=True, default="", max_length=64)),
            ],
            options={
                "verbose_name": "稽核紀錄",
                "verbose_name_plural": "稽核紀錄",
                "indexes": [
                    models.Index(condition=models.Q(("seq__isnull", True)), fields=["id"],
                                 name="audit_unsealed"),
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
