"""Dates default to today in the project's time zone (issue 2, stack: dates)."""

import datetime as dt

import pytest

from wuye.cli import main
from wuye.testing.factories import office_account


@pytest.mark.django_db
def test_payment_without_on_uses_today_in_the_units_project_time_zone(monkeypatch, capsys):
    """Given a project in Urumqi time, when a payment is recorded without --on,
    then "today" is asked for in that zone and used as the payment date."""
    account = office_account()
    account.project.time_zone = "Asia/Urumqi"
    account.project.save()
    asked = []

    def fake_today(tz):
        asked.append(tz)
        return dt.date(2026, 3, 5)

    monkeypatch.setattr("wuye.dates.today", fake_today)
    code = main(["payments", "record", "--unit", account.unit.code, "--amount", "10.00", "--json"])
    assert code == 0, capsys.readouterr().err
    assert asked == ["Asia/Urumqi"]
    assert '"paid_on": "2026-03-05"' in capsys.readouterr().out


@pytest.mark.django_db
def test_bill_run_without_project_uses_the_default_time_zone(monkeypatch, capsys):
    asked = []
    monkeypatch.setattr("wuye.dates.today", lambda tz: asked.append(tz) or dt.date(2026, 3, 1))
    assert main(["bills", "issue", "--period", "2026-03", "--dry-run"]) == 0
    assert asked == ["Asia/Shanghai"]
