"""Writes of the reports app: M4 assignments of a responsible collector, and writing the
arrears list to a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from wuye.errors import WuyeError
from wuye.properties.selectors import account_for_unit
from wuye.reports.models import Assignment


def assign_collector(
    *, unit_code: str, collector: str, on: dt.date, actor: str, note: str = ""
) -> Assignment:
    """M4: from `on`, `collector` is responsible for the unit's account on that day. A
    later assignment replaces it from its own date; nothing is edited in place."""
    collector = (collector or "").strip()
    if not collector:
        raise WuyeError("collector_required", "collector: give a name", "collector：請填寫姓名")
    account = account_for_unit(unit_code, on=on)
    with transaction.atomic():
        if Assignment.objects.filter(account=account, from_date=on).exists():
            raise WuyeError(
                "already_assigned",
                f"on: {unit_code} already has an assignment from {on}",
                f"on：{unit_code} 於 {on} 已有指派",
            )
        return Assignment.objects.create(
            account=account,
            collector=collector,
            from_date=on,
            assigned_by=actor,
            created_at=timezone.now(),
            note=note,
        )


def export_arrears_list(*, project_code: str, as_of: dt.date, out: str | Path) -> dict:
    """M4: write the monthly arrears list of a project as XLSX or CSV (by the file's
    suffix), streamed in chunks. Returns the row count and the total."""
    from wuye.reports import exports
    from wuye.reports.selectors import arrears_list, get_project

    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise WuyeError(
            "invalid_out",
            f"out: '{out}' must end in .xlsx or .csv",
            f"out：「{out}」須為 .xlsx 或 .csv",
        )
    listing = arrears_list(project=get_project(project_code), as_of=as_of)
    writer = exports.write_xlsx if suffix == ".xlsx" else exports.write_csv
    count, total = writer(listing, path)
    # an export of personal data (owners' names) is audited: who (the CLI's --user or
    # $WUYE_USER), when, what, with which filters (issue 8, docs/privacy.md)
    from wuye.audit.context import current_actor
    from wuye.web.pii import record_export

    record_export(
        actor=current_actor(), report="arrears", rows=count, personal=True, out=str(path),
        filters={"project": project_code, "on": as_of, "format": suffix.lstrip(".")},
    )  # fmt: skip
    return {
        "project": project_code,
        "as_of": as_of,
        "out": str(path),
        "rows": count,
        "total": total,
    }
