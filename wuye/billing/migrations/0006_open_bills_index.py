"""An index of the bills still open for delivery (issue 6: the task lists stay fast at
100,000 units): issued bills not yet received, by contract. `pending_handovers` reads the
bills to sign for through it from the contracts not paid on a fixed day (and the opening
balances, with no contract), so it reads the bills still to deliver instead of every
fixed-day bill ever issued.

A partial index, so written in SQL (the same for SQLite and PostgreSQL) rather than in
the model's Meta: the models' state, and so `makemigrations`, do not change."""

from django.db import migrations

INDEX = "billing_bill_open_by_contract"


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_delivery")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON billing_bill (contract_id) "
            "WHERE status = 'issued' AND receipt_date IS NULL",
            f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
