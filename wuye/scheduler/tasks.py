"""The queued tasks (issue 7): one project's bill run and one project's dunning run.

Each calls the existing service for one project in one transaction, so a worker killed
mid-task leaves nothing half-written, and each service is idempotent (a rerun issues only
what is missing, E2: the dunning run also holds the project's run mark), so a task run
again after a restart changes nothing that was already done. Arguments are JSON: dates
as ISO strings."""

from __future__ import annotations

import os
import time

from django.db import transaction
from django_tasks import task

from wuye.audit.services import seal_quietly
from wuye.dates import Period, parse_date
from wuye.errors import NotFound
from wuye.properties.models import Project

SCHEDULER = "scheduler"


def _project(code: str) -> Project:
    project = Project.objects.filter(code=code).first()
    if project is None:
        raise NotFound("project", code)
    return project


def _hold(project_code: str) -> None:
    """Fault injection for the restart test only: WUYE_TASK_HOLD="CODE:SECONDS" keeps the
    task's transaction open that long after the work is written (not yet committed)."""
    code, _, seconds = os.environ.get("WUYE_TASK_HOLD", "").partition(":")
    if code and code == project_code:
        time.sleep(float(seconds or 0))


@task()
def bill_run_project(project_code: str, period: str, on: str, actor: str = SCHEDULER) -> dict:
    """Issue one project's missing bills for a period (issue 2, idempotent)."""
    from wuye.billing.services import issue_bills_for_project

    with transaction.atomic():
        result = issue_bills_for_project(
            project=_project(project_code),
            period=Period.parse(period),
            on=parse_date(on),
            actor=actor,
        )
        _hold(project_code)
    seal_quietly()  # the run's ledger events into the audit chain (issue 8)
    return {
        "project": project_code,
        "period": str(period),
        "existing": result.existing,
        "created": result.created,
        "total": str(result.total),
        "numbers": list(result.numbers or []),
    }


@task()
def dunning_run_project(project_code: str, on: str, actor: str = SCHEDULER) -> dict:
    """One project's daily dunning run for a date (E2, run mark, idempotent)."""
    from wuye.dunning.services import run_dunning

    _project(project_code)
    with transaction.atomic():
        run = run_dunning(as_of=parse_date(on), actor=actor, project_code=project_code)
        _hold(project_code)
    seal_quietly()
    return {"project": project_code, "on": on, "run": run.pk, "notices": run.notices_created}
