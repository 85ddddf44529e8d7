"""The project's run lock (issue 8, Faults): the run mark row of each project.

A run that decides from a project's balances and then writes (the dunning run, the
late-fee run, the bill run with its credit application, P1) holds the row exclusively;
a payment, refund or reversal holds it shared before it locks its account. So a payment
waits for a run of its project that is in progress and a run waits for the payments in
progress, and the result is always some serial order: a run never writes from balances
that a payment changed under it (found by wuye/tests/test_faults_concurrency.py: a
payment during a dunning run left its credit beside the late fee the run posted, and
a notice issued for a debt already paid). Payments do not wait for each other here (the
account lock orders those). Lock order: run marks (by project), then accounts.

SQLite has one writer at a time (BEGIN IMMEDIATE), so there is nothing to do there."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from wuye.dunning.models import RunMark


def _ensure(project_ids: list[int]) -> None:
    RunMark.objects.bulk_create([RunMark(project_id=i) for i in project_ids], ignore_conflicts=True)


def hold_runs_off(project_ids: Iterable[int]) -> None:
    """In a transaction about to move money on accounts of these projects: wait for a
    run in progress there, and keep new runs out until the transaction ends."""
    if connection.vendor != "postgresql":
        return
    ids = sorted(set(project_ids))
    if not ids:
        return
    sql = "SELECT project_id FROM dunning_runmark WHERE project_id = ANY(%s) ORDER BY project_id FOR SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        if len(cursor.fetchall()) < len(ids):  # a project's first: make its row
            _ensure(ids)
            cursor.execute(sql, [ids])


def lock_runs(project_ids: Iterable[int]) -> None:
    """For a run: wait for the payments in progress in these projects and keep new ones
    waiting until the run's transaction ends (the dunning run takes the same rows in
    `_refuse_earlier`; taking them again in one transaction costs nothing)."""
    ids = sorted(set(project_ids))
    if connection.vendor != "postgresql" or not ids:
        return
    _ensure(ids)
    list(RunMark.objects.select_for_update().filter(project_id__in=ids).order_by("project"))
