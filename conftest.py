"""Test set-up shared by every app's tests."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _no_clock(monkeypatch):
    """Tests never read the clock for business dates: `wuye.dates.today` fails loudly."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a test read today's date; pass an explicit date instead")

    monkeypatch.setattr("wuye.dates.today", forbidden)


def pytest_collection_modifyitems(config, items):
    """A test marked postgres_only is reported as skipped, with the marker's reason, when
    the suite runs on SQLite (it is never silently left out)."""
    from django.conf import settings as django_settings

    engine = django_settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    for item in items:
        marker = item.get_closest_marker("postgres_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only: {reason}"))
