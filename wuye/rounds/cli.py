"""`wuye rounds plan|pay|handover|reconcile|show` (S2a evening rounds): thin handlers
over wuye.rounds.services and selectors."""

from __future__ import annotations

METHODS = ["cash", "wechat", "alipay", "card"]


def register(group, command) -> None:
    rounds = group("rounds", "evening visit rounds 夜間上門收費 (S2a)")
    p = command(rounds, "plan", _plan, "plan a round of a building's accounts in arrears")
    p.add_argument("--project", required=True, help="project code")
    p.add_argument("--building", required=True, help="building code, e.g. B01")
    p.add_argument("--on", help="date of the round (default today)")
    p.add_argument("--collector", required=True, help="the collector from finance")
    p.add_argument("--assistants", default="", help="comma-separated names")
    p.add_argument("--force", action="store_true", help="beyond the rounds-per-month policy")
    p = command(rounds, "pay", _pay, "take a payment on the round; the receipt is issued")
    p.add_argument("round", help="round number")
    p.add_argument("--unit", required=True, help="unit code")
    p.add_argument("--amount", required=True)
    p.add_argument("--method", default="cash", help=", ".join(METHODS) + " (default cash)")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--collector", help="default: the round's collector")
    p = command(rounds, "handover", _handover, "the collector hands the takings to finance")
    p.add_argument("round", help="round number")
    p.add_argument("--cash", required=True, help="cash counted")
    for method in METHODS[1:]:
        p.add_argument(f"--{method}", help=f"total of the {method} slips")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--by", help="who hands over (default: the round's collector)")
    p = command(rounds, "reconcile", _reconcile, "finance reconciles the hand-over")
    p.add_argument("round", help="round number")
    p.add_argument("--on", help="date (default today)")
    p = command(rounds, "show", _show, "a round: stops, payments, hand-over, reconciliation")
    p.add_argument("round", help="round number")


def _round_date(args, name: str, round_):
    from wuye.cli import _date

    if getattr(args, name, None) is None:
        args.project = round_.project.code  # today in the round's project time zone
    return _date(args, name)


def _plan(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.errors import NotFound
    from wuye.properties.models import Building
    from wuye.reports.selectors import get_project
    from wuye.rounds.selectors import round_detail
    from wuye.rounds.services import plan_round

    project = get_project(args.project)
    building = Building.objects.filter(project=project, code=args.building).first()
    if building is None:
        raise NotFound("building", args.building)
    round_ = plan_round(
        project=project,
        building=building,
        on=_date(args, "on"),
        collector=args.collector,
        actor=_actor(args),
        assistants=args.assistants,
        force=args.force,
    )
    data = round_detail(round_)
    text = (
        f"round {round_.pk}: {building} on {round_.on}, "
        f"{len(data['stops'])} accounts in arrears, collector {round_.collector}"
    )
    return _emit(args, data, text)


def _pay(args) -> int:
    from wuye.cli import _emit
    from wuye.money import parse_amount
    from wuye.rounds.services import get_round, take_payment

    round_ = get_round(args.round)
    amount = parse_amount(args.amount, field="--amount")
    payment = take_payment(
        round=round_,
        unit=args.unit,
        amount=amount,
        method=args.method,
        on=_round_date(args, "on", round_),
        collector=args.collector or round_.collector,
    )
    data = {
        "round": round_.pk,
        "receipt": payment.receipt_number,
        "unit": args.unit,
        "amount": payment.amount,
        "method": payment.method,
        "paid_on": payment.paid_on,
    }
    text = f"receipt {payment.receipt_number}: {payment.amount} {payment.method} ({args.unit})"
    return _emit(args, data, text)


def _handover(args) -> int:
    from wuye.cli import _emit
    from wuye.money import parse_amount
    from wuye.rounds.services import get_round, hand_over_takings

    round_ = get_round(args.round)
    other = {
        m: parse_amount(getattr(args, m), field=f"--{m}", allow_zero=True)
        for m in METHODS[1:]
        if getattr(args, m) is not None
    }
    rows = hand_over_takings(
        round=round_,
        counted_cash=parse_amount(args.cash, field="--cash", allow_zero=True),
        counted_other=other,
        by=args.by or round_.collector,
        on=_round_date(args, "on", round_),
    )
    data = {"round": round_.pk, "handed_over": {h.method: h.amount for h in rows}}
    text = ", ".join(f"{h.method} {h.amount}" for h in rows)
    return _emit(args, data, f"round {round_.pk} handed over: {text}")


def _reconcile(args) -> int:
    from wuye.cli import _actor, _emit
    from wuye.output import table
    from wuye.rounds.services import get_round, reconcile_round

    round_ = get_round(args.round)
    result = reconcile_round(round=round_, on=_round_date(args, "on", round_), by=_actor(args))
    data = {
        "round": result.round_id,
        "on": result.on,
        "by": result.by,
        "balanced": result.balanced,
        "difference": result.difference,
        "lines": result.lines,
    }
    text = table(
        ["method", "taken", "handed over", "difference"],
        [[x.method, x.taken, x.handed_over, x.difference] for x in result.lines],
        right={1, 2, 3},
    )
    verdict = "balanced" if result.balanced else f"DIFFERENCE {result.difference} (not adjusted)"
    return _emit(args, data, f"{text}\nround {result.round_id}: {verdict}")


def _show(args) -> int:
    from wuye.cli import _emit
    from wuye.output import table
    from wuye.rounds.selectors import round_detail
    from wuye.rounds.services import get_round

    data = round_detail(get_round(args.round))
    text = (
        f"round {data['round']} {data['project']}-{data['building']} {data['on']} "
        f"collector {data['collector']} [{data['status']}]\n"
        + table(
            ["unit", "owner", "arrears", "outcome"],
            [[s["unit"], s["owner"], s["arrears"], s["outcome"]] for s in data["stops"]],
            right={2},
        )
    )
    return _emit(args, data, text)
