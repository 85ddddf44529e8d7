"""Test set-up shared by every app's tests."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def _seed_snapshot(django_db_setup, django_db_blocker):
    """The rows the migrations seed (fee items, policies, dunning policies), taken when
    the first test that needs them starts, before any transactional test flushes them."""
    from django.db import connections

    with django_db_blocker.unblock():
        return connections["default"].creation.serialize_db_to_string()


def reseed(snapshot: str) -> None:
    """After a transactional test's flush: empty the database (groups, permissions too)
    and load the seeded rows again."""
    from django.apps import apps
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connections

    from wuye.billing.models import FeeItem
    from wuye.dunning.models import DunningPolicy

    if FeeItem.objects.exists() and DunningPolicy.objects.exists():
        return
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    connection = connections["default"]
    connection.creation.deserialize_db_from_string(snapshot)
    # the loaded rows keep their ids: move the id sequences past them (PostgreSQL)
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@pytest.fixture(autouse=True)
def _seeded(request):
    """Every test sees the seeded configuration: a transactional test that follows
    another one's flush gets it back (the snapshot is taken before the first test)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    snapshot = request.getfixturevalue("_seed_snapshot")
    transactional = marker.kwargs.get("transaction") or (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    )
    if transactional and not marker.kwargs.get("serialized_rollback"):
        request.getfixturevalue("transactional_db")
        reseed(snapshot)


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
