"""A task a dead `wuye worker` had claimed goes back on the queue (issue 7): dead = its
process on this host is gone, or its beat on another host is older than `stale_after`.
A live worker's task and a task of a worker that is not `wuye worker` are left alone."""

import datetime as dt
import os
import socket

import pytest
from django_tasks_db.models import DBTaskResult

from wuye.cli import main
from wuye.scheduler.models import WorkerBeat
from wuye.scheduler.services import recover_abandoned
from wuye.scheduler.tasks import dunning_run_project

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 27, 6, 0, tzinfo=dt.UTC)
HOST = socket.gethostname()[:40]


def claimed(worker_id: str) -> DBTaskResult:
    result = dunning_run_project.enqueue("HT", "2026-11-27")
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim(worker_id)
    return row


NO_SUCH_PID = 4_000_000  # above Linux's pid_max: no such process


def test_tasks_of_dead_workers_are_requeued_and_others_left():
    here_dead = claimed(f"{HOST}:{NO_SUCH_PID}:0")
    here_alive = claimed(f"{HOST}:{os.getppid()}:0")
    WorkerBeat.objects.create(process="far:12", started_at=NOW, seen_at=NOW)
    far_fresh = claimed("far:12:0")
    WorkerBeat.objects.create(
        process="old:7", started_at=NOW, seen_at=NOW - dt.timedelta(minutes=5)
    )
    far_stale = claimed("old:7:1")
    foreign = claimed("a1b2c3d4e5f6")  # a plain db_worker's random id

    requeued = recover_abandoned(now=NOW, stale_after=120)

    assert sorted(requeued) == sorted([str(here_dead.pk), str(far_stale.pk)])
    status = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert status[here_dead.pk] == status[far_stale.pk] == "READY"
    assert status[here_alive.pk] == status[far_fresh.pk] == status[foreign.pk] == "RUNNING"
    assert recover_abandoned(now=NOW, stale_after=120) == []  # once


def test_enqueue_bills_needs_a_period(capsys):
    assert main(["runs", "enqueue", "bills", "--on", "2026-11-02"]) == 2
    assert "--period" in capsys.readouterr().err


def test_worker_needs_a_thread(capsys):
    assert main(["worker", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err
