"""The daily run per project time zone (issue 7): `schedule_due(now)` enqueues each
project's dunning run once its local `daily_run_time` (policy, default 06:00) has passed,
once a day, with a `ScheduledRun` row written in the same transaction as the task."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from wuye.policies.models import PolicySetting
from wuye.scheduler.models import ScheduledRun
from wuye.scheduler.services import schedule_due
from wuye.testing.factories import ProjectFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+8
URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6


@pytest.fixture
def projects():
    return {
        "SH": ProjectFactory(code="SH", time_zone="Asia/Shanghai"),
        "SH2": ProjectFactory(code="SH2", time_zone="Asia/Shanghai"),
        "XJ": ProjectFactory(code="XJ", time_zone="Asia/Urumqi"),
    }


def queued() -> list[tuple[str, str]]:
    return sorted(
        (r.args_kwargs["args"][0], r.args_kwargs["args"][1])
        for r in DBTaskResult.objects.filter(task_path__endswith="dunning_run_project")
    )


def at(zone, hour, minute, day=27) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=zone)


def test_each_project_is_scheduled_once_at_its_local_time(projects):
    assert schedule_due(at(SHANGHAI, 5, 59)) == []  # 05:59 in Shanghai, 03:59 in Urumqi
    assert queued() == []

    made = schedule_due(at(SHANGHAI, 6, 0))  # 06:00 Shanghai; 04:00 Urumqi
    assert sorted(r.project.code for r in made) == ["SH", "SH2"]
    assert queued() == [("SH", "2026-11-27"), ("SH2", "2026-11-27")]

    assert schedule_due(at(SHANGHAI, 6, 30)) == []  # nothing twice
    assert schedule_due(at(URUMQI, 5, 59)) == []  # Urumqi not yet
    made = schedule_due(at(URUMQI, 6, 0))
    assert [r.project.code for r in made] == ["XJ"]
    assert schedule_due(at(URUMQI, 6, 30)) == []
    assert queued() == [("SH", "2026-11-27"), ("SH2", "2026-11-27"), ("XJ", "2026-11-27")]
    rows = ScheduledRun.objects.order_by("project__code")
    assert [(r.project.code, r.on, r.kind) for r in rows] == [
        (code, dt.date(2026, 11, 27), "dunning") for code in ["SH", "SH2", "XJ"]
    ]
    assert {r.task_id for r in rows} == {
        str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)
    }


def test_the_local_date_decides_the_day(projects):
    # 23:30 UTC on the 26th is 07:30 on the 27th in Shanghai, 05:30 on the 27th in Urumqi
    schedule_due(dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.UTC))
    assert queued() == [("SH", "2026-11-27"), ("SH2", "2026-11-27")]
    schedule_due(at(SHANGHAI, 6, 0, day=28))  # the next day: again, once
    schedule_due(at(SHANGHAI, 8, 0, day=28))  # 06:00 in Urumqi; its 27th was missed:
    # not made up (the next dunning run covers it without a burst, issue 4)
    assert queued() == [
        ("SH", "2026-11-27"), ("SH", "2026-11-28"), ("SH2", "2026-11-27"),
        ("SH2", "2026-11-28"), ("XJ", "2026-11-28"),
    ]  # fmt: skip


def test_daily_run_time_is_a_policy_per_project(projects):
    PolicySetting.objects.create(
        project=projects["SH2"], key="daily_run_time", value="07:15", changed_by="admin",
        changed_at=at(SHANGHAI, 0, 0),
    )  # fmt: skip
    made = schedule_due(at(SHANGHAI, 6, 0))
    assert [r.project.code for r in made] == ["SH"]
    assert schedule_due(at(SHANGHAI, 7, 14)) == []
    assert [r.project.code for r in schedule_due(at(SHANGHAI, 7, 15))] == ["SH2"]


def test_a_failed_schedule_leaves_neither_row_nor_task(projects, monkeypatch):
    """The row and the queued task are one transaction: if writing fails, neither stays,
    so the next tick schedules it (nothing lost), and never twice (nothing doubled)."""
    from wuye.scheduler import services

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.ScheduledRun.objects, "create", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        schedule_due(at(SHANGHAI, 6, 0))
    assert queued() == [] and not ScheduledRun.objects.exists()
    monkeypatch.undo()
    assert len(schedule_due(at(SHANGHAI, 6, 1))) == 2
    assert queued() == [("SH", "2026-11-27"), ("SH2", "2026-11-27")]


def test_now_must_be_aware(projects):
    with pytest.raises(ValueError):
        schedule_due(dt.datetime(2026, 11, 27, 6, 0))
