"""Splitting the bill and dunning runs by project onto the task queue, the daily
schedule per project time zone, and the `wuye worker` process (issue 7, docs/scaling.md).

Nothing is lost or doubled across a restart:
- the schedule: a `ScheduledRun` row (unique per project, kind and date) and the queued
  task are written in one transaction; a rerun or a second scheduler finds the row;
- a task: it is a row of the same database until a worker finishes it; each task's work
  is one transaction and idempotent, so a task a killed worker had claimed is put back
  on the queue (`recover_abandoned`) and run again without doubling anything."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, close_old_connections, transaction
from django.utils import timezone

from wuye.dunning.services import _projects
from wuye.errors import WuyeError
from wuye.policies.selectors import policy
from wuye.properties.models import Project
from wuye.scheduler.models import ScheduledRun, WorkerBeat
from wuye.scheduler.tasks import SCHEDULER, bill_run_project, dunning_run_project

log = logging.getLogger("wuye.scheduler")


def enqueue_bill_runs(
    *, period: str, on: dt.date, actor: str, project_code: str | None = None
) -> list[dict]:
    """One queued bill run per project (one transaction: all or none are queued)."""
    with transaction.atomic():
        return [
            {"project": p.code, "task": str(result.id)}
            for p in _projects(project_code)
            for result in [bill_run_project.enqueue(p.code, period, on.isoformat(), actor)]
        ]


def enqueue_dunning_runs(*, on: dt.date, actor: str, project_code: str | None = None) -> list[dict]:
    """One queued dunning run per project (one transaction: all or none are queued)."""
    with transaction.atomic():
        return [
            {"project": p.code, "task": str(result.id)}
            for p in _projects(project_code)
            for result in [dunning_run_project.enqueue(p.code, on.isoformat(), actor)]
        ]


def daily_run_time(project: Project) -> dt.time:
    text = policy("daily_run_time", project_id=project.pk)
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError as exc:
        raise WuyeError(
            "bad_policy",
            f"policy daily_run_time '{text}' is not a time HH:MM",
            f"政策 daily_run_time「{text}」不是 HH:MM 格式的時間",
        ) from exc


def schedule_due(now: dt.datetime) -> list[ScheduledRun]:
    """Enqueue each project's dunning run for its local date once that project's
    `daily_run_time` has passed in its time zone (Project.time_zone), once per day.

    `now` is explicit (tests never read the clock). A day the scheduler was down is not
    made up later: the next run covers it (the dunning run does not burst, issue 4)."""
    if timezone.is_naive(now):
        raise ValueError("schedule_due needs an aware datetime")
    projects = list(Project.objects.order_by("code"))
    local = {p.pk: now.astimezone(ZoneInfo(p.time_zone)) for p in projects}
    done = set(
        ScheduledRun.objects.filter(
            kind=ScheduledRun.Kind.DUNNING, on__in={t.date() for t in local.values()}
        ).values_list("project_id", "on")
    )
    created = []
    for project in projects:
        today = local[project.pk].date()
        if (project.pk, today) in done or local[project.pk].time() < daily_run_time(project):
            continue
        try:
            with transaction.atomic():  # the row and the queued task, or neither
                result = dunning_run_project.enqueue(project.code, today.isoformat(), SCHEDULER)
                created.append(
                    ScheduledRun.objects.create(
                        project=project,
                        kind=ScheduledRun.Kind.DUNNING,
                        on=today,
                        task_id=str(result.id),
                        scheduled_at=now,
                    )
                )
        except IntegrityError:  # another scheduler got there first
            continue
        log.info("scheduled the dunning run of %s for %s", project.code, today)
    return created


# --- the worker process --------------------------------------------------------------


def process_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def beat(process: str, now: dt.datetime) -> None:
    updated = WorkerBeat.objects.filter(process=process).update(seen_at=now)
    if not updated:
        WorkerBeat.objects.create(process=process, started_at=now, seen_at=now)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_abandoned(*, now: dt.datetime, stale_after: float = 120.0) -> list[str]:
    """Put back on the queue the tasks a dead `wuye worker` had claimed. A worker is dead
    when it ran on this host and its process is gone, or when its beat is older than
    `stale_after` seconds. Tasks claimed by other workers (plain db_worker) are left."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    host = socket.gethostname()[:40]
    beats = dict(WorkerBeat.objects.values_list("process", "seen_at"))
    requeued = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        process, _, thread = worker.rpartition(":")
        owner, _, pid = process.rpartition(":")
        if not (owner and pid.isdigit() and thread.isdigit()):
            continue  # not a `wuye worker` id
        if owner == host and int(pid) != os.getpid():
            dead = not _alive(int(pid))
        else:
            seen = beats.get(process)
            dead = seen is None or (now - seen).total_seconds() > stale_after
        if dead and DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING
        ).update(status=TaskResultStatus.READY, started_at=None):
            log.warning("requeued task %s (%s) of dead worker %s", result.pk,
                        result.task_path, worker)  # fmt: skip
            requeued.append(str(result.pk))
    return requeued


def _tick(process: str, now: dt.datetime, stale_after: float, schedule: bool) -> None:
    close_old_connections()
    try:
        beat(process, now)
        recover_abandoned(now=now, stale_after=stale_after)
        if schedule:
            schedule_due(now)
    except OperationalError as exc:  # a busy database: try again next tick
        log.warning("scheduler tick skipped: %s", exc)


def _worker(worker_id: str, *, batch: bool, interval: float):
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def _run_threads(workers: list) -> None:
    from django.db import connection

    def run(worker) -> None:
        try:
            worker.run()
        finally:
            connection.close()

    if len(workers) == 1:
        workers[0].run()
        return
    threads = [threading.Thread(target=run, args=(w,), name=w.worker_id) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def work(
    *,
    once: bool = False,
    threads: int = 1,
    interval: float = 1.0,
    tick: float = 30.0,
    stale_after: float = 120.0,
    schedule: bool = True,
    clock=timezone.now,
) -> None:
    """`wuye worker`: the scheduler loop (every `tick` seconds: beat, requeue the tasks of
    dead workers, enqueue the due daily runs) and `threads` queue workers (django-tasks-db
    db_worker) in one process. `once`: one tick, then run the queue empty and return.
    `schedule=False`: a worker only (another process schedules)."""
    process = process_name()
    _tick(process, clock(), stale_after, schedule)
    if once:  # each thread takes tasks until the queue is empty, then the process returns
        _run_threads([_worker(f"{process}:{i}", batch=True, interval=0) for i in range(threads)])
        return
    workers = [_worker(f"{process}:{i}", batch=False, interval=interval) for i in range(threads)]
    stop = threading.Event()

    def shutdown(signum, frame):  # finish the running tasks, then leave
        log.warning("%s: stopping after the running tasks", signal.strsignal(signum))
        stop.set()
        for w in workers:
            w.running = False

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)

    def run(worker) -> None:
        from django.db import connection

        while worker.running:  # a lost connection must not end the thread for good
            try:
                worker.run()
            except Exception:
                log.exception("worker %s failed; restarting it", worker.worker_id)
                stop.wait(interval)
            finally:
                connection.close()

    running = [threading.Thread(target=run, args=(w,), name=w.worker_id) for w in workers]
    for t in running:
        t.start()
    while not stop.wait(tick):
        _tick(process, clock(), stale_after, schedule)
    for t in running:
        t.join()
    WorkerBeat.objects.filter(process=process).delete()
