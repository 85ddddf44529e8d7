"""An index for the day's lists of notices and tasks (issue 6: fast at 100,000 units):
notices to sign for and to deliver are `issued`, call, visit and escalation tasks
`open`; by status, action and issue date a list reads the notices still open, not the
whole history of dunning runs that its project's (project, issued_on) index covers.

Written in SQL (the same for SQLite and PostgreSQL) rather than in the model's Meta, like
billing 0006: the models' state, and so `makemigrations`, do not change."""

from django.db import migrations

INDEX = "dunning_notice_open_work"


class Migration(migrations.Migration):
    dependencies = [("dunning", "0006_r3_collection_notice_template")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON dunning_notice (status, action, issued_on)",
            f"DROP INDEX IF EXISTS {INDEX}",
        )
    ]
