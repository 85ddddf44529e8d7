"""Staff pages: accounts (issue 6)."""

from __future__ import annotations

urlpatterns: list = []
