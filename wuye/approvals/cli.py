"""`wuye approvals …`, `wuye bills report-error` and `wuye notifications …` (rules M1,
S3, L1, D1): thin handlers over wuye.approvals.services, .error_reports, .notifications."""

from __future__ import annotations

from wuye.approvals.models import APPROVER_ROLES, ApprovalRequest, InstalmentPlan, Role


def register(group, command) -> None:
    approvals = group(
        "approvals",
        "approval requests (審批): waivers, reductions, write-offs, goodwill, instalment plans",
    )
    p = command(approvals, "request", _request, "ask for an approval (M1, M2, S3, L1)")
    p.add_argument(
        "kind",
        choices=ApprovalRequest.Kind.values,
        help="waiver (減免違約金), reduction (減收), write_off (核銷), goodwill (非現金補償), "
        "instalment_plan (分期付款)",
    )
    p.add_argument("--unit", required=True)
    p.add_argument("--account", help="account code, if not the unit's payer on that date")
    p.add_argument("--bill", help="the bill (default: every open bill of the account)")
    p.add_argument(
        "--amount",
        help="required, except write_off (default: all that is open) and instalment_plan "
        "(default: the schedule's total)",
    )
    p.add_argument("--given", default="", help="goodwill: what was given (its value: --amount)")
    p.add_argument(
        "--schedule",
        help="instalment_plan: DATE:AMOUNT,… e.g. 2026-05-10:500.00,2026-06-10:500.00",
    )
    p.add_argument("--reason", required=True)
    p.add_argument("--on", help="request date (default today)")
    p = command(approvals, "approve", _approve, "approve a request and post it")
    p.add_argument("number")
    p.add_argument("--role", required=True, choices=APPROVER_ROLES, help="the approver's role")
    p.add_argument("--note", default="")
    p.add_argument("--on", help="approval date, the waiver's booking date (default today)")
    p = command(approvals, "reject", _reject, "reject a request (nothing is posted)")
    p.add_argument("number")
    p.add_argument("--role", required=True, choices=APPROVER_ROLES)
    p.add_argument("--note", required=True, help="why it is rejected")
    p.add_argument("--on", help="date (default today)")
    p = command(approvals, "withdraw", _withdraw, "the requester takes a request back")
    p.add_argument("number")
    p.add_argument("--note", default="")
    p.add_argument("--on", help="date (default today)")
    p = command(approvals, "list", _list, "approval requests")
    p.add_argument("--project", help="project code")
    p.add_argument("--status", choices=ApprovalRequest.Status.values)
    p = command(approvals, "plans", _plans, "instalment plans (S3) and their schedules")
    p.add_argument("--project", help="project code")
    p.add_argument("--status", choices=InstalmentPlan.Status.values)
    p = command(approvals, "check-plans", _check_plans,
                "S3: mark instalment plans kept, in default (after the grace) or completed")  # fmt: skip
    p.add_argument("--as-of", dest="as_of", help="date (default today)")

    bills = group("bills", "issue, void, receive and show bills (帳單)")
    p = command(bills, "report-error", _report_error,
                "report a wrong bill to the supervisor and finance (D1)")  # fmt: skip
    p.add_argument("number")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--reason", help="what is wrong")
    what.add_argument("--no-error", dest="no_error", action="store_true",
                      help="finance found the reported bill right (needs --note)")  # fmt: skip
    p.add_argument("--note", default="", help="why the bill is right (with --no-error)")
    p.add_argument("--on", help="date (default today)")

    notifications = group("notifications", "notifications to roles (supervisor, finance, …)")
    p = command(notifications, "list", _notifications_list, "a role's notifications")
    p.add_argument("--role", required=True, choices=Role.values)
    p.add_argument("--unread", action="store_true")
    p.add_argument("--project", help="project code")
    p = command(notifications, "read", _notifications_read, "mark a notification read")
    p.add_argument("id", type=int)
    p.add_argument("--on", help="date (default today)")


def _approval_text(data: dict) -> str:
    text = (
        f"{data['number']} {data['kind']} {data['amount']} {data['unit']}"
        + (f" bill {data['bill']}" if data["bill"] else "")
        + f": {data['status']}"
    )
    if data["decided_by"]:
        text += f" by {data['decided_by']} ({data['decided_role']}) on {data['decided_on']}"
    if data.get("given"):
        text += f"\n  given: {data['given']}"
    if data.get("plan"):
        plan = data["plan"]
        text += f"\n  plan {plan['status']}: " + ", ".join(
            f"{i['due_on']} {i['amount']}" for i in plan["instalments"]
        )
    for e in data["entries"]:
        text += f"\n  {e['kind']} {e['bill']} {e['fee_item']} {e['component']}: {e['amount']}"
    return text


def _request(args) -> int:
    from wuye.approvals.instalments import parse_schedule
    from wuye.approvals.selectors import approval_dict
    from wuye.approvals.services import request_approval
    from wuye.cli import _account, _actor, _date, _emit
    from wuye.money import parse_amount

    on = _date(args, "on")
    amount = parse_amount(args.amount, field="--amount") if args.amount else None
    schedule = parse_schedule(args.schedule) if args.schedule else None
    request = request_approval(
        kind=args.kind, account=_account(args, on), amount=amount, reason=args.reason, on=on,
        actor=_actor(args), bill_number=args.bill, given=args.given, schedule=schedule,
    )  # fmt: skip
    data = approval_dict(request)
    notified = request.notifications.values_list("recipient_role", flat=True)
    data["notified"] = list(notified)
    return _emit(args, data, _approval_text(data) + f"\nnotified: {', '.join(notified)}")


def _approve(args) -> int:
    from wuye.approvals.selectors import approval_dict
    from wuye.approvals.services import approve
    from wuye.cli import _actor, _date, _emit

    request = approve(
        args.number, on=_date(args, "on"), actor=_actor(args), role=args.role, note=args.note
    )
    data = approval_dict(request)
    return _emit(args, data, _approval_text(data))


def _reject(args) -> int:
    from wuye.approvals.selectors import approval_dict
    from wuye.approvals.services import reject
    from wuye.cli import _actor, _date, _emit

    request = reject(
        args.number, on=_date(args, "on"), actor=_actor(args), role=args.role, note=args.note
    )
    data = approval_dict(request)
    return _emit(args, data, _approval_text(data) + f": {request.decision_note}")


def _withdraw(args) -> int:
    from wuye.approvals.selectors import approval_dict
    from wuye.approvals.services import withdraw
    from wuye.cli import _actor, _date, _emit

    request = withdraw(args.number, on=_date(args, "on"), actor=_actor(args), note=args.note)
    data = approval_dict(request)
    return _emit(args, data, _approval_text(data))


def _list(args) -> int:
    from wuye.approvals.selectors import approval_dict, approvals
    from wuye.cli import _emit
    from wuye.output import table

    rows = [approval_dict(r) for r in approvals(project_code=args.project, status=args.status)]
    text = table(
        ["number", "kind", "unit", "bill", "amount", "requested", "by", "status", "decided by"],
        [[r["number"], r["kind"], r["unit"], r["bill"] or "", r["amount"], r["requested_on"],
          r["requested_by"], r["status"],
          f"{r['decided_by']} ({r['decided_role']})" if r["decided_by"] else ""]
         for r in rows],
        right={4},
    )  # fmt: skip
    return _emit(args, {"approvals": rows}, text if rows else "no approval requests")


def _plans(args) -> int:
    from wuye.approvals.selectors import instalment_plans, plan_dict
    from wuye.cli import _emit
    from wuye.output import table

    rows = [plan_dict(p) for p in instalment_plans(project_code=args.project, status=args.status)]
    text = table(
        ["approval", "unit", "bills", "total", "status", "since", "schedule"],
        [[r["approval"], r["unit"], " ".join(r["bills"]), r["total"], r["status"],
          r["status_on"] or "", ", ".join(f"{i['due_on']} {i['amount']}" for i in r["instalments"])]
         for r in rows],
        right={3},
    )  # fmt: skip
    return _emit(args, {"plans": rows}, text if rows else "no instalment plans")


def _check_plans(args) -> int:
    from wuye.approvals.services import check_instalment_plans
    from wuye.cli import _actor, _date, _emit

    as_of = _date(args, "as_of")
    result = check_instalment_plans(as_of=as_of, actor=_actor(args))
    text = "\n".join(f"{status}: {', '.join(numbers) or '-'}" for status, numbers in result.items())
    return _emit(args, {"as_of": as_of, **result}, text)


def _report_error(args) -> int:
    from wuye.approvals.error_reports import record_no_error, report_bill_error
    from wuye.approvals.selectors import error_report_dict
    from wuye.cli import _actor, _date, _emit

    on = _date(args, "on")
    if args.no_error:
        report = record_no_error(number=args.number, on=on, note=args.note, actor=_actor(args))
        text = f"{args.number}: error report closed, the bill is right: {report.resolution_note}"
    else:
        report = report_bill_error(
            number=args.number, on=on, reason=args.reason, actor=_actor(args)
        )
        text = (
            f"{args.number}: error reported (D1), supervisor and finance notified; correct it "
            f"with: wuye bills void {args.number} --reason … --reissue"
        )
    data = error_report_dict(report)
    data["notified"] = list(report.notifications.values_list("recipient_role", flat=True))
    return _emit(args, data, text)


def _notifications_list(args) -> int:
    from wuye.approvals.selectors import notification_dict, notifications
    from wuye.cli import _emit
    from wuye.output import table

    rows = [
        notification_dict(n)
        for n in notifications(role=args.role, unread=args.unread, project_code=args.project)
    ]
    text = table(
        ["id", "date", "project", "subject", "read"],
        [[r["id"], r["created_on"], r["project"], r["subject"],
          f"{r['read_on']} {r['read_by']}" if r["read_on"] else ""] for r in rows],
        right={0},
    )  # fmt: skip
    return _emit(args, {"role": args.role, "notifications": rows}, text if rows else "none")


def _notifications_read(args) -> int:
    from wuye.approvals.notifications import mark_read
    from wuye.approvals.selectors import notification_dict
    from wuye.cli import _actor, _date, _emit

    n = mark_read(args.id, on=_date(args, "on"), actor=_actor(args))
    data = notification_dict(n)
    return _emit(args, data, f"{n.pk}: {n.subject}\n{n.body}\nread {n.read_on} by {n.read_by}")
