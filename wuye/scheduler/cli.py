"""`wuye runs enqueue bills|dunning` (one queued task per project) and `wuye worker`
(the queue workers and the daily scheduler in one process), issue 7, docs/scaling.md."""

from __future__ import annotations


def register(group, command) -> None:
    runs = group("runs", "queue the bill or dunning run, one task per project (issue 7)")
    p = command(runs, "enqueue", _enqueue, "queue one task per project for `wuye worker`")
    p.add_argument("kind", choices=["bills", "dunning"], help="bills or dunning")
    p.add_argument("--period", help="YYYY-MM (bills)")
    p.add_argument("--on", help="issue date / dunning date (default today)")
    p.add_argument("--project", help="project code (default every project)")
    p = command(group.top, "worker", _worker, "run queued tasks and the daily scheduler")
    p.add_argument("--once", action="store_true", help="one scheduler tick, run the queue empty")
    p.add_argument("--threads", type=int, default=1, help="queue workers (default 1)")
    p.add_argument("--interval", type=float, default=1.0, help="queue poll seconds (default 1)")
    p.add_argument("--tick", type=float, default=30.0, help="scheduler seconds (default 30)")
    p.add_argument("--no-schedule", dest="schedule", action="store_false", help="run tasks only")
    p.add_argument(
        "--stale-after",
        dest="stale_after",
        type=float,
        default=120.0,
        help="a worker on another host silent this long is dead (default 120 s)",
    )


def _enqueue(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.dates import Period
    from wuye.errors import WuyeError
    from wuye.output import table
    from wuye.scheduler.services import enqueue_bill_runs, enqueue_dunning_runs

    on = _date(args, "on")
    if args.kind == "bills":
        if not args.period:
            raise WuyeError("usage", "wuye runs enqueue bills: --period YYYY-MM is required")
        period = str(Period.parse(args.period))
        queued = enqueue_bill_runs(
            period=period, on=on, actor=_actor(args), project_code=args.project
        )
    else:
        queued = enqueue_dunning_runs(on=on, actor=_actor(args), project_code=args.project)
    data = {"kind": args.kind, "on": on, "queued": queued}
    text = table(["project", "task"], [[q["project"], q["task"]] for q in queued])
    return _emit(args, data, text + f"\n{len(queued)} {args.kind} task(s) queued")


def _worker(args) -> int:
    import logging
    import sys

    from wuye.errors import WuyeError
    from wuye.scheduler.services import work

    if args.threads < 1:
        raise WuyeError("usage", "wuye worker: --threads must be 1 or more")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    for name in ("wuye.scheduler", "django_tasks_db", "django_tasks"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    work(
        once=args.once,
        threads=args.threads,
        interval=args.interval,
        tick=args.tick,
        stale_after=args.stale_after,
        schedule=args.schedule,
    )
    return 0
