"""Staff pages: the dunning run (催繳運行, rules E2, G1) and the day's notices as one PDF
(issue 6).

The run screen follows the command line: "預覽" is `wuye dunning run --dry-run` (the
proposal computed and rolled back: nothing is written), "執行" is `dunning propose`,
`dunning exclude` for each line staff took out (with the reason) and `dunning execute`,
in one transaction. Running is for finance or a supervisor (RULES.md "Who may do what").
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from wuye.documents.services import render_notices_pdf
from wuye.dunning.models import Action, DunningRun, Notice
from wuye.dunning.services import exclude_from_run, execute_run, get_run, propose_run, run_dunning
from wuye.money import ZERO
from wuye.web.access import projects_for, require
from wuye.web.common import as_of, page_of, shows_errors, visible_project


class RunForm(forms.Form):
    """Which project and which day the run is for."""

    project = forms.CharField(label=gettext_lazy("項目"), max_length=20)
    on = forms.DateField(label=gettext_lazy("運行日期"), input_formats=["%Y-%m-%d"])


class UnitsField(forms.Field):
    """Unit codes ticked in the preview (any code: the service refuses one that is not in
    the proposal)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        return [v.strip() for v in value or [] if v.strip()]


class ExecuteForm(RunForm):
    """The run, with the lines staff take out of it and why (RULES.md: staff trim the
    proposal)."""

    exclude = UnitsField(label=gettext_lazy("排除"), required=False)
    reason = forms.CharField(label=gettext_lazy("排除原因"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("exclude") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("排除帳戶須填寫原因"))
        return data


def _actor(request) -> str:
    return request.user.get_username()


def _steps(lines) -> list[dict]:
    """Per step of the proposal (notice, SMS, call, escalation …): how many accounts and
    how much they owe; excluded lines counted apart."""
    groups: dict[int, dict] = {}
    for line in lines:
        group = groups.setdefault(
            line.step_id,
            {"step": line.step, "lines": 0, "arrears": ZERO, "excluded": 0},
        )
        if line.excluded:
            group["excluded"] += 1
            continue
        group["lines"] += 1
        group["arrears"] += line.arrears
    return sorted(
        groups.values(), key=lambda g: (g["step"].track, g["step"].position, g["step"].code)
    )


def _sorted_lines(lines) -> list:
    return sorted(lines, key=lambda ln: (ln.step.track, ln.step.position, ln.account.unit.code))


@login_required
@require_http_methods(["GET", "POST"])
@shows_errors
def dunning_run(request):
    """The run screen: choose project and date, preview (nothing written), then run."""
    if request.method == "POST":
        return _execute(request)
    require(request.user, "run_dunning")  # a role that may run it on some project
    projects = projects_for(request.user)
    if not request.GET.get("project"):
        initial = {"on": as_of(request), "project": projects.first().code if projects else ""}
        form = RunForm(initial=initial)
        return render(request, "web/dunning/run.html", {"form": form, "projects": projects})
    form = RunForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "projects": projects}
        return render(request, "web/dunning/run.html", context, status=400)
    project = visible_project(request.user, form.cleaned_data["project"])
    require(request.user, "run_dunning", project)
    context = _preview(request, project, form.cleaned_data["on"])
    return render(request, "web/dunning/run.html", {"form": form, **context})


def _preview(request, project, on) -> dict:
    """What a run would do: the same code as `wuye dunning run --dry-run` (the proposal
    is computed and rolled back)."""
    preview = run_dunning(as_of=on, actor=_actor(request), project_code=project.code, dry_run=True)
    lines = _sorted_lines(preview._dry_lines)
    return {
        "projects": projects_for(request.user),
        "project": project,
        "on": on,
        "steps": _steps(lines),
        "total": len(lines),
        "page": page_of(request, lines),
        "notices_today": _notices_issued(project, on),
    }


def _notices_issued(project, on) -> int:
    """Notices already issued that day (a second run the same day adds nothing)."""
    return Notice.objects.filter(project=project, issued_on=on).count()


def _execute(request):
    form = ExecuteForm(request.POST)
    valid = form.is_valid()
    code = form.cleaned_data.get("project")
    project = visible_project(request.user, code) if code else None
    require(request.user, "run_dunning", project)
    if not valid:  # shown again with the lines ticked; nothing written
        context = {"form": form, "projects": projects_for(request.user)}
        if project is not None and form.cleaned_data.get("on"):
            context |= _preview(request, project, form.cleaned_data["on"])
            context["checked"] = form.cleaned_data.get("exclude") or []
        return render(request, "web/dunning/run.html", context, status=400)
    actor = _actor(request)
    with transaction.atomic():  # the two phases of the CLI, all or nothing
        run = propose_run(as_of=form.cleaned_data["on"], actor=actor, project_code=project.code)
        for unit in form.cleaned_data["exclude"]:
            exclude_from_run(
                run_id=run.pk, unit_code=unit, reason=form.cleaned_data["reason"], actor=actor
            )
        run = execute_run(run_id=run.pk, actor=actor)
    messages.success(
        request,
        _("已執行 %(project)s %(on)s 的催繳：發出 %(count)d 項") % {
            "project": project.code, "on": run.as_of.isoformat(), "count": run.notices_created,
        },
    )  # fmt: skip
    return redirect("dunning-result", run_id=run.pk)


@login_required
@require_GET
@shows_errors
def dunning_result(request, run_id: int):
    """What an executed run did: counts per action, each line's outcome, the print link."""
    run = get_run(run_id)
    if run.project_id is None:
        if not request.user.is_superuser:
            raise Http404(str(run_id))  # a CLI run over every project
    else:
        visible_project(request.user, run.project.code)
    lines = list(
        run.lines.select_related("account__unit", "step").order_by(
            "step__track", "step__position", "account__unit__code", "id"
        )
    )
    issued = list(
        Notice.objects.filter(run=run)
        .values("action")
        .annotate(count=Count("id"), total=Sum("total"))
        .order_by("action")
    )
    labels = dict(Action.choices)
    for row in issued:
        row["label"] = labels.get(row["action"], row["action"])
        row["total"] = row["total"] or Decimal(0)
    printable = Notice.objects.filter(
        run=run, action__in=[Action.NOTICE, Action.POSTING, Action.LAWYER_LETTER]
    ).exists()
    pdf_url = None
    if printable and run.project_id:
        pdf_url = f"{reverse('notices-pdf')}?project={run.project.code}&on={run.as_of.isoformat()}"
    context = {
        "run": run,
        "issued": issued,
        "excluded": sum(1 for ln in lines if ln.excluded),
        "outcomes": _outcomes(lines),
        "page": page_of(request, lines),
        "pdf_url": pdf_url,
        "executed": run.status == DunningRun.Status.EXECUTED,
    }
    return render(request, "web/dunning/result.html", context)


def outcome_text(line) -> str:
    """A line's outcome as the service records it (English), said in the UI language."""
    if line.excluded:
        return _("已排除：%(reason)s") % {"reason": line.exclude_reason}
    text = line.outcome or ""
    for prefix, label in (
        ("paused: ", _("暫停：")),
        ("changed since proposal: ", _("建議後已變更：")),
    ):
        if text.startswith(prefix):
            return label + text[len(prefix) :]
    return {"issued": _("已發出"), "nothing due any more": _("已無須催繳"), "": "-"}.get(text, text)


def _outcomes(lines) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        line.outcome_text = outcome_text(line)
        counts[_("已排除") if line.excluded else line.outcome_text] += 1
    return sorted(counts.items())


@login_required
@require_GET
@shows_errors
def notices_pdf(request):
    """The day's notices of a project as one A4 PDF (`wuye notices pdf`), streamed from a
    temporary file that is gone once the response is sent."""
    code = request.GET.get("project") or ""
    if not code:
        raise Http404("project")
    project = visible_project(request.user, code)
    on = as_of(request)
    name = f"notices-{project.code}-{on.isoformat()}.pdf"
    work = Path(tempfile.mkdtemp(prefix="wuye-notices-"))
    try:
        render_notices_pdf(as_of=on, out=work / name, project_code=project.code)
        # open, then remove: the open file stays readable until the response closes it
        handle = (work / name).open("rb")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")


urlpatterns = [
    path("dunning/", dunning_run, name="dunning-run"),
    path("dunning/runs/<int:run_id>/", dunning_result, name="dunning-result"),
    path("dunning/notices.pdf", notices_pdf, name="notices-pdf"),
]
