"""What the scheduler has enqueued (issue 7, docs/scaling.md).

A `ScheduledRun` row is written in the same transaction as the task it enqueues (the task
queue is a table of the same database, django-tasks-db), and its unique constraint lets
each project's daily run be enqueued once: a scheduler that is restarted, or two that run
at the same time, can neither lose nor double it. `WorkerBeat` tells the workers which of
them are alive, so a task a killed worker had claimed goes back to the queue."""

from __future__ import annotations

from django.db import models

from wuye.properties.models import Project


class ScheduledRun(models.Model):
    class Kind(models.TextChoices):
        DUNNING = "dunning", "每日催收"
        BILLS = "bills", "出賬"

    project = models.ForeignKey(Project, on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    on = models.DateField(help_text="the run's business date in the project's time zone")
    task_id = models.CharField(max_length=64, help_text="the queued task (django-tasks-db)")
    scheduled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "on"], name="scheduled_run_once")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.on}"


class WorkerBeat(models.Model):
    """A `wuye worker` process ("host:pid"), refreshed every scheduler tick."""

    process = models.CharField(max_length=64, primary_key=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.process
