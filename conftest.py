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
