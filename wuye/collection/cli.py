"""`wuye calls …`, `wuye promises …`, `wuye visits …`, `wuye faq …` (rules R2, R4) and
`wuye autodebit …` (S1): thin handlers over wuye.collection.services and wuye.collection.selectors."""

from __future__ import annotations

STATUSES = "form_sent, signed, active, refused, cancelled"
REASONS = "service, defect, theft, developer, vacant, hardship, forgot, no_reason, other"


def _target(p) -> None:
    p.add_argument("number", nargs="?", help="the task number (a call or visit task)")
    p.add_argument("--unit", help="unit code, for a call or visit without a task")


def register(group, command) -> None:
    calls = group("calls", "phone calls (電話催收, rule R2): the caller's list and the call log")
    p = command(calls, "list", _calls_list, "open call tasks and broken promises (R2)")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--project", help="project code")
    p.add_argument("--staff", help="only this caller's tasks and promises")
    p.add_argument("--at", help="local time HH:MM: calls are held in the quiet hours")
    p = command(calls, "record", _calls_record, "log a call: reason, amount stated, promise")
    _target(p)
    p.add_argument("--on", help="date of the call (default today)")
    p.add_argument("--at", help="local time of the call HH:MM (refused in the quiet hours)")
    p.add_argument("--reason", required=True, help=f"reason category: {REASONS} (or 中文)")
    p.add_argument("--amount", required=True, help="the arrears stated to the owner")
    p.add_argument("--outcome", required=True, help="reached, no_answer, wrong_number or refused")
    p.add_argument("--promise-on", dest="promise_on", help="the date the owner promised")
    p.add_argument("--promise-amount", dest="promise_amount", help="the amount promised")
    p.add_argument("--note", default="")

    promises = group("promises", "promises to pay (承諾付款, R2)")
    p = command(promises, "check", _promises_check, "mark promises kept or broken (R2)")
    p.add_argument("--as-of", dest="as_of", help="date (default today)")
    p = command(promises, "list", _promises_list, "promises to pay")
    p.add_argument("--status", help="open, kept or broken")
    p.add_argument("--unit", help="unit code")
    p.add_argument("--project", help="project code")

    visits = group("visits", "visits (上門溝通, rule R4)")
    p = command(visits, "record", _visits_record, "log a visit and close its task")
    _target(p)
    p.add_argument("--on", help="date of the visit (default today)")
    p.add_argument(
        "--outcome", required=True, help="reached, nobody_present, contact_absent or refused"
    )
    p.add_argument("--reason", help=f"reason category learned: {REASONS}")
    p.add_argument("--note", default="")
    p = command(visits, "sheet", _visits_sheet, "what to take on a visit: history and answers")
    _target(p)
    p.add_argument("--as-of", dest="as_of", help="date (default today)")

    faq = group("faq", "prepared answers per reason category (R4)")
    p = command(faq, "list", _faq_list, "the FAQ (an administrator edits it)")
    p.add_argument("--reason", help=f"reason category: {REASONS}")
    p = command(faq, "set", _faq_set, "add or change a prepared answer (administrator)")
    p.add_argument("--id", type=int, help="the entry to change (default: a new one)")
    p.add_argument("--reason", required=True, help=f"reason category: {REASONS}")
    p.add_argument("--question", required=True)
    p.add_argument("--answer", required=True)
    p.add_argument("--order", type=int, default=0, help="sort order")
    p.add_argument("--inactive", action="store_true", help="hide it from visit sheets")

    debit = group("autodebit", "bank auto-debit sign-up (銀行托收, rule S1)")
    p = command(debit, "propose", _autodebit_propose, "the owner was asked to sign up (S1)")
    p.add_argument("--unit", required=True, help="unit code")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--note", default="")
    p = command(debit, "advance", _autodebit_advance, "move the account's open sign-up on")
    p.add_argument("--unit", required=True, help="unit code")
    p.add_argument("--to", required=True, help=f"new status: {STATUSES}")
    p.add_argument("--on", help="date (default today)")
    p.add_argument("--bank", default="", help="bank name (required with --to signed)")
    p.add_argument("--holder", default="", help="account holder (required with --to signed)")
    p.add_argument("--account", default="", help="bank account number (required with signed)")
    p.add_argument("--mandate", default="", help="the bank's mandate reference")
    p.add_argument("--note", default="")
    p = command(debit, "report", _autodebit_report, "S1 units in arrears and their sign-up")
    p.add_argument("--as-of", dest="as_of", help="date (default today)")
    p.add_argument("--project", help="project code")
    p.add_argument("--segment", default="vacant_investment", help="contract segment")


def _calls_list(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.cli import _time as _cli_time
    from wuye.collection.selectors import call_worklist
    from wuye.output import table

    on = _date(args, "on")
    rows = call_worklist(on=on, project_code=args.project, staff=args.staff,
                         at=_cli_time(args.at) if args.at else None)  # fmt: skip
    text = table(
        ["unit", "customer", "arrears", "task", "broken promise", "reason", "last contact"],
        [
            [
                r["unit"],
                r["customer"],
                r["arrears"],
                ", ".join(r["tasks"]),
                f"{r['broken_promise']['amount']} by {r['broken_promise']['promised_on']}"
                if r["broken_promise"]
                else "",
                (r["reason_label"] or "") + (f" [held: {r['held']}]" if r["held"] else ""),
                f"{r['last_contact']['on']} {r['last_contact']['channel']} "
                f"{r['last_contact']['result']}"
                if r["last_contact"]
                else "",
            ]
            for r in rows
        ],
        right={2},
    )
    return _emit(args, {"on": on, "calls": rows}, text)


def _call_dict(call) -> dict:
    promise = getattr(call, "promise", None)
    return {
        "id": call.pk,
        "unit": call.account.unit.code,
        "account": call.account.code,
        "task": call.task.number if call.task_id else None,
        "on": call.on,
        "staff": call.staff,
        "reason": call.reason,
        "reason_label": call.get_reason_display(),
        "amount_stated": call.amount_stated,
        "outcome": call.outcome,
        "note": call.note or None,
        "promise": {
            "promised_on": promise.promised_on,
            "amount": promise.amount,
            "status": promise.status,
        }
        if promise
        else None,
    }


def _calls_record(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.cli import _time as _cli_time
    from wuye.collection.models import Call
    from wuye.collection.services import record_call
    from wuye.dates import parse_date
    from wuye.money import parse_amount

    on = _date(args, "on")
    call = record_call(
        number=args.number,
        unit_code=args.unit,
        on=on,
        staff=_actor(args),
        reason=args.reason,
        amount_stated=parse_amount(args.amount, field="--amount"),
        outcome=args.outcome,
        promise_on=parse_date(args.promise_on, field="--promise-on") if args.promise_on else None,
        promise_amount=parse_amount(args.promise_amount, field="--promise-amount")
        if args.promise_amount
        else None,
        note=args.note,
        at=_cli_time(args.at) if args.at else None,
    )
    call = Call.objects.select_related("account__unit", "task", "promise").get(pk=call.pk)
    data = _call_dict(call)
    text = f"call {call.account.unit.code} on {call.on}: {call.outcome}, {data['reason_label']}"
    if data["promise"]:
        text += f"; promise {data['promise']['amount']} by {data['promise']['promised_on']}"
    if data["task"]:
        text += f"; task {data['task']}"
    return _emit(args, data, text)


def _promise_dict(p) -> dict:
    return {
        "id": p.pk,
        "unit": p.account.unit.code,
        "account": p.account.code,
        "made_on": p.made_on,
        "promised_on": p.promised_on,
        "amount": p.amount,
        "status": p.status,
        "settled_on": p.settled_on,
        "staff": p.call.staff,
    }


def _promises_check(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.collection.services import check_promises

    as_of = _date(args, "as_of")
    counts = check_promises(as_of=as_of)
    data = {"as_of": as_of, **counts}
    return _emit(args, data, f"promises as of {as_of}: {counts['kept']} kept, "
                             f"{counts['broken']} broken")  # fmt: skip


def _promises_list(args) -> int:
    from wuye.cli import _emit
    from wuye.collection.selectors import list_promises
    from wuye.output import table

    rows = [
        _promise_dict(p)
        for p in list_promises(status=args.status, unit_code=args.unit, project_code=args.project)
    ]
    text = table(
        ["unit", "made", "promised", "amount", "status", "settled", "staff"],
        [
            [r["unit"], r["made_on"], r["promised_on"], r["amount"], r["status"],
             r["settled_on"] or "", r["staff"]]
            for r in rows
        ],
        right={3},
    )  # fmt: skip
    return _emit(args, {"promises": rows}, text)


def _visits_record(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.collection.services import record_visit

    on = _date(args, "on")
    visit = record_visit(
        number=args.number,
        unit_code=args.unit,
        on=on,
        staff=_actor(args),
        outcome=args.outcome,
        note=args.note,
        reason=args.reason,
    )
    data = {
        "id": visit.pk,
        "unit": visit.account.unit.code,
        "account": visit.account.code,
        "task": visit.task.number if visit.task_id else None,
        "on": visit.on,
        "staff": visit.staff,
        "outcome": visit.outcome,
        "reason": visit.reason or None,
        "note": visit.note or None,
    }
    text = f"visit {data['unit']} on {visit.on}: {visit.outcome}"
    if data["task"]:
        text += f"; task {data['task']} closed"
    return _emit(args, data, text)


def _visits_sheet(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.collection.selectors import visit_sheet
    from wuye.output import table

    as_of = _date(args, "as_of")
    sheet = visit_sheet(number=args.number, unit_code=args.unit, as_of=as_of)
    a, s = sheet["account"], sheet["statement"]
    lines = [
        f"上門溝通 {a['unit']}  {a['customer']} ({a['customer_code']})  as of {as_of}",
        "contacts: "
        + (
            "; ".join(
                f"{c['name']} {c['relation'] or ''} {c['phone'] or ''}".strip()
                for c in a["contacts"]
            )
            or "-"
        ),
        "",
        table(
            ["bill", "period", "due", "open", "overdue"],
            [
                [b["bill"], b["period"], b["due_date"] or "", b["open"], b["days_overdue"] or ""]
                for b in s["open_bills"]
            ],
            right={3, 4},
        ),
        f"balance {s['balance']}; aging: "
        + (", ".join(f"{k} {v}" for k, v in s["aging"].items() if v) or "-"),
        "",
        "history:",
    ]
    lines += [
        f"  {h['on']} {h['channel']} {h['result']} {h['notice'] or ''} {h['note'] or ''}".rstrip()
        for h in sheet["history"]
    ] or ["  -"]
    lines += ["", f"reason: {sheet['reason_label'] or '-'}"]
    for qa in sheet["answers"]:
        lines += [f"  問：{qa['question']}", f"  答：{qa['answer']}"]
    return _emit(args, sheet, "\n".join(lines))


def _faq_set(args) -> int:
    from wuye.cli import _actor, _emit
    from wuye.collection.services import save_faq_entry

    entry = save_faq_entry(
        reason=args.reason, question=args.question, answer=args.answer, actor=_actor(args),
        entry_id=args.id, sort_order=args.order, active=not args.inactive,
    )  # fmt: skip
    data = {"id": entry.pk, "reason": entry.reason, "question": entry.question,
            "answer": entry.answer, "active": entry.active}  # fmt: skip
    return _emit(args, data, f"FAQ entry {entry.pk} saved")


def _faq_list(args) -> int:
    from wuye.cli import _emit
    from wuye.collection.selectors import faq

    rows = [
        {
            "reason": f.reason,
            "reason_label": f.get_reason_display(),
            "question": f.question,
            "answer": f.answer,
            "sort_order": f.sort_order,
        }
        for f in faq(reason=args.reason)
    ]
    text = "\n".join(
        f"[{r['reason_label']}] 問：{r['question']}\n  答：{r['answer']}" for r in rows
    )
    return _emit(args, {"faq": rows}, text or "no entries")


def _autodebit_text(data: dict) -> str:
    text = f"auto-debit {data['unit']}: {data['status']} ({data['status_label']}) on " + str(
        data["status_on"]
    )
    if data["bank_account"]:
        text += f"; {data['bank_name']} {data['account_holder']} {data['bank_account']}"
    if data["mandate_reference"]:
        text += f"; mandate {data['mandate_reference']}"
    return text


def _autodebit_propose(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.collection.selectors import auto_debit_dict
    from wuye.collection.services import propose_auto_debit

    auto_debit = propose_auto_debit(
        unit_code=args.unit, on=_date(args, "on"), actor=_actor(args), note=args.note
    )
    data = auto_debit_dict(auto_debit)
    return _emit(args, data, _autodebit_text(data))


def _autodebit_advance(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.collection.selectors import auto_debit_dict
    from wuye.collection.services import advance_auto_debit

    auto_debit = advance_auto_debit(
        unit_code=args.unit,
        to=args.to,
        on=_date(args, "on"),
        actor=_actor(args),
        bank_name=args.bank,
        account_holder=args.holder,
        bank_account=args.account,
        mandate_reference=args.mandate,
        note=args.note,
    )
    data = auto_debit_dict(auto_debit)
    return _emit(args, data, _autodebit_text(data))


def _autodebit_report(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.collection.selectors import auto_debit_report
    from wuye.output import table

    as_of = _date(args, "as_of")
    report = auto_debit_report(as_of=as_of, project_code=args.project, segment=args.segment)
    text = table(
        ["unit", "customer", "arrears", "auto-debit", "since", "bank account", "last call"],
        [
            [r["unit"], r["customer"], r["arrears"], r["auto_debit_label"],
             r["auto_debit_on"] or "", r["bank_account"] or "", r["last_call"] or ""]
            for r in report["accounts"]
        ],
        right={2},
    )  # fmt: skip
    counts = ", ".join(f"{k} {v}" for k, v in report["counts"].items() if v) or "none"
    return _emit(args, report, f"{text}\n{len(report['accounts'])} accounts: {counts}")
