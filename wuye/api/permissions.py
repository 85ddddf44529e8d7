"""The same permissions as the staff pages (issue 6): a user sees only
`projects_for(user)`; an object of another project is not found (404, the user learns
nothing about it); an action checks the role table with `require` (403)."""

from __future__ import annotations

from django.db.models import QuerySet

from wuye.errors import NotFound
from wuye.properties.models import Project
from wuye.web.access import projects_for, require, require_visible_bill

__all__ = [
    "in_view", "project_named", "require", "require_visible_bill", "roles_by_project", "visible",
]  # fmt: skip


def visible(user) -> QuerySet[Project]:
    """The projects the user may see (a subquery for the lists' filters)."""
    return projects_for(user)


def project_named(user, code: str) -> Project:
    """The project with this code if the user may see it; NotFound (404) otherwise, also
    when it exists in another company's or colleague's scope."""
    project = projects_for(user).filter(code=code).first()
    if project is None:
        raise NotFound("project", code)
    return project


def in_view(rows: QuerySet, user, *, project: str | None = None, via: str = "project"):
    """Rows of the projects the user may see, narrowed to `project` (a code) if given: a
    project the user may not see is a 404, never an empty list that confirms it exists."""
    if project:
        return rows.filter(**{via: project_named(user, project)})
    ids = list(visible(user).values_list("pk", flat=True))  # a company has tens of projects
    if len(ids) == Project.objects.count():
        return rows  # all of them: no filter, so the database pages along the id index
    return rows.filter(**{f"{via}__in": ids})


def roles_by_project(user):
    """A function giving the roles the user holds on a project (one query for all)."""
    if not user.is_authenticated:
        return lambda project: set()
    held: dict[int | None, set[str]] = {}
    for project_id, role in user.memberships.values_list("project_id", "role"):
        held.setdefault(project_id, set()).add(role)
    everywhere = held.get(None, set())
    return lambda project: held.get(project.pk, set()) | everywhere
