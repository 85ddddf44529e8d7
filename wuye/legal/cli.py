"""`wuye legal …` (rules R5, S1, S2b, X3, X6, X7): thin handlers over wuye.legal."""

from __future__ import annotations

STAGES = "proposed, letter_approved, letter_sent, owners_committee, payment_order, lawsuit, closed"


def register(group, command) -> None:
    legal = group("legal", "the legal stage (法律程序, R5/S1/S2b): cases, lawyer letters, 支付令")
    p = command(legal, "propose", _propose, "open legal escalations (R5, S2b) → proposed cases")
    p.add_argument("--as-of", dest="as_of", help="date (default today)")
    p.add_argument("--project", help="project code")
    p = command(
        legal, "batch", _batch, "S1: one lawyer-letter approval for all vacant units ≥ 3,000"
    )
    p.add_argument("--project", required=True, help="project code")
    p.add_argument("--as-of", dest="as_of", help="date (default today)")
    p.add_argument("--segment", default="vacant_investment", help="contract segment")
    p = command(legal, "request", _request, "ask a manager to approve lawyer letters for cases")
    p.add_argument("cases", nargs="+", help="case numbers (proposed)")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--reason", default="")
    p = command(legal, "cases", _cases, "legal cases")
    p.add_argument("--stage", help=STAGES)
    p.add_argument("--project", help="project code")
    p = command(legal, "show", _show, "a case: stage, claim with LPR figure (X6), evidence (X3)")
    p.add_argument("case")
    p.add_argument("--as-of", dest="as_of", help="date of the claim (default today)")
    p = command(legal, "advance", _advance, "move a case to its next stage")
    p.add_argument("case")
    p.add_argument("--to", required=True, help=STAGES)
    p.add_argument("--on", required=True, help="date of the change")
    p.add_argument("--note", default="", help="what happened (closed: the outcome)")
    p.add_argument("--tracking", default="", help="letter_sent: the EMS tracking number")
    p.add_argument("--carrier", default="EMS")
    p = command(legal, "letter-delivered", _letter_delivered, "X2: the letter's proven delivery")
    p.add_argument("case")
    p.add_argument("--on", required=True, help="the carrier's delivery date")
    p = command(legal, "unserviceable", _unserviceable, "X3: the owner cannot be served")
    p.add_argument("case")
    p.add_argument("--reason", required=True)
    p.add_argument("--on", help="date (default today)")
    p = command(legal, "letter", _letter, "the lawyer letter (律師函) as PDF or HTML")
    p.add_argument("case")
    p.add_argument("--out", required=True)
    p.add_argument("--on", help="date of the letter (default today)")
    p.add_argument("--language", help="zh-hant or zh-hans")
    p.add_argument("--html", action="store_true")
    p = command(legal, "payment-order", _payment_order, "X3: data for a 支付令 application")
    p.add_argument("case")
    p.add_argument("--as-of", dest="as_of", help="date (default today)")


def _row(c: dict) -> list:
    return [c["number"], c["unit"], c["customer"], c["stage"], c["stage_on"],
            c["arrears_at_opening"], c["approval"] or ""]  # fmt: skip


_HEADERS = ["case", "unit", "customer", "stage", "since", "arrears", "approval"]


def _propose(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.legal.selectors import case_dict
    from wuye.legal.services import propose_cases
    from wuye.output import table

    as_of = _date(args, "as_of")
    cases = [case_dict(c) for c in propose_cases(as_of=as_of, actor=_actor(args),
                                                 project_code=args.project)]  # fmt: skip
    text = table(_HEADERS, [_row(c) for c in cases], right={5}) if cases else "no new cases"
    return _emit(args, {"as_of": as_of, "cases": cases}, text)


def _batch(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.legal.selectors import case_dict
    from wuye.legal.services import propose_lawyer_letter_batch
    from wuye.output import table

    as_of = _date(args, "as_of")
    result = propose_lawyer_letter_batch(
        as_of=as_of, project_code=args.project, actor=_actor(args), segment=args.segment
    )
    approval = result["approval"]
    cases = [case_dict(c) for c in result["cases"]]
    data = {"approval": approval.number, "amount": approval.amount, "cases": cases}
    text = (
        f"approval {approval.number} (lawyer letters, {len(cases)} accounts, "
        f"{approval.amount}) for a manager\n" + table(_HEADERS, [_row(c) for c in cases], right={5})
    )
    return _emit(args, data, text)


def _request(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.legal.services import request_lawyer_letters

    request = request_lawyer_letters(
        case_numbers=args.cases, on=_date(args, "on"), actor=_actor(args), reason=args.reason
    )
    data = {"approval": request.number, "amount": request.amount, "cases": args.cases}
    return _emit(args, data, f"approval {request.number} requested ({request.amount})")


def _cases(args) -> int:
    from wuye.cli import _emit
    from wuye.legal.models import Stage
    from wuye.legal.selectors import case_dict, list_cases
    from wuye.output import table

    if args.stage and args.stage not in Stage.values:
        from wuye.errors import WuyeError

        raise WuyeError("invalid_stage", f"--stage: '{args.stage}' is not one of {STAGES}")
    cases = [case_dict(c) for c in list_cases(stage=args.stage, project_code=args.project)]
    return _emit(args, {"cases": cases}, table(_HEADERS, [_row(c) for c in cases], right={5}))


def _show(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.legal.selectors import case_dict, get_case

    data = case_dict(get_case(args.case), as_of=_date(args, "as_of"), full=True)
    claim = data["claim"]
    lines = [
        f"{data['number']}  {data['unit']}  {data['customer']}  {data['stage_label']} "
        f"since {data['stage_on']}",
        f"reason: {data['reason']}",
        f"serviceable (X3): {'no — ' + data['unserviceable'] if data['unserviceable'] else 'yes'}",
        f"claim on {claim['as_of']}: principal {claim['principal']:.2f}, late fee "
        f"{claim['late_fee']:.2f} (only with a clause), claimed {claim['claimed']:.2f}; "
        f"LPR figure (X6) {claim['lpr_figure']:.2f}",
    ]
    for line in claim["lines"]:
        lines.append(
            f"  {line['bill']} due {line['due_date']} principal {line['principal']:.2f} "
            f"late fee {line['late_fee']:.2f} LPR {line['lpr_figure']:.2f}"
        )
    ev = data["evidence"]
    lines.append(
        f"evidence: {len(ev['bills'])} bills, {len(ev['notices'])} notices, "
        f"{len(ev['contacts'])} contacts, {len(ev['calls'])} calls, "
        f"{len(ev['promises'])} promises, {len(ev['visits'])} visits"
    )
    for event in data["events"]:
        lines.append(
            f"  {event['on']} {event['from_stage'] or '—'} → {event['to_stage']} "
            f"{event['actor']} {event['note']}"
        )
    return _emit(args, data, "\n".join(lines))


def _advance(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.legal.selectors import case_dict
    from wuye.legal.services import advance_case

    case = advance_case(
        number=args.case, to=args.to, on=_date(args, "on"), actor=_actor(args), note=args.note,
        tracking=args.tracking, carrier=args.carrier,
    )  # fmt: skip
    data = case_dict(case)
    return _emit(args, data, f"{case.number}: {data['stage_label']} on {case.stage_on}")


def _letter_delivered(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.legal.selectors import case_dict
    from wuye.legal.services import record_letter_delivery

    case = record_letter_delivery(number=args.case, on=_date(args, "on"), actor=_actor(args))
    return _emit(args, case_dict(case), f"{case.number}: letter delivered on {args.on}")


def _unserviceable(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.legal.services import mark_unserviceable

    case = mark_unserviceable(
        number=args.case, reason=args.reason, on=_date(args, "on"), actor=_actor(args)
    )
    data = {"case": case.number, "unserviceable": case.unserviceable_reason}
    return _emit(args, data, f"{case.number}: cannot be served ({case.unserviceable_reason})")


def _letter(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.legal.letters import render_letter

    result = render_letter(number=args.case, on=_date(args, "on"), out=args.out,
                           language=args.language, html=args.html)  # fmt: skip
    return _emit(args, result, f"wrote {result['out']}")


def _payment_order(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.legal.selectors import get_case
    from wuye.legal.services import payment_order_data

    data = payment_order_data(get_case(args.case), as_of=_date(args, "as_of"))
    lines = [
        f"支付令 application data, {data['case']} on {data['as_of']}",
        f"creditor: {data['creditor']['name']} ({data['creditor']['project']})",
        f"debtor: {data['debtor']['name']}, {data['debtor']['address']}",
    ]
    lines += [
        f"  {d['bill']} {d['period_start']}–{d['period_end']} due {d['due_date']} "
        f"principal {d['principal']:.2f} late fee {d['late_fee']:.2f}"
        for d in data["debts"]
    ]
    lines.append(
        f"claimed {data['amount_claimed']:.2f} (principal {data['principal']:.2f}, late fee "
        f"{data['late_fee']:.2f}); evidence: {len(data['evidence']['notices'])} notices, "
        f"{len(data['evidence']['contacts'])} contacts"
    )
    return _emit(args, data, "\n".join(lines))
