"""The `wuye` command line: a thin edge that parses, calls a service or selector, and
prints (STYLE §9). Errors are one line on stderr with exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import sys
import time
from collections.abc import Callable

from wuye.errors import WuyeError

EXIT_USER_ERROR = 2
EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line instead of usage + message
        raise WuyeError("usage", f"{self.prog}: {message} (see {self.prog} --help)")


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the result as JSON (amounts as strings)",
    )
    common.add_argument(
        "--user",
        default=argparse.SUPPRESS,
        help="who acts (recorded on every entry); default $WUYE_USER",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="wuye",
        description="wuye 物業: property-fee billing and collections.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(parent, name, handler: Callable, help_text: str):
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=handler)
        return p

    command(sub, "migrate", _migrate, "create or upgrade the database")
    p = command(sub, "demo", _demo, "migrate, demo data, demo users per role, then serve")
    p.add_argument("--units", type=int, default=2000, help="demo units (default 2000)")
    p.add_argument("--on", help="the demo's today (default today)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", dest="serve", action="store_false", help="prepare only")
    p = command(sub, "serve", _serve, "serve the web application (gunicorn, static files)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    command(sub, "projects", _projects, "list the projects (管理處)")

    p = command(sub, "demo-data", _demo_data, "create a realistic demo (office tower + estate)")
    p.add_argument("--units", type=int, default=200, help="number of units (default 200)")
    p.add_argument("--seed", type=int, default=1, help="random seed (deterministic)")
    p.add_argument("--on", help="the demo's 'today' (YYYY-MM-DD; default today)")
    p.add_argument("--history-from", dest="history_from", help="play out bills and payments from")
    p.add_argument("--history-until", dest="history_until", help="… until this date (inclusive)")
    p.add_argument("--estates", type=int, default=1, help="similar estates to spread over (1)")

    bills = sub.add_parser("bills", help="issue, void, receive and show bills (帳單)")
    bills_sub = bills.add_subparsers(dest="bills_command", metavar="ACTION", parser_class=_Parser)
    bills.set_defaults(handler=lambda args: _missing_action(bills))
    p = command(bills_sub, "issue", _bills_issue, "issue the missing bills for a period")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--on", help="issue date (default today)")
    p.add_argument("--project", help="project code (default: every project)")
    p.add_argument("--dry-run", action="store_true", help="show what would be issued")
    p = command(bills_sub, "void", _bills_void, "void a wrong bill, optionally reissue (D1)")
    p.add_argument("number")
    p.add_argument("--reason", required=True)
    p.add_argument("--reissue", action="store_true", help="issue the corrected bill")
    p.add_argument("--on", help="date of the void (default today)")
    p = command(bills_sub, "receive", _bills_receive, "record the client's receipt of a bill (B1)")
    p.add_argument("number")
    p.add_argument("--on", help="receipt date (default today)")
    p.add_argument("--signer", default="", help="who signed (X2)")
    p.add_argument("--relation", default="", help="the signer's relation to the client")
    p.add_argument("--method", default="hand", choices=["hand", "courier", "posted"])
    p = command(
        bills_sub, "handover-pending", _bills_handover_pending,
        "bills and notices not yet signed for; late after the hand-over time (A1)",
    )  # fmt: skip
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--at", help="local time HH:MM (default now)")
    p.add_argument("--project", help="project code (default: every project)")
    p = command(bills_sub, "handover", _bills_handover, "an assistant signs for issued bills (A1)")
    p.add_argument("--on", help="hand-over date (default today)")
    p.add_argument("--by", required=True, help="the assistant who signs for them")
    p.add_argument("--at", help="local time of signing, HH:MM (late after the project's time)")
    p.add_argument("--project", help="project code (default: every project)")
    p = command(bills_sub, "deliver", _bills_deliver, "log a delivery attempt (B1, C1)")
    p.add_argument("number")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--signed-by", dest="signed_by", help="who signed for it (X2)")
    p.add_argument("--relation", default="", help="the signer's relation to the client")
    p.add_argument("--failed", help="nobody_present, contact_absent, refused, wrong_address")
    p.add_argument("--note", default="")
    p = command(bills_sub, "deliveries", _bills_deliveries, "bills to deliver, with flags (C1)")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--project", help="project code")
    p = command(bills_sub, "courier", _bills_courier, "send a bill by EMS/courier (E3)")
    p.add_argument("number")
    p.add_argument("--carrier", required=True)
    p.add_argument("--tracking", required=True)
    p.add_argument("--posted", help="posting date (default today)")
    p = command(bills_sub, "courier-delivered", _bills_courier_delivered,
                "record the courier's delivery date (E1: the receipt date)")  # fmt: skip
    p.add_argument("number")
    p.add_argument("--on", help="delivery date (default today)")
    p = command(bills_sub, "courier-settle", _bills_courier_settle,
                "postings without a delivery record count as received after N days (E1)")  # fmt: skip
    p.add_argument("--as-of", dest="as_of", help="default today")
    p = command(bills_sub, "delivery-rate", _bills_delivery_rate, "same-day delivery rate (B1)")
    p.add_argument("--from", dest="start", required=True)
    p.add_argument("--until", required=True)
    p.add_argument("--project", help="project code")
    p = command(bills_sub, "dispute", _bills_dispute, "open or resolve a client's dispute (D2)")
    p.add_argument("number")
    p.add_argument("--on", help="date (default today)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--reason", help="open a dispute with this reason")
    what.add_argument("--resolve", choices=["upheld", "rejected"], help="resolve the open one")
    p.add_argument("--note", default="", help="how it was resolved")
    p = command(bills_sub, "disputes", _bills_disputes, "open disputes and their age (D2)")
    p.add_argument("--as-of", dest="as_of", help="default today")
    p.add_argument("--project", help="project code")
    p = command(bills_sub, "show", _bills_show, "show one bill and its lines")
    p.add_argument("number")

    payments = sub.add_parser("payments", help="record, refund and reverse payments")
    pay_sub = payments.add_subparsers(
        dest="payments_command", metavar="ACTION", parser_class=_Parser
    )
    payments.set_defaults(handler=lambda args: _missing_action(payments))
    p = command(pay_sub, "record", _payments_record, "record a payment and allocate it (P1)")
    p.add_argument("--unit", required=True)
    p.add_argument("--account", help="account code, if not the unit's payer on that date")
    p.add_argument("--amount", required=True)
    p.add_argument("--on", help="payment date (default today)")
    p.add_argument(
        "--method", default="cash", help="cash, bank_transfer, auto_debit, wechat, alipay, card"
    )
    p.add_argument("--reference", default="", help="bank / WeChat Pay / Alipay reference")
    p.add_argument("--bill", help="the bill the payer designates (P1)")
    p = command(pay_sub, "refund", _payments_refund, "refund (part of) an account's credit")
    p.add_argument("--unit", required=True)
    p.add_argument("--account")
    p.add_argument("--amount", required=True)
    p.add_argument("--on")
    p.add_argument("--reason", required=True)
    p.add_argument("--method", default="bank_transfer")
    p = command(pay_sub, "reverse", _payments_reverse, "reverse a payment (bounced, wrong account)")
    p.add_argument("receipt")
    p.add_argument("--reason", required=True)
    p.add_argument("--on")

    p = command(
        sub,
        "import",
        _import,
        "import projects, units, customers, contacts, accounts, contracts, supplied amounts"
        " and opening balances from CSV, XLSX or JSON, all or nothing (docs/import.md)",
    )
    p.add_argument("file", help="a .csv, .xlsx or .json file")
    p.add_argument(
        "--kind",
        help="kind of data of a CSV (default: from its columns); XLSX/JSON: only this kind",
    )
    p.add_argument(
        "--encoding", help="utf-8 (default, BOM or not), gbk, gb18030 or big5 (default: detected)"
    )
    p.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p.add_argument("--on", help="import date, the booking date of opening balances (default today)")

    fees = sub.add_parser("late-fees", help="late fees (違約金, rule L1)")
    fees_sub = fees.add_subparsers(dest="fees_command", metavar="ACTION", parser_class=_Parser)
    fees.set_defaults(handler=lambda args: _missing_action(fees))
    p = command(fees_sub, "run", _late_fees_run, "post the late fees accrued by a date (L1)")
    p.add_argument("--as-of", dest="as_of", help="accrue up to and including (default today)")
    p.add_argument("--project", help="project code (default: every project)")
    p.add_argument("--dry-run", action="store_true", help="show what would be posted")

    accounts = sub.add_parser("accounts", help="account statements")
    acc_sub = accounts.add_subparsers(
        dest="accounts_command", metavar="ACTION", parser_class=_Parser
    )
    accounts.set_defaults(handler=lambda args: _missing_action(accounts))
    p = command(acc_sub, "show", _accounts_show, "a unit's statement: bills, payments, balance")
    p.add_argument("unit")
    p.add_argument("--as-of", dest="as_of", help="statement date (default today)")
    p.add_argument("--account", help="account code (default: the unit's payer on that date)")
    p = command(acc_sub, "limitation", _accounts_limitation,
                "debts whose limitation period ends soon or has ended (X2)")  # fmt: skip
    p.add_argument("--as-of", dest="as_of", help="report date (default today)")
    p.add_argument("--project", help="project code (default: every project)")
    p.add_argument(
        "--within", type=int, help="days ahead (default: policy limitation_warning_days, 90)"
    )

    groups = {"bills": bills_sub, "payments": pay_sub, "late-fees": fees_sub, "accounts": acc_sub}

    def group(name: str, help_text: str):
        """A command group (`wuye NAME ACTION`) that app CLI modules add actions to."""
        if name not in groups:
            parent = sub.add_parser(name, help=help_text)
            groups[name] = parent.add_subparsers(
                dest=f"{name}_command", metavar="ACTION", parser_class=_Parser
            )
            parent.set_defaults(handler=lambda args: _missing_action(parent))
        return groups[name]

    # each app's commands live beside it, in <app>/cli.py: register(group, command)
    group.top = sub  # for a top-level command (`wuye worker`, issue 7)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(group, command)
    return parser


COMMAND_MODULES = [
    "wuye.dunning.cli",
    "wuye.approvals.cli",
    "wuye.documents.cli",
    "wuye.collection.cli",
    "wuye.messaging.cli",
    "wuye.legal.cli",
    "wuye.reports.cli",
    "wuye.rounds.cli",
    "wuye.scheduler.cli",
    "wuye.api.cli",
    "wuye.ops.cli",  # backup and restore (issue 8)
    "wuye.audit.cli",  # the audit log: check, log, seal (issue 8)
]


def _missing_action(parser):
    raise WuyeError("usage", f"{parser.prog}: choose an action (see {parser.prog} --help)")


# --- helpers -------------------------------------------------------------------------


def _actor(args) -> str:
    return getattr(args, "user", None) or os.environ.get("WUYE_USER") or getpass.getuser()


def _date(args, name: str):
    """The date the user gave, or today in the time zone of the project the command is
    about (a unit's, a bill's, a receipt's or --project), else the default zone."""
    from django.conf import settings

    from wuye.dates import parse_date, today

    value = getattr(args, name, None)
    if value:
        return parse_date(value, field=f"--{name.replace('_', '-')}")
    return today(_project_time_zone(args) or settings.TIME_ZONE)


def _project_time_zone(args) -> str | None:
    from wuye.billing.models import Bill
    from wuye.payments.models import Payment
    from wuye.properties.models import Project, Unit

    if getattr(args, "unit", None):
        unit = Unit.objects.filter(code=args.unit).select_related("project").first()
        return unit.project.time_zone if unit else None
    if getattr(args, "number", None):
        bill = Bill.objects.filter(number=args.number).select_related("project").first()
        return bill.project.time_zone if bill else None
    if getattr(args, "receipt", None):
        payment = Payment.objects.filter(receipt_number=args.receipt).select_related("project")
        return payment.first().project.time_zone if payment.exists() else None
    if getattr(args, "project", None):
        project = Project.objects.filter(code=args.project).first()
        return project.time_zone if project else None
    return None


def _time(value: str):
    """A local time given as --at HH:MM."""
    import datetime as dt

    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise WuyeError("invalid_time", f"--at: '{value}' is not a time (HH:MM)",
                        f"--at：「{value}」不是時間（HH:MM）") from None  # fmt: skip


def _emit(args, data, text: str) -> int:
    from wuye.output import to_json

    print(to_json(data) if getattr(args, "json", False) else text)
    return 0


# --- handlers ------------------------------------------------------------------------


def _migrate(args) -> int:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    data = {"database": connection.vendor, "name": str(connection.settings_dict["NAME"])}
    return _emit(args, data, f"database ready: {data['database']} {data['name']}")


def _demo(args) -> int:
    from django.core.management import call_command

    from wuye.output import table
    from wuye.web.demo import prepare_demo

    call_command("migrate", verbosity=0, interactive=False)
    result = prepare_demo(on=_date(args, "on"), units=args.units, actor=_actor(args))
    text = (
        ("demo data created; " if result["created"] else "demo data already there; ")
        + f"today's dunning run issued {result['notices']} notices and tasks\n"
        + "demo users (user = password):\n"
        + table(["user", "password", "role", "角色"],
                [[u["user"], u["password"], u["role"], u["role_zh"]] for u in result["users"]])
    )  # fmt: skip
    _emit(args, result, text)
    if not args.serve:
        return 0
    args.workers = 2
    return _serve(args)


def _serve(args) -> int:
    """A production-grade server (gunicorn), not Django's runserver; static files are
    collected first and served by WhiteNoise."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    print(f"wuye: serving on http://{args.host}:{args.port}/ (static: {settings.STATIC_ROOT})",
          flush=True)  # fmt: skip
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.execv(gunicorn, [gunicorn, "wuye.wsgi:application", "--bind", f"{args.host}:{args.port}",
                        "--workers", str(args.workers), "--access-logfile", "-"])  # fmt: skip
    return 0  # not reached


def _projects(args) -> int:
    from wuye.output import table
    from wuye.properties.models import Project

    rows = [
        {"code": p.code, "name": p.name, "kind": p.kind, "units": p.units.count()}
        for p in Project.objects.order_by("code")
    ]
    text = table(
        ["code", "name", "kind", "units"],
        [[r["code"], r["name"], r["kind"], r["units"]] for r in rows],
        right={3},
    )
    return _emit(args, {"projects": rows}, text)


def _demo_data(args) -> int:
    from wuye.dates import parse_date
    from wuye.demo.services import make_demo_data
    from wuye.ledger.selectors import overdue_summary

    history_from = args.history_from and parse_date(args.history_from, field="--history-from")
    history_until = args.history_until and parse_date(args.history_until, field="--history-until")
    on = history_until or _date(args, "on")
    started = time.monotonic()
    result = make_demo_data(
        units=args.units,
        seed=args.seed,
        on=on,
        actor=_actor(args),
        history_from=history_from or None,
        history_until=history_until or None,
        estates=args.estates,
    )
    seconds = round(time.monotonic() - started, 1)
    data = {
        "projects": result.projects,
        "units": result.units,
        "accounts": result.accounts,
        "sample_units": result.sample_units,
        "on": on,
        "seconds": str(seconds),  # a string: JSON output carries no floats
    }
    samples = "; ".join(f"{k}: {', '.join(v)}" for k, v in result.sample_units.items())
    text = (
        f"demo data: {result.units} units, {result.accounts} accounts in projects "
        f"{', '.join(result.projects)} ({seconds} s)\nsample units: {samples}"
    )
    if result.history is not None:
        h = result.history
        summary = overdue_summary(as_of=on)
        data["history"] = {
            "periods": h.periods,
            "bills": h.bills,
            "handovers": h.handovers,
            "delivery_attempts": h.attempts,
            "courier_dispatches": h.couriers,
            "receipts": h.receipts,
            "payments": h.payments,
            "overdue": summary,
        }
        text += (
            f"\nhistory {', '.join(h.periods)}: {h.bills} bills, {h.handovers} hand-overs, "
            f"{h.attempts} delivery attempts, {h.couriers} by EMS, {h.receipts} receipts, "
            f"{h.payments} payments; on {on} {summary['overdue_accounts']} of "
            f"{summary['accounts']} accounts overdue ({summary['overdue_share']}), "
            f"by age of the oldest debt: "
            + ", ".join(f"{k} {v}" for k, v in summary["by_age"].items())
        )
    return _emit(args, data, text)


def _bills_issue(args) -> int:
    from wuye.billing.services import issue_bills
    from wuye.dates import Period
    from wuye.output import table

    period = Period.parse(args.period)
    on = _date(args, "on")
    started = time.monotonic()
    results = issue_bills(
        period=period, on=on, actor=_actor(args), project_code=args.project, dry_run=args.dry_run
    )
    seconds = round(time.monotonic() - started, 2)
    data = {
        "period": str(period),
        "on": on,
        "dry_run": args.dry_run,
        "seconds": str(seconds),  # a string: JSON output carries no floats
        "projects": results,
    }
    verb = "would issue" if args.dry_run else "issued"
    rows = [
        [
            r.project,
            r.existing,
            r.created,
            r.lines,
            r.total,
            f"{r.numbers[0]} … {r.numbers[1]}" if r.numbers else "",
        ]
        for r in results
    ]
    text = table(
        ["project", "existing", verb, "lines", "total", "numbers"], rows, right={1, 2, 3, 4}
    )
    if not any(r.created for r in results):
        text += f"\nnothing to issue for {period}: every billable account has its bill"
    for r in results:
        for s in r.sample:
            text += f"\n  {r.project} {s['unit']}: {s['total']}"
    return _emit(args, data, text + f"\n({seconds} s)")


def _bills_handover(args) -> int:
    from wuye.billing.delivery import handover_bills

    at = _time(args.at) if args.at else None
    batches = handover_bills(on=_date(args, "on"), signed_by=args.by, actor=_actor(args),
                             project_code=args.project, at=at)  # fmt: skip
    data = {"handovers": [
        {"project": b.project.code, "on": b.handed_over_on, "signed_by": b.signed_by,
         "bills": b.bills.count(), "late": b.late} for b in batches
    ]}  # fmt: skip
    text = (
        "\n".join(
            f"{h['project']}: {h['bills']} bills signed for by {h['signed_by']} on {h['on']}"
            + (" (late, A1)" if h["late"] else "")
            for h in data["handovers"]
        )
        or "nothing to sign for"
    )
    return _emit(args, data, text)


def _bills_handover_pending(args) -> int:
    import datetime as dt

    from wuye.billing.delivery import pending_handovers
    from wuye.output import table

    if args.at:
        at = _time(args.at)
    else:
        from zoneinfo import ZoneInfo

        from django.conf import settings

        zone = ZoneInfo(_project_time_zone(args) or settings.TIME_ZONE)
        at = dt.datetime.now(zone).time()  # the outer edge may read the clock (STYLE §5)
    on = _date(args, "on")
    rows = pending_handovers(on=on, at=at, project_code=args.project)
    text = table(
        ["project", "bills", "notices", "since", "hand-over time", "late"],
        [[r["project"], r["bills"], r["notices"], r["since"], r["handover_time"],
          "LATE (A1)" if r["late"] else ""] for r in rows],
        right={1, 2},
    ) if rows else "nothing waiting to be signed for"  # fmt: skip
    return _emit(args, {"on": on, "at": at.strftime("%H:%M"), "pending": rows}, text)


def _bills_deliver(args) -> int:
    from wuye.billing.delivery import record_delivery

    attempt = record_delivery(
        number=args.number, on=_date(args, "on"), staff=_actor(args), signed_by=args.signed_by,
        relation=args.relation, failed=args.failed, note=args.note,
    )  # fmt: skip
    bill = attempt.bill
    bill.refresh_from_db()
    data = {"bill": bill.number, "attempted_on": attempt.attempted_on, "result": attempt.result,
            "receipt_date": bill.receipt_date, "due_date": bill.due_date}  # fmt: skip
    text = f"{bill.number}: {attempt.result}"
    if bill.receipt_date:
        text += f", received {bill.receipt_date}, due {bill.due_date or '-'}"
    return _emit(args, data, text)


def _bills_deliveries(args) -> int:
    from wuye.billing.delivery import delivery_worklist
    from wuye.output import table

    on = _date(args, "on")
    rows = delivery_worklist(on=on, project_code=args.project)
    text = table(
        ["bill", "unit", "signed for", "attempts", "last result", "flag"],
        [[r["bill"], r["unit"], r["handed_over_on"], r["attempts"], r["last_result"] or "",
          r["cancelled"] or ("send by courier (E3)" if r["send_by_courier"]
          else "undelivered (C1)" if r["undelivered_end_of_day"] else "")] for r in rows],
        right={3},
    )  # fmt: skip
    return _emit(args, {"on": on, "deliveries": rows}, text)


def _bills_courier(args) -> int:
    from wuye.billing.delivery import dispatch_courier

    d = dispatch_courier(number=args.number, carrier=args.carrier, tracking=args.tracking,
                         posted_on=_date(args, "posted"), actor=_actor(args))  # fmt: skip
    data = {"bill": args.number, "carrier": d.carrier, "tracking": d.tracking_number,
            "posted_on": d.posted_on}  # fmt: skip
    return _emit(args, data, f"{args.number}: posted {d.posted_on} by {d.carrier} "
                             f"{d.tracking_number}")  # fmt: skip


def _bills_courier_delivered(args) -> int:
    from wuye.billing.delivery import record_courier_delivery

    bill = record_courier_delivery(number=args.number, delivered_on=_date(args, "on"),
                                   actor=_actor(args))  # fmt: skip
    return _emit(args, _bill_dict(bill),
                 f"{bill.number} received {bill.receipt_date}, due {bill.due_date or '-'}")  # fmt: skip


def _bills_courier_settle(args) -> int:
    from wuye.billing.delivery import settle_courier_receipts

    done = settle_courier_receipts(as_of=_date(args, "as_of"), actor=_actor(args))
    return _emit(args, {"received": done},
                 f"{len(done)} courier postings counted as received" if done else "nothing to settle")  # fmt: skip


def _bills_delivery_rate(args) -> int:
    from wuye.billing.delivery import same_day_delivery_rate
    from wuye.dates import parse_date

    result = same_day_delivery_rate(start=parse_date(args.start, field="--from"),
                                    until=parse_date(args.until, field="--until"),
                                    project_code=args.project)  # fmt: skip
    lines = [f"{kind[:-1]} {name}: {v['same_day']}/{v['bills']} same day ({v['rate']})"
             for kind in ("projects", "assistants") for name, v in result[kind].items()]  # fmt: skip
    return _emit(args, result, "\n".join(lines) or "no hand-overs in that range")


def _bills_dispute(args) -> int:
    from wuye.billing.disputes import open_dispute, resolve_dispute

    on = _date(args, "on")
    if args.resolve:
        d = resolve_dispute(
            number=args.number, on=on, resolution=args.resolve, actor=_actor(args), note=args.note
        )
        text = f"{args.number}: dispute resolved {d.resolved_on} ({d.resolution})"
        if d.resolution == "upheld":
            text += f"; correct it with: wuye bills void {args.number} --reason … --reissue"
    else:
        d = open_dispute(number=args.number, on=on, reason=args.reason, actor=_actor(args))
        text = f"{args.number}: dispute opened {d.opened_on}, held out of dunning (D2)"
    data = {
        "bill": args.number, "opened_on": d.opened_on, "reason": d.reason,
        "resolved_on": d.resolved_on, "resolution": d.resolution or None,
    }  # fmt: skip
    return _emit(args, data, text)


def _bills_disputes(args) -> int:
    from wuye.billing.disputes import open_disputes
    from wuye.output import table

    as_of = _date(args, "as_of")
    rows = open_disputes(as_of=as_of, project_code=args.project)
    text = table(
        ["bill", "account", "opened", "age (days)", "amount", "reason"],
        [[r["bill"], r["account"], r["opened_on"], r["age_days"], r["amount"], r["reason"]]
         for r in rows],
        right={3, 4},
    )  # fmt: skip
    return _emit(args, {"as_of": as_of, "disputes": rows}, text)


def _late_fees_run(args) -> int:
    from wuye.errors import NotFound
    from wuye.ledger.late_fee_run import run_late_fees
    from wuye.output import table
    from wuye.properties.models import Project

    as_of = _date(args, "as_of")
    projects = Project.objects.order_by("code")
    if args.project:
        projects = projects.filter(code=args.project)
        if not projects.exists():
            raise NotFound("project", args.project)
    results = [
        run_late_fees(project=p, as_of=as_of, actor=_actor(args), dry_run=args.dry_run)
        for p in projects
    ]
    data = {"as_of": as_of, "dry_run": args.dry_run, "projects": results}
    text = table(
        ["project", "debts", "entries", "posted", "corrected"],
        [[r.project, r.debts_checked, r.entries, r.posted, r.corrected] for r in results],
        right={1, 2, 3, 4},
    )
    return _emit(args, data, text + ("\n(dry run: nothing written)" if args.dry_run else ""))


def _bill_dict(bill) -> dict:
    return {
        "number": bill.number,
        "project": bill.project.code,
        "account": bill.account.code,
        "period": f"{bill.period_start:%Y-%m}",
        "period_start": bill.period_start,
        "period_end": bill.period_end,
        "issue_date": bill.issue_date,
        "receipt_date": bill.receipt_date,
        "due_date": bill.due_date,
        "total": bill.total,
        "status": bill.status,
        "void_reason": bill.void_reason or None,
        "replaces": bill.replaces.number if bill.replaces_id else None,
    }


def _bills_void(args) -> int:
    from wuye.billing.services import void_bill

    bill, replacement = void_bill(
        number=args.number,
        reason=args.reason,
        on=_date(args, "on"),
        actor=_actor(args),
        reissue=args.reissue,
    )
    data = {
        "voided": _bill_dict(bill),
        "reissued": _bill_dict(replacement) if replacement else None,
    }
    text = f"voided {bill.number} ({bill.total}): {bill.void_reason}"
    if replacement:
        text += f"\nreissued as {replacement.number} ({replacement.total})"
    return _emit(args, data, text)


def _bills_receive(args) -> int:
    from wuye.billing.services import record_bill_receipt

    bill = record_bill_receipt(
        number=args.number,
        received_on=_date(args, "on"),
        actor=_actor(args),
        method=args.method,
        signer=args.signer,
        signer_relation=args.relation,
    )
    data = _bill_dict(bill)
    return _emit(args, data, f"{bill.number} received {bill.receipt_date}, due {bill.due_date}")


def _bills_show(args) -> int:
    from wuye.billing.services import get_bill
    from wuye.output import table

    bill = get_bill(args.number)
    lines = list(bill.lines.select_related("fee_item").order_by("fee_item__sort_order"))
    data = _bill_dict(bill)
    data["lines"] = [
        {
            "fee_item": line.fee_item.code,
            "name": line.fee_item.name,
            "basis": line.basis,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "days": line.days,
            "cycle_days": line.cycle_days,
            "amount": line.amount,
            "tax_rate": str(line.tax_rate),
            "tax_amount": line.tax_amount,
        }
        for line in lines
    ]
    text = (
        f"{bill.number}  {bill.account.code}  {data['period']}  {bill.status}\n"
        f"issued {bill.issue_date}  received {bill.receipt_date or '-'}  "
        f"due {bill.due_date or '-'}\n"
    )
    text += table(
        ["item", "basis", "qty", "price", "days", "amount", "tax"],
        [
            [
                f"{x['name']}",
                x["basis"],
                x["quantity"],
                x["unit_price"],
                f"{x['days']}/{x['cycle_days']}",
                x["amount"],
                x["tax_amount"],
            ]
            for x in data["lines"]
        ],
        right={2, 3, 5, 6},
    )
    return _emit(args, data, text + f"\ntotal {bill.total}")


def _import(args) -> int:
    from wuye.imports.services import import_file
    from wuye.output import table

    result = import_file(
        args.file,
        on=_date(args, "on"),
        actor=_actor(args),
        dry_run=args.dry_run,
        encoding=args.encoding,
        kind=args.kind,
    )
    verb = "would create" if args.dry_run else "created"
    text = table(
        ["kind", "rows", verb, "updated", "unchanged"],
        [[k.kind, k.rows, k.created, k.updated, k.unchanged] for k in result.kinds],
        right={1, 2, 3, 4},
    )
    if args.dry_run:
        text += "\ndry run: nothing written"
    elif result.batch is None:
        text += "\nnothing changed"
    data = {
        "file": result.file,
        "sha256": result.sha256,
        "format": result.format,
        "encoding": result.encoding,
        "on": result.on,
        "dry_run": result.dry_run,
        "batch": result.batch,
        "kinds": result.kinds,
    }
    return _emit(args, data, text)


def _account(args, on):
    from wuye.properties.selectors import account_for_unit

    return account_for_unit(args.unit, on=on, account_code=getattr(args, "account", None))


def _payment_dict(p) -> dict:
    return {
        "receipt_number": p.receipt_number,
        "account": p.account.code,
        "amount": p.amount,
        "method": p.method,
        "paid_on": p.paid_on,
        "reference": p.reference or None,
        "designated_bill": p.designated_bill.number if p.designated_bill_id else None,
    }


def _payments_record(args) -> int:
    from wuye.ledger import selectors
    from wuye.ledger.models import Entry
    from wuye.money import parse_amount
    from wuye.payments.services import record_payment

    on = _date(args, "on")
    amount = parse_amount(args.amount, field="--amount")
    account = _account(args, on)
    payment = record_payment(
        account=account,
        amount=amount,
        on=on,
        actor=_actor(args),
        method=args.method,
        reference=args.reference,
        bill_number=args.bill,
    )
    allocations = [
        {
            "bill": e.bill.number,
            "fee_item": e.fee_item.code,
            "component": e.component,
            "amount": -e.amount,
        }
        for e in Entry.objects.filter(payment=payment, bill__isnull=False)
        .select_related("bill", "fee_item")
        .order_by("id")
    ]
    data = {
        **_payment_dict(payment),
        "allocations": allocations,
        "credit": selectors.credit(account.pk),
        "balance": selectors.balance(account.pk),
    }
    text = f"receipt {payment.receipt_number}: {payment.amount} from {account.code}"
    for a in allocations:
        text += f"\n  {a['bill']} {a['fee_item']} {a['component']}: {a['amount']}"
    text += f"\nbalance {data['balance']}  credit {data['credit']}"
    return _emit(args, data, text)


def _payments_refund(args) -> int:
    from wuye.ledger import selectors
    from wuye.money import parse_amount
    from wuye.payments.services import refund

    on = _date(args, "on")
    amount = parse_amount(args.amount, field="--amount")
    account = _account(args, on)
    row = refund(
        account=account,
        amount=amount,
        on=on,
        actor=_actor(args),
        reason=args.reason,
        method=args.method,
    )
    data = {
        "number": row.number,
        "account": account.code,
        "amount": row.amount,
        "refunded_on": row.refunded_on,
        "reason": row.reason,
        "credit": selectors.credit(account.pk),
    }
    return _emit(
        args,
        data,
        f"refund {row.number}: {row.amount} to {account.code}; credit left {data['credit']}",
    )


def _payments_reverse(args) -> int:
    from wuye.ledger import selectors
    from wuye.payments.services import reverse_payment

    reversal = reverse_payment(
        receipt_number=args.receipt, on=_date(args, "on"), actor=_actor(args), reason=args.reason
    )
    account_id = reversal.payment.account_id
    data = {
        "receipt_number": args.receipt,
        "reversed_on": reversal.reversed_on,
        "reason": reversal.reason,
        "balance": selectors.balance(account_id),
    }
    return _emit(
        args, data, f"reversed {args.receipt}: {reversal.reason}; balance {data['balance']}"
    )


def _accounts_show(args) -> int:
    from wuye.ledger.statements import account_statement
    from wuye.output import table

    as_of = _date(args, "as_of")
    account = _account(args, as_of)
    s = account_statement(account, as_of=as_of)
    unit = account.unit
    contact = account.customer.contacts.filter(is_designated=True).first()
    data = {
        "as_of": as_of,
        "account": {
            "code": account.code,
            "role": account.role,
            "start_date": account.start_date,
            "end_date": account.end_date,
        },
        "unit": {
            "code": unit.code,
            "project": account.project.code,
            "area": unit.area,
            "kind": unit.kind,
            "occupancy": unit.occupancy,
        },
        "customer": {
            "code": account.customer.code,
            "name": account.customer.name,
            "designated_contact": contact.name if contact else None,
        },
        "bills": s.bills,
        "payments": [{**_payment_dict(p), "reversed": hasattr(p, "reversal")} for p in s.payments],
        "refunds": [
            {
                "number": r.number,
                "amount": r.amount,
                "refunded_on": r.refunded_on,
                "reason": r.reason,
            }
            for r in s.refunds
        ],
        "balance_by_fee_item": s.by_fee_item,
        "aging": s.aging,
        "credit": s.credit,
        "balance": s.balance,
        "notices": s.notices,
        "escalations": s.escalations,
        "limitation": [  # X2, per open bill
            {
                "bill": b.number,
                "open": b.open,
                "ends_on": b.limitation.ends_on,
                "days_left": (b.limitation.ends_on - as_of).days,
                "evidence_kind": b.limitation.evidence_kind,
                "evidence_date": b.limitation.evidence_date,
                "reference": b.limitation.reference,
                "flag": b.limitation.flag,
            }
            for b in s.bills
            if b.limitation
        ],
    }
    text = [
        f"{account.project.name} {unit.code}  {unit.area} m²  {unit.get_kind_display()}",
        f"{account.customer.name} ({account.customer.code}, {account.get_role_display()})"
        + (f"  指定負責人 {contact.name}" if contact else ""),
        f"statement as of {as_of}",
        "",
        table(
            [
                "bill",
                "period",
                "due",
                "amount",
                "late fee",
                "waived",
                "paid",
                "open",
                "overdue",
                "status",
                "limitation ends (X2)",
            ],
            [
                [
                    b.number,
                    b.period,
                    b.due_date or "-",
                    b.amount,
                    b.late_fees,
                    b.waived,
                    b.paid,
                    b.open,
                    b.days_overdue if b.days_overdue is not None else "",
                    b.status + (" (disputed)" if b.disputed else ""),
                    b.limitation_ends or "",
                ]
                for b in s.bills
            ],
            right={3, 4, 5, 6, 7, 8},
        ),
    ]
    if s.payments:
        text += [
            "",
            table(
                ["receipt", "date", "method", "amount"],
                [
                    [
                        p.receipt_number + (" (reversed)" if hasattr(p, "reversal") else ""),
                        p.paid_on,
                        p.method,
                        p.amount,
                    ]
                    for p in s.payments
                ],
                right={3},
            ),
        ]
    if s.notices:
        text += [
            "",
            table(
                ["notice", "level", "step", "issued", "status", "delivered/posted", "signer",
                 "total"],
                [
                    [
                        n.number,
                        n.level,
                        n.step,
                        n.issued_on,
                        n.status,
                        _notice_reached(n),
                        n.signer + (f" ({n.signer_relation})" if n.signer_relation else ""),
                        n.total,
                    ]
                    for n in s.notices
                ],
                right={1, 7},
            ),
        ]  # fmt: skip
    for n in s.escalations:
        text.append(f"open escalation (G1): {n.number} {n.step} since {n.issued_on}")
    limitation = [b for b in s.bills if b.limitation]
    if limitation:
        text += ["", "limitation (X2):"] + [
            f"  {b.number}: ends {b.limitation_ends}"
            f" ({(b.limitation_ends - as_of).days} days) — {b.limitation_evidence}"
            for b in limitation
        ]
    text += [
        "",
        "balance by fee item: " + (", ".join(f"{k} {v}" for k, v in s.by_fee_item.items()) or "-"),
        "aging: " + (", ".join(f"{k} {v}" for k, v in s.aging.items() if v) or "-"),
        f"credit {s.credit}",
        f"balance {s.balance}",
    ]
    return _emit(args, data, "\n".join(text))


def _notice_reached(n) -> str:
    """How a notice reached the client (E2/E3): signed, or posted and delivered."""
    if n.delivered_on:
        return f"signed {n.delivered_on}"
    if n.posted_on:
        delivered = f", delivered {n.courier_delivered_on}" if n.courier_delivered_on else ""
        return f"posted {n.posted_on}{delivered}"
    return ""


def _accounts_limitation(args) -> int:
    from wuye.ledger.limitation import limitation_report
    from wuye.output import table

    as_of = _date(args, "as_of")
    rows = limitation_report(as_of=as_of, project_code=args.project, within_days=args.within)
    data = {"as_of": as_of, "within_days": args.within, "bills": rows}
    text = table(
        ["bill", "unit", "customer", "open", "due", "ends", "days left", "last evidence"],
        [
            [
                r["bill"], r["unit"], r["customer"], r["open"], r["due_date"], r["ends_on"],
                f"{r['days_left']} (expired)" if r["expired"] else r["days_left"], r["evidence"],
            ]
            for r in rows
        ],
        right={3, 6},
    )  # fmt: skip
    expired = sum(1 for r in rows if r["expired"])
    text += f"\n{len(rows)} bills, {expired} expired (as of {as_of})"
    return _emit(args, data, text)


# --- entry point ---------------------------------------------------------------------


def _print_error(args, error: WuyeError) -> None:
    from wuye.output import to_json

    if args is not None and getattr(args, "json", False):
        print(to_json(error.as_dict()).replace("\n", " "), file=sys.stderr)
    else:
        zh = f" / {error.message_zh}" if error.message_zh != error.message else ""
        print(f"wuye: error: {error.message}{zh}", file=sys.stderr)
        for item in error.details.get("errors", []):  # one line per error (imports)
            zh = f" / {item['message_zh']}" if item.get("message_zh") != item["message"] else ""
            print(
                f"wuye: error: {_where(error.details, item)}: {item['message']}{zh}",
                file=sys.stderr,
            )


def _where(details: dict, item: dict) -> str:
    """`FILE sheet row N, column 'X'`, leaving out what an error does not have."""
    place = " ".join(
        str(part)
        for part in (
            details.get("file"),
            item.get("sheet"),
            item.get("row") and f"row {item['row']}",
        )
        if part
    )
    if item.get("column"):
        place += f"{', ' if place else ''}column '{item['column']}'"
    return place


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuye.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()  # before the parser: app command modules may import their models
    except ImproperlyConfigured as error:  # e.g. production mode without a secret (issue 8)
        print(f"wuye: cannot start: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    parser = build_parser()
    args = None
    try:
        args = parser.parse_args(argv)
        if not hasattr(args, "handler"):
            parser.print_help()
            return 0
        from wuye.audit.context import acting_as
        from wuye.audit.services import seal_quietly

        with acting_as(_actor(args)):  # who changed configuration (issue 8, audit)
            code = args.handler(args)
        seal_quietly()
        return code
    except WuyeError as error:
        if args is None and "--json" in (sys.argv[1:] if argv is None else argv):
            args = argparse.Namespace(json=True)  # parsing failed, but JSON was asked for
        _print_error(args, error)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("wuye: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `wuye … | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:  # no traceback reaches a user (STYLE §8)
        from django.db.utils import DatabaseError

        if os.environ.get("WUYE_DEBUG") == "1":
            raise
        if isinstance(error, DatabaseError) and "no such table" in str(error):
            _print_error(
                args,
                WuyeError(
                    "not_migrated",
                    "the database is not set up: run `wuye migrate`",
                    "資料庫尚未建立：請執行 `wuye migrate`",
                ),
            )
            return EXIT_USER_ERROR
        first_line = str(error).splitlines()[0] if str(error) else ""
        print(f"wuye: internal error: {type(error).__name__}: {first_line}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
