"""Clients' personal data on the staff pages, the API and the exports (issue 8;
《個人信息保護法》 art. 6 "minimum necessary", art. 51 "access rights by role";
docs/privacy.md).

A client's phone numbers (the customer's and the contacts') and ID numbers are shown in
full only to the roles whose work needs them on that project; everybody else sees them
masked (`138****5678`, `110101********1234`). Exports of personal data are recorded in
the audit log (wuye.audit): who exported what, when, with which filters.

The decision, per role (RULES.md "Who is who"):

| role | phone | ID number | why |
|---|---|---|---|
| assistant | full | masked | calls, delivers, visits (B1, C1, R2, R4) |
| collector | full | masked | calls and evening rounds (S2a) |
| finance | masked | full | the payer's identity on receipts and invoices; does not call |
| legal | full | full | lawyer letters and payment orders name and reach the debtor (R5) |
| supervisor, manager, project lead | masked | masked | approve and oversee, do not contact |
| administrator | masked | masked | configuration, not clients |
| superuser | full | full | |

The customer table holds no ID number yet (wuye.properties); `mask_id` and the
ID_NUMBER column are ready for when one is imported."""

from __future__ import annotations

import datetime as dt

from wuye.properties.models import Project

PHONE = "phone"
ID_NUMBER = "id_number"

#: role → the personal data it sees in full (the table above)
FULL: dict[str, frozenset[str]] = {
    "assistant": frozenset({PHONE}),
    "collector": frozenset({PHONE}),
    "finance": frozenset({ID_NUMBER}),
    "legal": frozenset({PHONE, ID_NUMBER}),
    "supervisor": frozenset(),
    "manager": frozenset(),
    "project_lead": frozenset(),
    "administrator": frozenset(),
}


def _mask_digits(value: str, *, head: int, tail: int) -> str:
    """Every digit but the first `head` and the last `tail` as '*', the separators kept
    ('020-8888 0001' → '020-**** 0001'); a short number keeps only its last two."""
    digits = sum(ch.isdigit() for ch in value)
    if digits <= head + tail:
        head, tail = 0, min(2, max(digits - 1, 0))
    out, seen = [], 0
    for ch in value:
        if ch.isdigit():
            out.append(ch if seen < head or seen >= digits - tail else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_phone(value: str | None) -> str | None:
    """'13812345678' → '138****5678' (the first 3 and last 4 digits, as banks print them)."""
    if not value:
        return value
    return _mask_digits(value, head=3, tail=4)


def mask_id(value: str | None) -> str | None:
    """'110101199003071234' → '110101********1234': the region code and the last 4 (the
    birth date is hidden); letters (a final X) count as digits here."""
    if not value:
        return value
    chars = [c for c in value if c.isalnum()]
    if len(chars) <= 10:
        keep = 2
        return "*" * (len(value) - keep) + value[-keep:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


class Viewer:
    """What of a client's personal data a user sees in full, per project (one query for
    the user's memberships). `project` is a Project, its id or its code."""

    def __init__(self, user):
        self.superuser = bool(user.is_authenticated and user.is_superuser)
        self.everywhere: set[str] = set()
        self.by_project: dict[int | str, set[str]] = {}
        if user.is_authenticated:
            for project_id, code, role in user.memberships.values_list(
                "project_id", "project__code", "role"
            ):
                if project_id is None:
                    self.everywhere.add(role)
                else:
                    self.by_project.setdefault(project_id, set()).add(role)
                    self.by_project.setdefault(code, set()).add(role)

    def sees(self, kind: str, project: Project | int | str | None) -> bool:
        if self.superuser:
            return True
        key = project.pk if isinstance(project, Project) else project
        roles = self.everywhere | self.by_project.get(key, set())
        return any(kind in FULL.get(role, ()) for role in roles)

    def phone(self, value: str | None, project) -> str | None:
        return value if self.sees(PHONE, project) else mask_phone(value)

    def id_number(self, value: str | None, project) -> str | None:
        return value if self.sees(ID_NUMBER, project) else mask_id(value)


def mask_rows(rows: list[dict], user, *, key: str = "phone", project_key: str = "project"):
    """Mask the phone of each worklist row (a dict with the project's code) in place."""
    viewer = Viewer(user)
    for row in rows:
        if row.get(key):
            row[key] = viewer.phone(row[key], row.get(project_key))
    return rows


def _plain(value):
    """A filter's value as JSON holds it: dates and periods as text."""
    if value is None or isinstance(value, (int, bool)):
        return value
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def record_export(*, actor: str, report: str, filters: dict, rows: int | None = None,
                  personal: bool, out: str = "") -> None:  # fmt: skip
    """Put an export in the audit log (wuye.audit, append-only and hash-chained): who,
    when (the event's time), which report, with which filters, how many rows, and
    whether it holds personal data (names; 《個人信息保護法》 art. 55 records)."""
    from wuye import replica
    from wuye.audit.models import AuditEvent
    from wuye.audit.services import record

    # on the primary, also inside `reports_replica()` (the CLI's export): the event's
    # seal reads the chain's last link, which a lagging replica may not have yet
    token = replica._reading_reports.set(False)
    try:
        record(
            action=AuditEvent.Action.EXPORT,
            table=f"report:{report}",
            object_id=str(filters.get("project") or "all"),
            after={
                "report": report,
                "filters": {key: _plain(value) for key, value in filters.items()},
                "rows": rows,
                "personal_data": personal,
                "out": out,
            },
            actor=actor,
        )
    finally:
        replica._reading_reports.reset(token)
