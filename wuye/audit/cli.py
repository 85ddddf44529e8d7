"""`wuye audit check | log | seal` (issue 8, docs/audit.md)."""

from __future__ import annotations


def register(group, command) -> None:
    audit = group("audit", "the append-only audit log (稽核紀錄)")
    p = command(audit, "check", _check,
                "verify the audit log's hash chain and the ledger against the log")  # fmt: skip
    p.add_argument("--no-seal", dest="seal", action="store_false",
                   help="do not seal new events first")  # fmt: skip
    p = command(audit, "log", _log, "list audit events, newest first")
    p.add_argument("--table", help="only this table, e.g. ledger_entry, policies_policysetting")
    p.add_argument("--since", help="from this date (YYYY-MM-DD)")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    command(audit, "seal", _seal, "seal new events into the hash chain")


def _check(args) -> int:
    from wuye.audit.check import check
    from wuye.output import to_json

    result = check(seal_first=args.seal)
    if getattr(args, "json", False):
        print(to_json(result.as_dict()))
    else:
        print(
            f"audit events: {result.events:,} in the chain ({result.sealed_now:,} sealed now,"
            f" {result.unsealed:,} not yet sealed); ledger entries: {result.entries:,} in"
            f" {result.audited_inserts:,} audited inserts"
        )
        for problem in result.problems:
            print(f"  DIFFERS: {problem}")
        print("audit check: OK" if result.ok else f"audit check: {len(result.problems)} problems")
    return 0 if result.ok else 1


def _log(args) -> int:
    from wuye.audit.selectors import events
    from wuye.cli import _emit
    from wuye.dates import parse_date
    from wuye.output import table

    since = parse_date(args.since, field="since") if args.since else None
    rows = [
        {
            "id": e.id,
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "table": e.table,
            "object_id": e.object_id,
            "before": e.before,
            "after": e.after,
            "seq": e.seq,
        }
        for e in events(table=args.table, since=since, limit=args.limit)
    ]
    text = table(
        ["id", "at", "actor", "action", "table", "object", "change"],
        [[r["id"], r["at"], r["actor"], r["action"], r["table"], r["object_id"], _change(r)]
         for r in rows],
    )  # fmt: skip
    return _emit(args, rows, text)


def _change(row: dict) -> str:
    before, after = row["before"] or {}, row["after"] or {}
    if row["action"] == "update":
        keys = [k for k in after if before.get(k) != after.get(k)]
        return "; ".join(f"{k}: {before.get(k)} → {after.get(k)}" for k in keys)[:120]
    if row["table"] == "ledger_entry":
        return f"{after.get('rows')} rows, {after.get('amount')}"
    return ", ".join(f"{k}={v}" for k, v in (after or before).items())[:120]


def _seal(args) -> int:
    from wuye.audit.services import seal
    from wuye.cli import _emit

    count = seal()
    return _emit(args, {"sealed": count}, f"sealed {count} audit events")
