"""Policy settings (STYLE §7): every number from the rules is a default that an
administrator can override per project and segment. Defaults live in registry.py."""

from __future__ import annotations

from django.db import models


class PolicySetting(models.Model):
    key = models.CharField(max_length=60)
    project = models.ForeignKey(
        "properties.Project", null=True, blank=True, on_delete=models.PROTECT
    )
    segment = models.CharField(max_length=30, blank=True)
    value = models.CharField(max_length=200)
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "project", "segment"], name="policy_setting_unique"
            )
        ]
