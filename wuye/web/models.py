"""Who works on which project (issue 6): an administrator maps people to roles per
project (RULES.md "Who may do what": "an administrator maps roles to people per
project"). Staff see only the projects they are members of; a membership without a
project covers every project (a company-wide manager or finance officer)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wuye.properties.models import Project
from wuye.web.roles import ROLES


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships",
        help_text="empty: every project",
    )  # fmt: skip
    role = models.CharField(max_length=20, choices=list(ROLES.items()))
    granted_by = models.CharField(max_length=150, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "項目成員"
        verbose_name_plural = "項目成員"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project", "role"], name="one_membership_per_role"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(project__isnull=True),
                name="one_company_wide_membership_per_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.project.code if self.project_id else "全部項目"
        return f"{self.user} {ROLES.get(self.role, self.role)} @ {where}"
