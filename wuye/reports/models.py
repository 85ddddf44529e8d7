"""M4: who is responsible for collecting each account. A contract version carries a
`collector` too, but contracts are versioned money terms; a change of collector is an
`Assignment`, dated, with who made it. The contract's collector is the fallback for
accounts never assigned."""

from __future__ import annotations

from django.db import models

from wuye.properties.models import Account


class Assignment(models.Model):
    """M4: from `from_date` on, `collector` is responsible for the account (until the
    next assignment of the same account)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="assignments")
    collector = models.CharField(max_length=150)
    from_date = models.DateField()
    assigned_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "from_date"], name="one_assignment_per_account_day"
            )
        ]
        indexes = [models.Index(fields=["account", "from_date"])]

    def __str__(self) -> str:
        return f"{self.account} → {self.collector} from {self.from_date}"
