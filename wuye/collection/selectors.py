"""Reads for collection: the caller's list (R2), the visit sheet (R4), promises and the
FAQ. Lists are a fixed number of queries for all their rows, none per row."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery

from wuye.billing.models import Contract
from wuye.collection.limits import hold_reason
from wuye.collection.models import (
    AutoDebit,
    AutoDebitEvent,
    Call,
    CallOutcome,
    FaqEntry,
    Promise,
    Reason,
    Visit,
)
from wuye.collection.services import (
    HALF_FEN,
    parse_reason,
    promises_with_payments,
)
from wuye.dunning.models import Action, Contact, Notice
from wuye.dunning.selectors import arrears_by_account
from wuye.errors import NotFound, WuyeError
from wuye.ledger.statements import account_statement
from wuye.money import ZERO
from wuye.properties.models import Account, Project
from wuye.properties.selectors import account_for_unit

#: call outcomes that heard the owner: only these tell the reason for the arrears
HEARD = [CallOutcome.REACHED, CallOutcome.REFUSED]


def _project(project_code: str | None) -> Project | None:
    if not project_code:
        return None
    project = Project.objects.filter(code=project_code).first()
    if project is None:
        raise NotFound("project", project_code)
    return project


def broken_promises(*, on: dt.date):
    """R2: per account, promises broken before `on` (the promised date passed without
    the amount paid) with no call to the account since then: marked broken by
    `check_promises`, or still open but already short (the list is right even before
    the check has run)."""
    evaluated = promises_with_payments(
        Promise.objects.filter(made_on__lte=on, promised_on__lt=on), as_of=on
    )
    called_since = Call.objects.filter(
        account_id=OuterRef("account_id"), on__gt=OuterRef("promised_on"), on__lte=on
    )
    return evaluated.filter(
        Q(status=Promise.Status.BROKEN)
        | Q(status=Promise.Status.OPEN, paid__lt=F("amount") - HALF_FEN)
    ).filter(~Exists(called_since))


def _last_contacts(account_ids: list[int], on: dt.date) -> dict[int, Contact]:
    result: dict[int, Contact] = {}
    for contact in (
        Contact.objects.filter(account_id__in=account_ids, on__lte=on)
        .select_related("notice")
        .order_by("account_id", "-on", "-id")
    ):
        result.setdefault(contact.account_id, contact)
    return result


def latest_reasons(account_ids: list[int], on: dt.date) -> dict[int, tuple[str, dt.date]]:
    """The latest reason category heard per account: from calls that reached the owner
    and visits that recorded one."""
    found: dict[int, tuple[str, dt.date, int]] = {}
    calls = Call.objects.filter(account_id__in=account_ids, on__lte=on, outcome__in=HEARD)
    visits = Visit.objects.filter(account_id__in=account_ids, on__lte=on).exclude(reason="")
    for rows in (calls, visits):
        for account_id, reason, day, contact_id in rows.values_list(
            "account_id", "reason", "on", "contact_id"
        ):
            known = found.get(account_id)
            if known is None or (day, contact_id) > (known[1], known[2]):
                found[account_id] = (reason, day, contact_id)
    return {k: (v[0], v[1]) for k, v in found.items()}


def _promise_dict(p: Promise) -> dict:
    return {
        "made_on": p.made_on,
        "promised_on": p.promised_on,
        "amount": p.amount,
        "status": p.status,
        "settled_on": p.settled_on,
        "staff": p.call.staff,
    }


def _contact_dict(c: Contact | None) -> dict | None:
    if c is None:
        return None
    return {
        "on": c.on,
        "channel": c.channel,
        "result": c.result,
        "staff": c.staff,
        "notice": c.notice.number if c.notice_id else None,
        "note": c.note or None,
    }


def call_worklist(
    *, on: dt.date, project_code: str | None = None, staff: str | None = None,
    at: dt.time | None = None, projects=None, account_ids=None,
) -> list[dict]:  # fmt: skip
    """R2: the caller's list on `on`: open call tasks from the dunning engine, and the
    accounts whose promise to pay broke before `on` with no call since (back on the list
    the day after the promised date). A row is `held` (with the reason) in the quiet hours
    at local time `at` and once the account had `max_calls_per_week` calls in 7 days. `staff` narrows it to the tasks that person signed
    for (or nobody yet) and the promises that person took. Each row has the account's
    arrears, its last contact, the latest reason category and its promise history."""
    lines = _call_lines(
        on=on, project_code=project_code, staff=staff, at=at, projects=projects,
        account_ids=account_ids,
    )  # fmt: skip
    return _call_rows(lines, on=on)


def call_worklist_slice(
    *, on: dt.date, start: int, stop: int, at: dt.time | None = None,
    project_code: str | None = None, projects=None, by_project: bool = False,
) -> tuple[int, list[dict]]:  # fmt: skip
    """R2: how many rows `call_worklist` has, and its rows [start, stop), the details of
    each row (arrears, last contact, reasons, promises, auto-debit) read for those rows
    only — the API's day's tasks at 100,000 units (issue 6). `by_project`: the rows of
    one project after another (by code), each project's in the list's own order."""
    lines = _call_lines(on=on, project_code=project_code, at=at, projects=projects)
    if by_project:
        lines.sort(key=lambda line: line.project)  # stable: each project's order stays
    return len(lines), _call_rows(lines[start:stop], on=on)


#: up to this many accounts, `_call_lines` reads them by their ids
SHORT_LIST = 1000


@dataclass
class _CallLine:
    """One account on the caller's list before its details are read: what puts it on
    the list, and what orders it (held last, then project and unit)."""

    account_id: int
    project_id: int
    project: str
    unit: str
    tasks: list[str] = field(default_factory=list)
    broken_promise: dict | None = None
    held: str | None = None


def _call_lines(
    *, on: dt.date, project_code: str | None = None, staff: str | None = None,
    at: dt.time | None = None, projects=None, account_ids=None,
) -> list[_CallLine]:  # fmt: skip
    """The accounts on the caller's list in the list's order, in a fixed number of
    queries: their tasks and broken promise, project, unit and hold; the arrears only of
    the accounts there for a broken promise alone (one paid up since is left out)."""
    project = _project(project_code)
    tasks = Notice.objects.filter(action=Action.CALL, status=Notice.Status.OPEN, issued_on__lte=on)
    broken = broken_promises(on=on)
    if project is not None:
        tasks = tasks.filter(project=project)
        broken = broken.filter(account__project=project)
    if projects is not None:  # the projects a user may see (issue 6)
        tasks = tasks.filter(project__in=projects)
        broken = broken.filter(account__project__in=projects)
    if account_ids is not None:  # one page of a long list (issue 6)
        tasks = tasks.filter(account_id__in=account_ids)
        broken = broken.filter(account_id__in=account_ids)
    if staff:
        tasks = tasks.filter(Q(handed_over_by="") | Q(handed_over_by=staff))
        broken = broken.filter(call__staff=staff)
    found: dict[int, dict] = {}
    for account_id, number in tasks.order_by("issued_on", "number").values_list(
        "account_id", "number"
    ):
        found.setdefault(account_id, {"tasks": [], "broken_promise": None})["tasks"].append(number)
    for promise in broken.select_related("call").order_by("promised_on", "id"):
        row = found.setdefault(promise.account_id, {"tasks": [], "broken_promise": None})
        row["broken_promise"] = {
            "made_on": promise.made_on,
            "promised_on": promise.promised_on,
            "amount": promise.amount,
            "back_on_list": promise.promised_on + dt.timedelta(days=1),
            "staff": promise.call.staff,
        }
    if not found:
        return []
    # a page's accounts by their ids; a whole list's thousands by the queries that found
    # them, rather than as thousands of parameters
    on_list = (
        Account.objects.filter(pk__in=sorted(found))
        if len(found) <= SHORT_LIST
        else Account.objects.filter(  # one semi-join on the UNION (see web.views.call_accounts)
            pk__in=tasks.order_by()
            .values("account_id")
            .union(broken.order_by().values("account_id"))
        )
    )
    accounts = {
        pk: (project_id, project_code, unit)
        for pk, project_id, project_code, unit in on_list.values_list(
            "pk", "project_id", "project__code", "unit__code"
        )
    }
    promise_only = sorted(pk for pk, row in found.items() if not row["tasks"])
    owed = (
        arrears_by_account(
            as_of=on,
            project_ids=sorted({accounts[pk][0] for pk in promise_only}),
            account_ids=promise_only,
        )
        if promise_only
        else {}
    )
    calls_this_week = dict(  # as `calls_in_week`, for the accounts on the list
        Call.objects.filter(
            account_id__in=on_list.values("pk"), on__gt=on - dt.timedelta(days=7), on__lte=on
        )
        .values("account_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("account_id", "n")
    )
    holds: dict[tuple[int, int], str | None] = {}

    def held(project_id: int, calls: int) -> str | None:
        """hold_reason reads policies: once per project and count, not once per row."""
        if (project_id, calls) not in holds:
            holds[(project_id, calls)] = hold_reason(
                at=at, project_id=project_id, calls_this_week=calls
            )
        return holds[(project_id, calls)]

    lines = []
    for account_id in sorted(found):
        row = found[account_id]
        if not row["tasks"]:
            amount = owed[account_id].arrears if account_id in owed else ZERO
            if amount <= 0:
                continue  # the broken promise was paid up since: nobody to call
        project_id, project_code, unit = accounts[account_id]
        lines.append(
            _CallLine(
                account_id,
                project_id,
                project_code,
                unit,
                row["tasks"],
                row["broken_promise"],
                # quiet hours and the frequency cap hold calls as they hold messages
                held(project_id, calls_this_week.get(account_id, 0)),
            )
        )
    lines.sort(key=lambda line: (line.held is not None, line.project, line.unit))
    return lines


def _call_rows(lines: list[_CallLine], *, on: dt.date) -> list[dict]:
    """The caller's list rows of these accounts, in their order, with the details: the
    arrears, last contact, latest reason, promise history and auto-debit status (one
    query each for all of them)."""
    if not lines:
        return []
    ids = sorted(line.account_id for line in lines)
    accounts = {
        a.pk: a
        for a in Account.objects.filter(pk__in=ids).select_related("unit", "customer", "project")
    }
    arrears = arrears_by_account(
        as_of=on, project_ids=sorted({line.project_id for line in lines}), account_ids=ids
    )
    last = _last_contacts(ids, on)
    reasons = latest_reasons(ids, on)
    auto_debits = auto_debit_statuses(ids, on)
    history: dict[int, list[dict]] = defaultdict(list)
    for p in (
        Promise.objects.filter(account_id__in=ids, made_on__lte=on)
        .select_related("call")
        .order_by("made_on", "id")
    ):
        history[p.account_id].append(_promise_dict(p))
    result = []
    for line in lines:
        account_id, account = line.account_id, accounts[line.account_id]
        owed = arrears.get(account_id)
        reason = reasons.get(account_id)
        result.append({
            "unit": account.unit.code,
            "account": account.code,
            "project": account.project.code,
            "customer": account.customer.name,
            "phone": account.customer.phone or None,
            "tasks": line.tasks,
            "broken_promise": line.broken_promise,
            "arrears": owed.arrears if owed else ZERO,
            "oldest_due": owed.oldest_due if owed else None,
            "last_contact": _contact_dict(last.get(account_id)),
            "reason": reason[0] if reason else None,
            "reason_label": Reason(reason[0]).label if reason else None,
            "promises": history.get(account_id, []),
            "auto_debit": auto_debits.get(account_id),
            "held": line.held,
        })  # fmt: skip
    return result


def faq(*, reason: str | None = None, active_only: bool = True) -> list[FaqEntry]:
    """R4: the prepared answers, per reason category, in their order."""
    rows = FaqEntry.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    if reason:
        rows = rows.filter(reason=parse_reason(reason))
    return list(rows.order_by("reason", "sort_order", "id"))


def list_promises(
    *, status: str | None = None, unit_code: str | None = None, project_code: str | None = None
) -> list[Promise]:
    rows = Promise.objects.select_related("account__unit", "call").order_by("promised_on", "id")
    if status:
        if status not in Promise.Status.values:
            raise WuyeError(
                "invalid_status",
                f"--status: '{status}' is not one of {', '.join(Promise.Status.values)}",
                f"--status：「{status}」無效",
            )
        rows = rows.filter(status=status)
    if unit_code:
        rows = rows.filter(account__unit__code=unit_code)
    project = _project(project_code)
    if project is not None:
        rows = rows.filter(account__project=project)
    return list(rows)


def _visit_account(*, number: str | None, unit_code: str | None, as_of: dt.date):
    if bool(number) == bool(unit_code):
        raise WuyeError(
            "task_or_unit",
            "give either a task NUMBER or --unit, not both",
            "請指定任務編號或 --unit（二選一）",
        )
    if unit_code:
        return account_for_unit(unit_code, on=as_of), None
    task = Notice.objects.select_related("account").filter(number=number).first()
    if task is None:
        raise NotFound("task", number)
    if task.action != Action.VISIT:
        raise WuyeError(
            "not_visit_task",
            f"NUMBER: {number} is not a visit task ({task.action})",
            f"編號：{number} 不是上門任務",
        )
    return task.account, task


def visit_sheet(*, number: str | None = None, unit_code: str | None = None, as_of: dt.date) -> dict:
    """R4: what the visiting staff take along: the account (unit, customer, contacts),
    its statement (open bills, balance, aging), the full contact history (every contact
    row, the calls with their reasons and promises, the notices and tasks, the visits),
    the latest recorded reason category and the prepared answers for it (FAQ)."""
    account, task = _visit_account(number=number, unit_code=unit_code, as_of=as_of)
    account = Account.objects.select_related("unit", "customer", "project").get(pk=account.pk)
    statement = account_statement(account, as_of=as_of)
    customer = account.customer
    contacts = [
        {"name": c.name, "relation": c.relation or None, "phone": c.phone or None,
         "designated": c.is_designated}
        for c in customer.contacts.order_by("-is_designated", "id")
    ]  # fmt: skip
    history = [
        _contact_dict(c)
        for c in Contact.objects.filter(account=account, on__lte=as_of)
        .select_related("notice")
        .order_by("on", "id")
    ]
    promises = {p.call_id: p for p in Promise.objects.filter(account=account, made_on__lte=as_of)}
    calls = [
        {
            "on": c.on,
            "staff": c.staff,
            "reason": c.reason,
            "reason_label": c.get_reason_display(),
            "amount_stated": c.amount_stated,
            "outcome": c.outcome,
            "task": c.task.number if c.task_id else None,
            "note": c.note or None,
            "promise": {
                "promised_on": promises[c.pk].promised_on,
                "amount": promises[c.pk].amount,
                "status": promises[c.pk].status,
                "settled_on": promises[c.pk].settled_on,
            }
            if c.pk in promises
            else None,
        }
        for c in Call.objects.filter(account=account, on__lte=as_of)
        .select_related("task")
        .order_by("on", "id")
    ]
    visits = [
        {
            "on": v.on,
            "staff": v.staff,
            "outcome": v.outcome,
            "reason": v.reason or None,
            "task": v.task.number if v.task_id else None,
            "note": v.note or None,
        }
        for v in Visit.objects.filter(account=account, on__lte=as_of)
        .select_related("task")
        .order_by("on", "id")
    ]
    reason = latest_reasons([account.pk], as_of).get(account.pk)
    answers = faq(reason=reason[0]) if reason else []
    open_bills = [
        {
            "bill": b.number,
            "period": b.period,
            "due_date": b.due_date,
            "open": b.open,
            "days_overdue": b.days_overdue,
            "disputed": b.disputed,
            "limitation_ends": b.limitation_ends,
        }
        for b in statement.bills
        if b.open > 0
    ]
    return {
        "as_of": as_of,
        "task": {"number": task.number, "status": task.status, "issued_on": task.issued_on}
        if task
        else None,
        "account": {
            "code": account.code,
            "unit": account.unit.code,
            "project": account.project.code,
            "area": account.unit.area,
            "customer": customer.name,
            "customer_code": customer.code,
            "phone": customer.phone or None,
            "mailing_address": customer.mailing_address or None,
            "contacts": contacts,
        },
        "statement": {
            "open_bills": open_bills,
            "balance": statement.balance,
            "credit": statement.credit,
            "aging": statement.aging,
        },
        "notices": [
            {
                "number": n.number,
                "step": n.step,
                "action": n.action,
                "issued_on": n.issued_on,
                "status": n.status,
                "total": n.total,
                "delivered_on": n.delivered_on,
                "posted_on": n.posted_on,
            }
            for n in statement.notices
        ],
        "history": history,
        "calls": calls,
        "promises": [
            {
                "made_on": p.made_on,
                "promised_on": p.promised_on,
                "amount": p.amount,
                "status": p.status,
                "settled_on": p.settled_on,
            }
            for p in sorted(promises.values(), key=lambda p: (p.made_on, p.pk))
        ],
        "visits": visits,
        "reason": reason[0] if reason else None,
        "reason_label": Reason(reason[0]).label if reason else None,
        "reason_on": reason[1] if reason else None,
        "answers": [{"question": f.question, "answer": f.answer} for f in answers],
        "auto_debit": auto_debit_statuses([account.pk], as_of).get(account.pk),
    }


# --- S1: bank auto-debit sign-up (銀行托收) ----------------------------------------------


def mask_bank_account(number: str | None) -> str | None:
    """Personal data: a bank account number shows only its last 4 digits (not even its
    length)."""
    if not number:
        return None
    return "****" + number[-4:] if len(number) > 4 else "****"


def auto_debit_dict(auto_debit: AutoDebit) -> dict:
    """A sign-up for lists and the CLI: the bank account masked."""
    return {
        "unit": auto_debit.account.unit.code,
        "account": auto_debit.account.code,
        "status": auto_debit.status,
        "status_label": AutoDebit.Status(auto_debit.status).label,
        "status_on": auto_debit.status_on,
        "proposed_on": auto_debit.proposed_on,
        "proposed_by": auto_debit.proposed_by,
        "bank_name": auto_debit.bank_name or None,
        "account_holder": auto_debit.account_holder or None,
        "bank_account": mask_bank_account(auto_debit.bank_account),
        "mandate_reference": auto_debit.mandate_reference or None,
        "history": [
            {"from": e.from_status or None, "to": e.to_status, "on": e.on, "actor": e.actor,
             "note": e.note or None}
            for e in auto_debit.events.order_by("on", "id")
        ],
    }  # fmt: skip


def auto_debit_statuses(account_ids: list[int], on: dt.date) -> dict[int, dict]:
    """S1: per account, the status of its latest auto-debit sign-up on `on` (from the
    history, so an earlier date shows the status then), in one query. Accounts never
    proposed are absent. Bank data shows once signed, the account number masked."""
    result: dict[int, dict] = {}
    events = (
        AutoDebitEvent.objects.filter(auto_debit__account_id__in=account_ids, on__lte=on)
        .order_by("auto_debit__account_id", "-on", "-id")
        .values_list(
            "auto_debit__account_id", "to_status", "on", "auto_debit__bank_name",
            "auto_debit__bank_account", "auto_debit__mandate_reference",
        )
    )  # fmt: skip
    signed = {AutoDebit.Status.SIGNED, AutoDebit.Status.ACTIVE}
    for account_id, status, day, bank, number, mandate in events:
        if account_id in result:
            continue
        shown = status in signed
        result[account_id] = {
            "status": status,
            "label": AutoDebit.Status(status).label,
            "on": day,
            "bank_name": (bank or None) if shown else None,
            "bank_account": mask_bank_account(number) if shown else None,
            "mandate_reference": (mandate or None) if shown else None,
        }
    return result


def _segment_on(as_of: dt.date):
    """Per account (outer row), the segment of its latest contract version in force."""
    return Subquery(
        Contract.objects.filter(account_id=OuterRef("pk"), effective_from__lte=as_of)
        .order_by("-version")
        .values("segment")[:1]
    )


def auto_debit_report(
    *, as_of: dt.date, project_code: str | None = None, segment: str = "vacant_investment"
) -> dict:
    """S1: every account of the segment (vacant investment units) in arrears on `as_of`
    (principal due and open, as E2 counts it), with the status of its auto-debit sign-up
    (none if never proposed), the last call and the counts per status. A fixed number of
    queries for all rows: the segment is a subquery, the rest grouped per query."""
    if segment not in Contract.Segment.values:
        raise WuyeError(
            "invalid_segment",
            f"--segment: '{segment}' is not one of {', '.join(Contract.Segment.values)}",
            f"--segment：「{segment}」無效",
        )
    project = _project(project_code)
    in_segment = Account.objects.annotate(segment_on=_segment_on(as_of)).filter(segment_on=segment)
    if project is not None:
        in_segment = in_segment.filter(project=project)
        project_ids = [project.pk]
    else:
        project_ids = list(Project.objects.values_list("pk", flat=True))
    arrears = arrears_by_account(
        as_of=as_of, project_ids=project_ids, account_ids=in_segment.values("pk")
    )
    ids = sorted(a for a, item in arrears.items() if item.arrears > 0)
    accounts = Account.objects.filter(pk__in=ids).select_related("unit", "customer", "project")
    statuses = auto_debit_statuses(ids, as_of)
    last_calls = dict(
        Call.objects.filter(account_id__in=ids, on__lte=as_of)
        .values("account_id")
        .annotate(last=Max("on"))
        .order_by()
        .values_list("account_id", "last")
    )
    counts = {"none": 0, **{s: 0 for s in AutoDebit.Status.values}}
    rows = []
    for account in accounts:
        status = statuses.get(account.pk)
        counts[status["status"] if status else "none"] += 1
        owed = arrears[account.pk]
        rows.append({
            "unit": account.unit.code,
            "account": account.code,
            "project": account.project.code,
            "customer": account.customer.name,
            "phone": account.customer.phone or None,
            "arrears": owed.arrears,
            "oldest_due": owed.oldest_due,
            "auto_debit": status["status"] if status else None,
            "auto_debit_label": status["label"] if status else "未建議",
            "auto_debit_on": status["on"] if status else None,
            "bank_name": status["bank_name"] if status else None,
            "bank_account": status["bank_account"] if status else None,
            "last_call": last_calls.get(account.pk),
        })  # fmt: skip
    rows.sort(key=lambda r: (r["project"], r["unit"]))
    return {
        "as_of": as_of,
        "project": project.code if project else None,
        "segment": segment,
        "accounts": rows,
        "counts": counts,
    }
