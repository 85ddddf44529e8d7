"""What every staff page needs (issue 6): the as-of date (explicit, `?on=`, else today in
the server's time zone: the outer edge reads the clock), the projects the user may see,
the user's errors shown as a page with the right status, pagination."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from wuye.dates import parse_date
from wuye.errors import NotFound, WuyeError
from wuye.properties.models import Project
from wuye.web.access import Forbidden, projects_for

PAGE_SIZE = 50


def now() -> dt.datetime:
    return dt.datetime.now(ZoneInfo(settings.TIME_ZONE))


def as_of(request, field: str = "on") -> dt.date:
    """The date the page is for: `?on=` / a form field, else today."""
    text = request.POST.get(field) or request.GET.get(field)
    return parse_date(text, field=field) if text else now().date()


def visible_project(user, code: str) -> Project:
    """The project with this code, if the user may see it; 404 otherwise (a user of
    another project learns nothing about it)."""
    project = projects_for(user).filter(code=code).first()
    if project is None:
        raise Http404(code)
    return project


def selected_projects(request):
    """The projects a page shows: the user's, narrowed by `?project=CODE`."""
    projects = projects_for(request.user)
    code = request.GET.get("project")
    return projects.filter(code=code) if code else projects


def page_of(request, rows, size: int = PAGE_SIZE):
    """One page of a queryset or list (`?page=`)."""
    return Paginator(rows, size).get_page(request.GET.get("page"))


def shows_errors(view):
    """Render a WuyeError as the error page: 403 for Forbidden, 404 for NotFound, else 400;
    nothing was written (the services are one transaction each)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except WuyeError as error:
            status = (
                403 if isinstance(error, Forbidden) else 404 if isinstance(error, NotFound) else 400
            )
            return render(request, "web/error.html", {"error": error}, status=status)

    return wrapped
