"""`wuye dunning …` and `wuye notices …` (rules E2, E3, F1, G1): thin handlers over
wuye.dunning.services and wuye.dunning.notices."""

from __future__ import annotations


def register(group, command) -> None:
    dunning = group("dunning", "dunning runs (催繳, rules E2, G1): propose, trim, execute")
    p = command(dunning, "propose", _propose, "store and print what a run for a date would do")
    p.add_argument("--as-of", dest="as_of", help="run date (default today)")
    p.add_argument("--project", help="project code (default: every project)")
    p = command(dunning, "show", _show, "print a stored proposal or executed run")
    p.add_argument("proposal")
    p = command(dunning, "exclude", _exclude, "take an account out of a proposal, with a reason")
    p.add_argument("proposal")
    p.add_argument("--account", required=True, metavar="UNIT", help="unit code (or account code)")
    p.add_argument("--reason", required=True)
    p = command(dunning, "execute", _execute, "carry out a proposal (what still holds)")
    p.add_argument("proposal")
    p = command(dunning, "run", _run, "propose and execute in one (for the scheduler)")
    p.add_argument("--as-of", dest="as_of", help="run date (default today)")
    p.add_argument("--project", help="project code (default: every project)")
    p.add_argument("--dry-run", action="store_true", help="show the proposal, write nothing")
    p = command(dunning, "pause", _pause, "pause dunning for a project, segment, account or bill")
    p.add_argument("--scope", required=True, choices=["project", "segment", "account", "bill"])
    p.add_argument("--project", required=True)
    p.add_argument("--segment")
    p.add_argument("--unit")
    p.add_argument("--bill")
    p.add_argument("--reason", required=True)
    p.add_argument("--from", dest="from_", help="first day (default today)")
    p.add_argument("--until", help="last day (default: until lifted)")
    p = command(dunning, "escalations", _escalations, "open escalations (G1)")
    p.add_argument("--project")
    p = command(dunning, "close-escalation", _close_escalation, "close an escalation (G1)")
    p.add_argument("number")
    p.add_argument("--note", required=True, help="what was done")
    p.add_argument("--on", help="date (default today)")
    command(dunning, "policies", _policies, "the dunning policies and their steps")

    notices = group("notices", "催繳通知書: hand-over, delivery, EMS/courier (E2, E3)")
    p = command(notices, "list", _list, "notices issued on a date")
    p.add_argument("--as-of", dest="as_of", help="issue date (default today)")
    p.add_argument("--project")
    p = command(notices, "show", _notice_show, "one notice with its items and contacts")
    p.add_argument("number")
    p = command(notices, "handover", _handover, "the assistant signs for the issued notices")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--by", required=True, help="the assistant who signs")
    p.add_argument("--project")
    p = command(notices, "deliver", _deliver, "record a delivery attempt (signed or failed)")
    p.add_argument("number")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--signed-by", dest="signed_by", help="the signer's name")
    p.add_argument("--relation", default="", help="the signer's relation to the client (X2)")
    p.add_argument("--failed", help="nobody_present, contact_absent, refused or wrong_address")
    p.add_argument("--note", default="")
    p = command(notices, "post", _post, "record sending by EMS/courier (E3)")
    p.add_argument("number")
    p.add_argument("--carrier", required=True)
    p.add_argument("--tracking", required=True)
    p.add_argument("--on", help="posting date (default today)")
    p = command(notices, "posting", _posting, "record a door/stairwell posting (R3)")
    p.add_argument("number")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--place", required=True, help="where it was posted")
    p.add_argument("--photo", required=True, help="the photo's reference")
    p = command(notices, "courier-delivered", _courier_delivered, "the carrier's delivery date")
    p.add_argument("number")
    p.add_argument("--on", help="delivery date (default today)")
    p = command(notices, "deliveries", _deliveries, "notices to deliver (the assistant's list)")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--project")


def _line_rows(lines) -> list[dict]:
    return [
        {
            "account": line.account.code,
            "unit": line.account.unit.code,
            "step": line.step.code,
            "level": line.step.position,
            "action": line.step.action,
            "arrears": line.arrears,
            "oldest_due": line.oldest_due,
            "days_overdue": line.days_overdue,
            "excluded": line.excluded,
            "exclude_reason": line.exclude_reason or None,
            "outcome": line.outcome or None,
        }
        for line in lines
    ]


def _run_data(run, lines) -> tuple[dict, str]:
    from wuye.output import table

    rows = _line_rows(lines)
    data = {
        "proposal": run.pk,
        "as_of": run.as_of,
        "project": run.project.code if run.project_id else None,
        "status": run.status,
        "lines": rows,
        "notices_created": run.notices_created,
        "episodes_closed": run.episodes_closed,
    }
    text = table(
        ["unit", "step", "arrears", "oldest due", "days", "excluded / outcome"],
        [
            [r["unit"], r["step"], r["arrears"], r["oldest_due"], r["days_overdue"],
             r["exclude_reason"] or r["outcome"] or ""]
            for r in rows
        ],
        right={2, 4},
    )  # fmt: skip
    head = (
        f"proposal {run.pk} for {run.as_of}: {run.status}, {len(rows)} accounts"
        f", {sum(1 for r in rows if r['excluded'])} excluded"
    )
    if run.status == "executed":
        head += f"; {run.notices_created} notices issued, {run.episodes_closed} episodes closed"
    return data, f"{head}\n{text}" if rows else head


def _lines(run):
    return list(
        run.lines.select_related("account__unit", "step").order_by("account__unit__code", "id")
    )


def _propose(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dunning.services import propose_run

    run = propose_run(as_of=_date(args, "as_of"), actor=_actor(args), project_code=args.project)
    return _emit(args, *_run_data(run, _lines(run)))


def _show(args) -> int:
    from wuye.cli import _emit
    from wuye.dunning.services import get_run

    run = get_run(args.proposal)
    return _emit(args, *_run_data(run, _lines(run)))


def _exclude(args) -> int:
    from wuye.cli import _actor, _emit
    from wuye.dunning.services import exclude_from_run

    count = exclude_from_run(
        run_id=args.proposal, unit_code=args.account, reason=args.reason, actor=_actor(args)
    )
    data = {"proposal": args.proposal, "account": args.account, "excluded": count}
    return _emit(args, data, f"excluded {args.account} from proposal {args.proposal}")


def _execute(args) -> int:
    from wuye.cli import _actor, _emit
    from wuye.dunning.services import execute_run

    run = execute_run(run_id=args.proposal, actor=_actor(args))
    return _emit(args, *_run_data(run, _lines(run)))


def _run(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dunning.services import run_dunning

    run = run_dunning(
        as_of=_date(args, "as_of"), actor=_actor(args), project_code=args.project,
        dry_run=args.dry_run,
    )  # fmt: skip
    lines = run._dry_lines if args.dry_run else _lines(run)
    data, text = _run_data(run, lines)
    if args.dry_run:
        data["dry_run"] = True
        data["proposal"] = None
        text = "dry run, nothing written: " + text
    return _emit(args, data, text)


def _pause(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dates import parse_date
    from wuye.dunning.services import pause_dunning

    exclusion = pause_dunning(
        scope=args.scope, project_code=args.project, reason=args.reason,
        starts_on=_date(args, "from_"), actor=_actor(args),
        ends_on=parse_date(args.until, field="--until") if args.until else None,
        segment=args.segment or "", unit_code=args.unit, bill_number=args.bill,
    )  # fmt: skip
    data = {
        "id": exclusion.pk, "scope": exclusion.scope, "from": exclusion.starts_on,
        "until": exclusion.ends_on, "reason": exclusion.reason,
    }  # fmt: skip
    return _emit(args, data, f"dunning paused ({exclusion.scope}) from {exclusion.starts_on}")


def _notice_dict(n) -> dict:
    return {
        "number": n.number,
        "unit": n.account.unit.code,
        "account": n.account.code,
        "level": n.level,
        "step": n.step.name,
        "action": n.action,
        "issued_on": n.issued_on,
        "status": n.status,
        "principal": n.principal,
        "late_fee": n.late_fee,
        "total": n.total,
        "pay_by": n.pay_by,
        "handed_over_on": n.handed_over_on,
        "delivered_on": n.delivered_on,
        "signer": n.signer or None,
        "signer_relation": n.signer_relation or None,
        "posted_on": n.posted_on,
        "carrier": n.carrier or None,
        "tracking_number": n.tracking_number or None,
        "courier_delivered_on": n.courier_delivered_on,
        "replaces": n.replaces.number if n.replaces_id else None,
        "ended_on": n.ended_on,
        "end_reason": n.end_reason or None,
    }


def _notice_table(rows: list[dict]) -> str:
    from wuye.output import table

    return table(
        ["number", "unit", "step", "issued", "status", "total", "pay by"],
        [[r["number"], r["unit"], r["step"], r["issued_on"], r["status"], r["total"],
          r["pay_by"] or ""] for r in rows],
        right={5},
    )  # fmt: skip


def _notices_query():
    from wuye.dunning.models import Notice

    return Notice.objects.select_related("account__unit", "step", "replaces").order_by("number")


def _escalations(args) -> int:
    from wuye.cli import _emit
    from wuye.dunning.models import Action, Notice

    rows = _notices_query().filter(action=Action.ESCALATION, status=Notice.Status.OPEN)
    if args.project:
        rows = rows.filter(project__code=args.project)
    data = [_notice_dict(n) | {"role": n.step.role} for n in rows]
    return _emit(args, {"escalations": data}, _notice_table(data))


def _close_escalation(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dunning.services import close_escalation

    notice = close_escalation(
        number=args.number, on=_date(args, "on"), note=args.note, actor=_actor(args)
    )
    return _emit(args, _notice_dict(notice), f"escalation {notice.number} closed")


def _policies(args) -> int:
    from wuye.cli import _emit
    from wuye.dunning.models import DunningPolicy

    data, lines = [], []
    for policy in DunningPolicy.objects.prefetch_related("steps").order_by("code"):
        steps = [
            {
                "position": s.position,
                "code": s.code,
                "name": s.name,
                "action": s.action,
                "role": s.role,
                "template": s.template or None,
                "days_overdue": s.days_overdue,
                "gap_days": s.gap_days,
                "min_arrears": s.min_arrears,
                "min_age_days": s.min_age_days,
                "without_result": s.without_result,
                "repeat_every_days": s.repeat_every_days,
            }
            for s in policy.steps.all()
        ]
        data.append({"code": policy.code, "name": policy.name, "segments": policy.segments,
                     "min_amount": policy.min_amount, "steps": steps})  # fmt: skip
        lines.append(f"{policy.code} {policy.name} (segments: {policy.segments or '-'}, "
                     f"minimum {policy.min_amount})")  # fmt: skip
        for s in steps:
            lines.append(
                f"  {s['position']}. {s['name']} [{s['action']}] ≥{s['days_overdue']} days "
                f"overdue, {s['gap_days']} days after the previous step — {s['role']}"
            )
    return _emit(args, {"policies": data}, "\n".join(lines))


def _list(args) -> int:
    from wuye.cli import _date, _emit

    as_of = _date(args, "as_of")
    rows = _notices_query().filter(issued_on=as_of)
    if args.project:
        rows = rows.filter(project__code=args.project)
    data = [_notice_dict(n) for n in rows]
    return _emit(args, {"as_of": as_of, "notices": data}, _notice_table(data))


def _notice_show(args) -> int:
    from wuye.cli import _emit
    from wuye.dunning.notices import get_notice
    from wuye.output import table

    notice = get_notice(args.number)
    notice = _notices_query().get(pk=notice.pk)
    items = [
        {"bill": ln.bill.number, "period": f"{ln.period_start:%Y-%m}", "fee_item": ln.fee_item.name,
         "due_date": ln.due_date, "principal": ln.principal, "late_fee": ln.late_fee}
        for ln in notice.lines.select_related("bill", "fee_item").order_by("period_start", "id")
    ]  # fmt: skip
    contacts = [
        {"on": c.on, "channel": c.channel, "result": c.result, "staff": c.staff,
         "signer": c.signer or None, "relation": c.signer_relation or None, "note": c.note or None}
        for c in notice.contacts.order_by("on", "id")
    ]  # fmt: skip
    data = _notice_dict(notice) | {"items": items, "contacts": contacts}
    text = "\n".join([
        f"{notice.number} {notice.step.name} — {notice.account.unit.code} ({notice.status})",
        table(["bill", "period", "fee item", "due", "principal", "late fee"],
              [list(i.values()) for i in items], right={4, 5}),
        f"total {notice.total}, pay by {notice.pay_by or '-'}",
    ] + [f"{c['on']} {c['channel']} {c['result']} {c['signer'] or ''}" for c in contacts])  # fmt: skip
    return _emit(args, data, text)


def _handover(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dunning.notices import handover_notices

    on = _date(args, "on")
    numbers = handover_notices(on=on, signed_by=args.by, actor=_actor(args),
                               project_code=args.project)  # fmt: skip
    data = {"on": on, "signed_by": args.by, "notices": numbers}
    return _emit(args, data, f"{args.by} signed for {len(numbers)} notices on {on}")


def _deliver(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.dunning.notices import deliver_notice

    on = _date(args, "on")
    staff = getattr(args, "user", None) or _default_staff(args)
    contact = deliver_notice(
        number=args.number, on=on, staff=staff, signed_by=args.signed_by,
        relation=args.relation, failed=args.failed, note=args.note,
    )  # fmt: skip
    data = {"notice": args.number, "on": on, "result": contact.result,
            "signer": contact.signer or None, "relation": contact.signer_relation or None}  # fmt: skip
    return _emit(args, data, f"notice {args.number}: {contact.result} on {on}")


def _default_staff(args) -> str:
    from wuye.cli import _actor

    return _actor(args)


def _post(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dunning.notices import post_notice

    notice = post_notice(number=args.number, carrier=args.carrier, tracking=args.tracking,
                         on=_date(args, "on"), actor=_actor(args))  # fmt: skip
    notice = _notices_query().get(pk=notice.pk)
    return _emit(args, _notice_dict(notice), f"notice {notice.number} posted on {notice.posted_on}")


def _posting(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dunning.notices import record_posting

    notice = record_posting(number=args.number, on=_date(args, "on"), place=args.place,
                            photo_ref=args.photo, staff=_actor(args))  # fmt: skip
    notice = _notices_query().get(pk=notice.pk)
    data = _notice_dict(notice) | {"place": notice.posting_place, "photo": notice.photo_ref}
    return _emit(args, data, f"notice {notice.number} posted at {notice.posting_place}")


def _courier_delivered(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dunning.notices import record_notice_courier_delivery

    notice = record_notice_courier_delivery(number=args.number, on=_date(args, "on"),
                                            actor=_actor(args))  # fmt: skip
    notice = _notices_query().get(pk=notice.pk)
    return _emit(args, _notice_dict(notice),
                 f"notice {notice.number} delivered by courier on {notice.courier_delivered_on}")  # fmt: skip


def _deliveries(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.dunning.notices import notice_worklist
    from wuye.output import table

    on = _date(args, "on")
    rows = notice_worklist(on=on, project_code=args.project)
    text = table(
        ["notice", "unit", "level", "total", "handed over", "attempts", "last", "flag"],
        [[r["notice"], r["unit"], r["level"], r["total"], r["handed_over_on"], r["attempts"],
          r["last_result"] or "",
          "EMS" if r["send_by_courier"] else ("late" if r["undelivered_end_of_day"] else "")]
         for r in rows],
        right={3, 5},
    )  # fmt: skip
    return _emit(args, {"on": on, "notices": rows}, text)
