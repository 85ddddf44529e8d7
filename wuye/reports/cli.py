"""`wuye collectors assign`, `wuye reports arrears|recovery|collection-rate` (rule M4 and
the collection-rate defaults): thin handlers over wuye.reports.services and selectors."""

from __future__ import annotations

from wuye.replica import reports_replica


def register(group, command) -> None:
    collectors = group("collectors", "responsible collectors per account (負責收款員, M4)")
    p = command(collectors, "assign", _collectors_assign, "make a collector responsible (M4)")
    p.add_argument("--unit", required=True, help="unit code, e.g. CY-B01-0101")
    p.add_argument("--collector", required=True, help="the collector's name")
    p.add_argument("--on", help="from this date (default today)")
    p.add_argument("--note", default="")

    reports = group("reports", "arrears list, recovery and bonus, collection rate (M4)")
    p = command(reports, "arrears", _reports_arrears, "monthly arrears list 每月業主欠費清單 (M4)")
    p.add_argument("--project", required=True, help="project code")
    p.add_argument("--as-of", dest="as_of", help="date (default today)")
    p.add_argument("--out", required=True, help="FILE.xlsx or FILE.csv")
    p = command(reports, "recovery", _reports_recovery, "arrears recovered per collector, bonus")
    p.add_argument("--project", required=True, help="project code")
    p.add_argument("--from", dest="start", required=True, help="first day (YYYY-MM-DD)")
    p.add_argument("--until", required=True, help="last day, inclusive (YYYY-MM-DD)")
    p = command(reports, "collection-rate", _reports_rate, "收繳率 and 清欠率 of a month")
    p.add_argument("--project", required=True, help="project code")
    p.add_argument("--month", required=True, help="YYYY-MM")


def _collectors_assign(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.reports.services import assign_collector

    on = _date(args, "on")
    a = assign_collector(
        unit_code=args.unit, collector=args.collector, on=on, actor=_actor(args), note=args.note
    )
    data = {
        "unit": args.unit,
        "account": a.account.code,
        "collector": a.collector,
        "from_date": a.from_date,
        "assigned_by": a.assigned_by,
    }
    return _emit(args, data, f"{args.unit}: {a.collector} responsible from {a.from_date} (M4)")


def _reports_arrears(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.money import fmt
    from wuye.reports.services import export_arrears_list

    as_of = _date(args, "as_of")
    with reports_replica():
        data = export_arrears_list(project_code=args.project, as_of=as_of, out=args.out)
    text = (
        f"{data['project']} arrears list as of {as_of}: {data['rows']} accounts, "
        f"{fmt(data['total'])} → {data['out']}"
    )
    return _emit(args, data, text)


def _reports_recovery(args) -> int:
    from wuye.dates import parse_date
    from wuye.errors import WuyeError
    from wuye.money import fmt
    from wuye.output import table
    from wuye.reports.selectors import get_project, recovery_by_collector

    start = parse_date(args.start, field="--from")
    until = parse_date(args.until, field="--until")
    if until < start:
        raise WuyeError("invalid_range", "--until: before --from", "--until：早於 --from")
    with reports_replica():
        data = recovery_by_collector(project=get_project(args.project), start=start, until=until)
    rows = [
        [r.collector or "(未指派 unassigned)", r.accounts, fmt(r.recovered), fmt(r.bonus)]
        for r in data["collectors"]
    ]
    rows.append(["合計 total", "", fmt(data["recovered"]), fmt(data["bonus"])])
    text = table(["collector", "accounts", "recovered", "bonus"], rows, right={1, 2, 3})
    from wuye.cli import _emit

    return _emit(args, data, text)


def _reports_rate(args) -> int:
    from wuye.cli import _emit
    from wuye.dates import Period
    from wuye.reports.selectors import collection_rate, get_project

    with reports_replica():
        data = collection_rate(project=get_project(args.project), period=Period.parse(args.month))

    def pct(value) -> str:
        return f"{value}%" if value is not None else "-"

    text = (
        f"{data['project']} {data['month']}\n"
        f"收繳率 current-period rate: {pct(data['current_rate'])} "
        f"({data['collected']} of {data['billed']})\n"
        f"清欠率 arrears recovery rate: {pct(data['recovery_rate'])} "
        f"({data['arrears_collected']} of {data['arrears_at_start']})"
    )
    return _emit(args, data, text)
