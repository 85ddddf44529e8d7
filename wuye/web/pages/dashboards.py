"""Staff pages: dashboards (issue 6)."""

from __future__ import annotations

urlpatterns: list = []
