"""Staff pages: the dashboard with charts and the report downloads (issue 6).

Every figure comes from the selectors the command line prints (`wuye reports
collection-rate|recovery|arrears`, `bills delivery-rate`, `bills disputes`, `dunning
escalations`), called per project the user may see, with the page's filters (building,
segment) passed down; nothing is recomputed here. The charts are inline SVG drawn on the
server (wuye.web.charts), each with its figures as a table beneath.

Periods: the month range (`start`–`until`, YYYY-MM) is for the collection rates, the
recovery per collector and the same-day delivery rate; the date `on` is the day the
arrears, disputes and escalations are counted on."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from wuye.billing.delivery import same_day_delivery_rate
from wuye.billing.disputes import open_disputes
from wuye.billing.models import Contract
from wuye.dates import Period, add_months
from wuye.dunning.models import Action, Notice
from wuye.errors import WuyeError
from wuye.money import ZERO, money
from wuye.properties.models import Building
from wuye.properties.selectors import accounts_where
from wuye.replica import reports_replica
from wuye.reports import exports
from wuye.reports.selectors import aging as aging_buckets
from wuye.reports.selectors import arrears_list, collection_rate, recovery_by_collector
from wuye.web import charts
from wuye.web.access import projects_for
from wuye.web.common import now, shows_errors, visible_project
from wuye.web.pii import record_export

DEFAULT_MONTHS = 6
MAX_MONTHS = 24
SHOWN = 50  # disputes and escalations listed under their table (the counts are complete)


class MonthField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return Period.parse(value)
        except WuyeError as error:
            raise forms.ValidationError(error.message_zh) from None


class FilterForm(forms.Form):
    """The filters of the dashboard and the reports: all optional."""

    project = forms.CharField(label=gettext_lazy("項目"), max_length=20, required=False)
    building = forms.CharField(label=gettext_lazy("樓棟"), max_length=20, required=False)
    segment = forms.ChoiceField(
        label=gettext_lazy("客戶類別"),
        required=False,
        choices=[("", gettext_lazy("全部")), *Contract.Segment.choices],
    )
    start = MonthField(label=gettext_lazy("由月份"), required=False)
    until = MonthField(label=gettext_lazy("至月份"), required=False)
    on = forms.DateField(label=gettext_lazy("截至日期"), required=False, input_formats=["%Y-%m-%d"])

    def clean(self):
        data = super().clean()
        on = data.get("on") or now().date()  # the outer edge reads the clock
        until = data.get("until") or Period.of(on)
        start = data.get("start") or Period(add_months(until.start, 1 - DEFAULT_MONTHS))
        if start.start > until.start:
            self.add_error("start", _("起始月份晚於結束月份"))
        elif len(months_between(start, until)) > MAX_MONTHS:
            self.add_error("until", _("最多 %(n)d 個月") % {"n": MAX_MONTHS})
        data.update(on=on, start=start, until=until)
        return data


def months_between(start: Period, until: Period) -> list[Period]:
    months, month = [], start
    while month.start <= until.start and len(months) <= MAX_MONTHS:
        months.append(month)
        month = Period(month.end())
    return months


class Filters:
    """The cleaned filters and the projects they cover (the user's; 404 for a project
    the user may not see)."""

    def __init__(self, request, data: dict):
        self.code = data.get("project") or ""
        if self.code:
            self.projects = [visible_project(request.user, self.code)]
        else:
            self.projects = list(projects_for(request.user))
        self.building = data.get("building") or None
        self.segment = data.get("segment") or None
        self.on: dt.date = data["on"]
        self.start: Period = data["start"]
        self.until: Period = data["until"]
        self.months = months_between(self.start, self.until)
        self.first_day = self.start.start
        self.last_day = self.until.end() - dt.timedelta(days=1)

    @property
    def narrowing(self) -> dict:
        """The keyword arguments every selector takes for building and segment."""
        return {"building": self.building, "segment": self.segment}

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode(
            {
                "project": self.code,
                "building": self.building or "",
                "segment": self.segment or "",
                "start": str(self.start),
                "until": str(self.until),
                "on": self.on.isoformat(),
            }
        )


# --- the figures (the same selectors as the command line) ------------------------------


def collection_rates(filters: Filters) -> list[dict]:
    """收繳率 and 清欠率 per project (its code) and month (`wuye reports collection-rate`)."""
    return [
        collection_rate(project=project, period=month, **filters.narrowing)
        for project in filters.projects
        for month in filters.months
    ]


def aging(filters: Filters) -> dict:
    """Accounts in arrears on `on` and what they owe, by the age of their oldest overdue
    debt (the 賬齡 column of the monthly arrears list, M4; buckets: policy `aging_buckets`)."""
    rows, labels = [], []
    for project in filters.projects:
        buckets = [
            {"project": project, "bucket": b.label, "accounts": b.accounts,
             "late_fee": b.late_fee, "total": b.total}
            for b in aging_buckets(project=project, as_of=filters.on, **filters.narrowing)
        ]  # fmt: skip
        rows += buckets
        labels += [b["bucket"] for b in buckets if b["bucket"] not in labels]
    cells = {(row["project"].pk, row["bucket"]): row for row in rows}
    totals = {}
    for label in labels:  # a project whose policy lacks a bucket shows it empty
        mine = [cells.get((p.pk, label), {"accounts": 0, "total": ZERO}) for p in filters.projects]
        totals[label] = {
            "accounts": sum(c["accounts"] for c in mine),
            "total": sum((c["total"] for c in mine), ZERO),
            "cells": mine,
        }
    return {"rows": rows, "labels": labels, "totals": totals}


def recovery(filters: Filters) -> list[dict]:
    """Arrears recovered per collector and the bonus, over the month range (M4, `wuye
    reports recovery`)."""
    rows = []
    for project in filters.projects:
        data = recovery_by_collector(
            project=project, start=filters.first_day, until=filters.last_day, **filters.narrowing
        )
        rows += [
            {"project": project, "collector": r.collector, "accounts": r.accounts,
             "recovered": r.recovered, "bonus": r.bonus}
            for r in data["collectors"]
        ]  # fmt: skip
    return rows


def delivery(filters: Filters) -> dict:
    """B1: the share of bills delivered on the day they were signed for, per project and
    per assistant, over the month range (`wuye bills delivery-rate`)."""
    projects, assistants = [], []
    for project in filters.projects:
        data = same_day_delivery_rate(
            start=filters.first_day, until=filters.last_day, project_code=project.code,
            **filters.narrowing,
        )  # fmt: skip
        for code, figures in data["projects"].items():
            projects.append({"project": project, "code": code, **figures})
        for name, figures in data["assistants"].items():
            assistants.append({"project": project, "assistant": name, **figures})
    return {"projects": projects, "assistants": assistants}


def disputes(filters: Filters) -> dict:
    """D2: disputes open on `on`, per project with their age (`wuye bills disputes`)."""
    per_project, shown = [], []
    for project in filters.projects:
        rows = open_disputes(as_of=filters.on, project_code=project.code, **filters.narrowing)
        ages = [r["age_days"] for r in rows]
        per_project.append(
            {"project": project, "count": len(rows), "oldest": max(ages, default=None)}
        )
        shown += [{"project": project, **r} for r in rows]
    shown.sort(key=lambda r: -r["age_days"])
    return {"projects": per_project, "rows": shown[:SHOWN], "count": len(shown)}


def escalations(filters: Filters) -> dict:
    """G1: escalations still open (`wuye dunning escalations`), issued by `on`, per
    project with their age."""
    rows = Notice.objects.filter(
        action=Action.ESCALATION,
        status=Notice.Status.OPEN,
        project__in=filters.projects,
        issued_on__lte=filters.on,
    )
    accounts = accounts_where(on=filters.on, **filters.narrowing)
    if accounts is not None:
        rows = rows.filter(account_id__in=accounts)
    rows = list(rows.select_related("project", "account__unit", "step").order_by("issued_on"))
    per_project = []
    for project in filters.projects:
        mine = [n for n in rows if n.project_id == project.pk]
        per_project.append(
            {
                "project": project,
                "count": len(mine),
                "oldest": (filters.on - mine[0].issued_on).days if mine else None,
            }
        )
    for n in rows:
        n.age_days = (filters.on - n.issued_on).days
    return {"projects": per_project, "rows": rows[:SHOWN], "count": len(rows)}


# --- the charts ------------------------------------------------------------------------


def _charts(filters: Filters, figures: dict) -> dict:
    several = len(filters.projects) > 1
    months = [str(m) for m in filters.months]
    by_cell = {(r["project"], r["month"]): r for r in figures["rates"]}
    rate_chart = charts.line_chart(
        title=_("收繳率（按月及項目）"),
        labels=months,
        series=[
            charts.Series(p.code, [by_cell[(p.code, m)]["current_rate"] for m in months])
            for p in filters.projects
        ],
        fmt=charts.percent,
        unit="%",
        y_label="%",
    )
    labels = figures["aging"]["labels"]
    aging_chart = charts.bar_chart(
        title=_("欠費賬齡（%(day)s）") % {"day": filters.on.isoformat()},
        labels=labels,
        series=[
            charts.Series(
                _("欠費金額"), [figures["aging"]["totals"][label]["total"] for label in labels]
            )
        ],
        y_label=_("元"),
    )

    def who(row: dict, name: str) -> str:
        name = name or _("未指派")
        return f"{row['project'].code} {name}" if several else name

    recovery_chart = charts.bar_chart(
        title=_("回收欠費（按收款員）"),
        labels=[who(r, r["collector"]) for r in figures["recovery"]],
        series=[charts.Series(_("回收欠費"), [r["recovered"] for r in figures["recovery"]])],
        y_label=_("元"),
    )
    delivered = figures["delivery"]["assistants"]
    delivery_chart = charts.bar_chart(
        title=_("當日派送率（按客服助理）"),
        labels=[who(r, r["assistant"]) for r in delivered],
        series=[charts.Series(_("當日派送率"), [_rate(r["rate"]) for r in delivered])],
        fmt=charts.percent,
        unit="%",
        y_label="%",
    )
    open_chart = charts.bar_chart(
        title=_("未解決異議及未結上報（%(day)s）") % {"day": filters.on.isoformat()},
        labels=[p.code for p in filters.projects],
        series=[
            charts.Series(_("未解決異議"), [r["count"] for r in figures["disputes"]["projects"]]),
            charts.Series(_("未結上報"), [r["count"] for r in figures["escalations"]["projects"]]),
        ],
        fmt=charts.count,
    )
    return {
        "rates": rate_chart,
        "aging": aging_chart,
        "recovery": recovery_chart,
        "delivery": delivery_chart,
        "open": open_chart,
    }


def _rate(text: str) -> Decimal | None:
    """The selector's '93.3%' as the number it states ('-': no bills)."""
    return Decimal(text.rstrip("%")) if text and text != "-" else None


def dashboard_figures(filters: Filters) -> dict:
    return {
        "rates": collection_rates(filters),
        "aging": aging(filters),
        "recovery": recovery(filters),
        "delivery": delivery(filters),
        "disputes": disputes(filters),
        "escalations": escalations(filters),
    }


def _buildings(projects) -> list[str]:
    return list(
        Building.objects.filter(project__in=projects)
        .values_list("code", flat=True)
        .distinct()
        .order_by("code")
    )


@login_required
@require_GET
@shows_errors
def dashboard(request):
    """Collection rates, arrears by age, recovery per collector, same-day delivery, open
    disputes and escalations, for the projects the user may see."""
    form = FilterForm(request.GET)
    visible = projects_for(request.user)
    context = {"form": form, "projects": visible, "buildings": _buildings(visible),
               "segments": Contract.Segment.choices}  # fmt: skip
    if not form.is_valid():
        return render(request, "web/dashboards/dashboard.html", context, status=400)
    filters = Filters(request, form.cleaned_data)
    with reports_replica():
        figures = dashboard_figures(filters)
    context |= {
        "filters": filters,
        "figures": figures,
        "charts": _charts(filters, figures),
        "open_rows": list(
            zip(figures["disputes"]["projects"], figures["escalations"]["projects"], strict=True)
        ),
        "recovered": money(sum((r["recovered"] for r in figures["recovery"]), ZERO)),
        "bonus": money(sum((r["bonus"] for r in figures["recovery"]), ZERO)),
    }
    return render(request, "web/dashboards/dashboard.html", context)


# --- the report downloads --------------------------------------------------------------

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
REPORTS = {
    "arrears": gettext_lazy("每月業主欠費清單"),
    "aging": gettext_lazy("欠費賬齡"),
    "collection-rate": gettext_lazy("收繳率"),
}


#: the reports that hold personal data (the owners' names): every download is audited,
#: these are marked so (wuye.web.pii.record_export)
PERSONAL_REPORTS = {"arrears"}


class ReportForm(FilterForm):
    report = forms.ChoiceField(label=gettext_lazy("報表"), choices=list(REPORTS.items()))
    format = forms.ChoiceField(
        label=gettext_lazy("格式"), choices=[("xlsx", "XLSX"), ("csv", "CSV")], initial="xlsx"
    )


def _write_table(target: Path, kind: str, title: str, headers: list[str], rows) -> None:
    """A small table as XLSX or CSV, written as the arrears list is (wuye.reports.exports:
    amounts with 2 places, dates as dates, CSV in UTF-8 with a BOM for Excel)."""
    if kind == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(headers)
        for row in rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, Decimal):
                    cell.number_format = exports.AMOUNT_FORMAT
                cells.append(cell)
            sheet.append(cells)
        workbook.save(target)
        return
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else f"{v:.2f}" if isinstance(v, Decimal)
                             else str(v) for v in row])  # fmt: skip


def _aging_rows(filters: Filters):
    for row in aging(filters)["rows"]:
        yield [row["project"].code, row["bucket"], row["accounts"], row["late_fee"], row["total"]]


def _rate_rows(filters: Filters):
    for r in collection_rates(filters):
        yield [
            r["project"], r["month"], r["billed"], r["collected"], r["current_rate"],
            r["arrears_at_start"], r["arrears_collected"], r["recovery_rate"],
        ]  # fmt: skip


AGING_HEADERS = ["項目 project", "賬齡 age", "戶數 accounts", "違約金 late fee", "合計 total"]
RATE_HEADERS = [
    "項目 project", "月份 month", "本期應收 billed", "本期已收 collected",
    "收繳率 % current-period rate", "期初欠費 arrears at start", "清欠額 arrears collected",
    "清欠率 % arrears recovery rate",
]  # fmt: skip


def _download(filters: Filters, report: str, kind: str) -> FileResponse:
    """Write the report to a temporary file and stream it; the file is removed at once
    (the open handle keeps it readable until the response is sent)."""
    scope = filters.code or "all"
    if report == "arrears":
        if len(filters.projects) != 1:
            raise WuyeError(
                "project_required",
                "the arrears list is per project: choose one",
                "每月業主欠費清單按項目列出：請選擇項目",
            )
        project = filters.projects[0]
        name = f"arrears-{project.code}-{filters.on.isoformat()}.{kind}"
    elif report == "aging":
        name = f"aging-{scope}-{filters.on.isoformat()}.{kind}"
    else:
        name = f"collection-rate-{scope}-{filters.start}_{filters.until}.{kind}"
    rows = None
    with tempfile.NamedTemporaryFile(prefix="wuye-report-", suffix=f".{kind}") as temporary:
        target = Path(temporary.name)
        if report == "arrears":
            listing = arrears_list(project=project, as_of=filters.on, **filters.narrowing)
            writer = exports.write_xlsx if kind == "xlsx" else exports.write_csv
            rows, _total = writer(listing, target)
        elif report == "aging":
            _write_table(target, kind, f"aging {filters.on}", AGING_HEADERS, _aging_rows(filters))
        else:
            _write_table(target, kind, "collection rate", RATE_HEADERS, _rate_rows(filters))
        handle = target.open("rb")
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=FORMATS[kind])
    response.rows = rows  # for the export's audit event
    return response


@login_required
@require_GET
@shows_errors
def reports(request):
    """The report downloads: the page, or with `report=` the file (`format=xlsx|csv`)."""
    visible = projects_for(request.user)
    context = {"projects": visible, "buildings": _buildings(visible),
               "segments": Contract.Segment.choices, "reports": REPORTS}  # fmt: skip
    if "report" not in request.GET:  # the page, with the dashboard's filters if given
        form = ReportForm(initial={"format": "xlsx", **request.GET.dict()})
        return render(request, "web/dashboards/reports.html", context | {"form": form})
    form = ReportForm(request.GET)
    if not form.is_valid():
        return render(request, "web/dashboards/reports.html", context | {"form": form}, status=400)
    filters = Filters(request, form.cleaned_data)
    report = form.cleaned_data["report"]
    with reports_replica():
        response = _download(filters, report, form.cleaned_data["format"])
    # who exported what, when, with which filters (issue 8, docs/privacy.md)
    record_export(
        actor=request.user.get_username(), report=report, rows=response.rows,
        personal=report in PERSONAL_REPORTS, out=response.filename,
        filters={key: form.cleaned_data.get(key) for key in
                 ("project", "building", "segment", "start", "until", "on", "format")},
    )  # fmt: skip
    return response


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("reports/", reports, name="reports"),
]
