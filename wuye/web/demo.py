"""`wuye demo`: everything a newcomer needs on the embedded SQLite (issue 6): migrate,
demo data with three months of history, the day's dunning run, one demo user per role
(names and passwords printed and listed in the README), then `wuye serve`."""

from __future__ import annotations

import datetime as dt

from wuye.web.roles import ROLES

#: the demo users: one per role, password "demo-<role>" (demo data only, never production)
DEMO_USERS = {f"demo-{code}": code for code in ROLES}


def demo_password(username: str) -> str:
    return username  # e.g. demo-finance / demo-finance


def ensure_demo_users() -> list[dict]:
    """One user per role (idempotent); the administrator may use the admin site."""
    from django.contrib.auth.models import Group, User

    from wuye.properties.models import Project
    from wuye.web.models import Membership
    from wuye.web.roles import ensure_role_groups

    ensure_role_groups()
    rows = []
    for username, role in DEMO_USERS.items():
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(demo_password(username))
        user.is_staff = role == "administrator"
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        for project in Project.objects.all():  # the demo users work on every demo project
            Membership.objects.get_or_create(
                user=user, project=project, role=role, defaults={"granted_by": "demo"}
            )
        rows.append({"user": username, "password": demo_password(username), "role": role,
                     "role_zh": ROLES[role]})  # fmt: skip
    return rows


def prepare_demo(*, on: dt.date, units: int, actor: str) -> dict:
    """Demo data (once), the day's dunning run (idempotent) and the demo users."""
    from wuye.demo.services import make_demo_data
    from wuye.dunning.services import run_dunning
    from wuye.properties.models import Project

    created = False
    if not Project.objects.filter(code="HT").exists():
        first = (on.replace(day=1) - dt.timedelta(days=85)).replace(day=1)
        make_demo_data(units=units, seed=1, on=on, actor=actor, history_from=first,
                       history_until=on)  # fmt: skip
        analyse()  # the run's queries are planned on the history just written
        created = True
    run = run_dunning(as_of=on, actor=actor)
    if created:
        analyse()  # and the lists' queries on the notices and tasks the run issued
    return {"created": created, "notices": run.notices_created, "users": ensure_demo_users()}


def analyse() -> None:
    """Fresh planner statistics for the tables the demo just filled (issue 6): without
    them a freshly built demo planned a list page's query badly, and PostgreSQL's day's
    dunning run at 100,000 units was still running after 15 minutes (under a minute with
    statistics). SQLite keeps none until asked (ANALYZE, a few seconds at 100,000 units);
    PostgreSQL's autovacuum gets there, but only after the run and the first pages."""
    from django.db import connection

    if connection.vendor in ("postgresql", "sqlite"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
