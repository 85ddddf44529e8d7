"""The bill run and the dunning run split by project onto the task queue (issue 7): the
queued tasks, run by the queue's worker, give the same bills and notices (same numbers)
as the services called directly; a task run again changes nothing (E2, idempotent runs)."""

import datetime as dt

import pytest
from django.db import transaction

from wuye.billing.models import Bill
from wuye.billing.services import issue_bills
from wuye.dates import Period
from wuye.demo.services import make_demo_data
from wuye.dunning.models import Notice
from wuye.dunning.services import run_dunning
from wuye.properties.models import Project
from wuye.scheduler.services import enqueue_bill_runs, enqueue_dunning_runs, work
from wuye.scheduler.tasks import bill_run_project, dunning_run_project

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """The worker closes connections it finds inside a transaction (between tasks); the
    test's own transaction must stay open, so that is skipped here (in-process only)."""
    for module in ("django_tasks_db.management.commands.db_worker", "wuye.scheduler.services"):
        monkeypatch.setattr(f"{module}.close_old_connections", lambda: None)


@pytest.fixture
def demo():
    make_demo_data(
        units=200, seed=3, on=dt.date(2026, 10, 31), actor="demo",
        history_from=dt.date(2026, 8, 1), history_until=dt.date(2026, 10, 31),
    )  # fmt: skip
    return sorted(Project.objects.values_list("code", flat=True))


def snapshot() -> dict:
    return {
        "bills": sorted(
            Bill.objects.filter(period_start=ON.replace(day=1)).values_list(
                "number", "account__code", "total"
            )
        ),
        "notices": sorted(
            Notice.objects.filter(issued_on=ON).values_list(
                "number", "account__code", "level", "action"
            )
        ),
    }


def run_queue() -> None:
    """The worker as `wuye worker --once --no-schedule` runs it (in this process)."""
    work(once=True, schedule=False)


def test_queued_runs_give_the_same_bills_and_notices_as_the_services(demo):
    with transaction.atomic():
        bills = enqueue_bill_runs(period="2026-11", on=ON, actor="fin-li")
        assert [q["project"] for q in bills] == demo  # one task per project
        run_queue()
        dunning = enqueue_dunning_runs(on=ON, actor="fin-li")
        assert [q["project"] for q in dunning] == demo
        run_queue()
        queued = snapshot()
        transaction.set_rollback(True)  # undo, then do the same by the services

    issue_bills(period=Period.parse("2026-11"), on=ON, actor="fin-li")
    for code in demo:
        run_dunning(as_of=ON, actor="fin-li", project_code=code)
    direct = snapshot()
    assert queued["bills"] and queued["notices"]
    assert queued == direct  # same bills, same notices, same numbers


def test_a_task_run_twice_changes_nothing(demo):
    code = demo[0]
    bill_run_project.call(code, "2026-11", ON.isoformat(), "fin-li")
    first = dunning_run_project.call(code, ON.isoformat(), "fin-li")
    before = snapshot()
    assert first["notices"] > 0 and before["bills"]

    again = bill_run_project.call(code, "2026-11", ON.isoformat(), "fin-li")
    second = dunning_run_project.call(code, ON.isoformat(), "fin-li")
    assert again["created"] == 0
    assert second["notices"] == 0
    assert snapshot() == before


def test_enqueued_twice_and_run_by_the_worker_issues_once(demo):
    for _ in range(2):  # the same day's run queued twice (e.g. by hand and by schedule)
        enqueue_dunning_runs(on=ON, actor="fin-li")
    run_queue()
    notices = snapshot()["notices"]
    assert notices
    assert len({n[0] for n in notices}) == len(notices)
    for code in demo:  # gapless per project
        seqs = sorted(int(n[0].rsplit("-", 1)[1]) for n in notices if n[0].startswith(code))
        assert seqs == list(range(1, len(seqs) + 1))

    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2 * len(demo)
