"""The audit trail of imports (issue 3): one row per import that wrote something."""

from __future__ import annotations

from django.db import models


class ImportBatch(models.Model):
    """Who imported which file (by name and SHA-256) on which date, and what it did per
    kind. An import that changed nothing, a dry run and a refused file write no row."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=10, help_text="csv, xlsx or json")
    encoding = models.CharField(max_length=20, blank=True)
    import_date = models.DateField(help_text="--on: the booking date of opening balances")
    counts = models.JSONField(
        default=dict, help_text='per kind: {"rows", "created", "updated", "unchanged"}'
    )
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    unchanged = models.IntegerField(default=0)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
