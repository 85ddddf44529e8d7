"""`wuye messages …`: the outbox of SMS and e-mail (R1 reminders, M5 broadcasts, the
Channels of issue 5): thin handlers over wuye.messaging.services and selectors."""

from __future__ import annotations


def register(group, command) -> None:
    messages = group("messages", "SMS and e-mail through the outbox (R1, M5)")
    p = command(messages, "enqueue", _enqueue, "messages for the SMS/e-mail notices of a date")
    p.add_argument("--as-of", dest="as_of", help="issue date of the notices (default today)")
    p.add_argument("--project", help="project code (default: every project)")
    p = command(messages, "send", _send, "send what is due (quiet hours, cap, retries)")
    p.add_argument("--now", help="ISO date-time (default: now); without zone: Asia/Shanghai")
    p.add_argument("--limit", type=int, help="at most this many messages")
    p = command(messages, "list", _list, "messages in the outbox")
    p.add_argument("--status", help="queued, sending, sent, delivered, failed, unknown, cancelled")
    p.add_argument("--project", help="project code")
    p = command(messages, "review", _review, "decide a message whose outcome is unknown")
    p.add_argument("id")
    p.add_argument("--resolution", required=True, choices=["sent", "resend", "failed"])
    p = command(messages, "broadcast", _broadcast, "a message to all owners (M5)")
    p.add_argument("--project", required=True)
    p.add_argument("--building", help="building code (default: the whole project)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="the message")
    what.add_argument("--template", help="a template file (WUYE_TEMPLATE_DIR or shipped)")
    p.add_argument("--channel", default="sms", choices=["sms", "email"])
    p.add_argument("--subject", default="", help="e-mail subject")
    p.add_argument("--on", help="date (default today)")


def _now(args):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.utils import timezone

    from wuye.errors import WuyeError

    if not args.now:
        return timezone.now()  # the outer edge may read the clock
    try:
        value = dt.datetime.fromisoformat(args.now.strip())
    except ValueError:
        raise WuyeError(
            "invalid_datetime",
            f"--now: '{args.now}' is not an ISO date-time",
            f"--now：「{args.now}」不是 ISO 日期時間",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return value


def _enqueue(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.messaging.services import enqueue_for_date

    on = _date(args, "as_of")
    counts = enqueue_for_date(on=on, actor=_actor(args), project_code=args.project)
    data = {"as_of": on, **counts}
    text = ", ".join(f"{k} {v}" for k, v in counts.items())
    return _emit(args, data, f"messages for notices of {on}: {text}")


def _send(args) -> int:
    from wuye.cli import _actor, _emit
    from wuye.messaging.services import send_pending

    now = _now(args)
    counts = send_pending(now=now, limit=args.limit, actor=_actor(args))
    text = ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "nothing due"
    return _emit(args, {"now": now, **counts}, f"{now.isoformat()}: {text}")


def _list(args) -> int:
    from wuye.cli import _emit
    from wuye.messaging.selectors import message_dict, messages
    from wuye.output import table

    rows = [message_dict(m) for m in messages(status=args.status, project_code=args.project)]
    text = table(
        ["id", "account", "channel", "to", "status", "tries", "next", "sent", "note"],
        [
            [r["id"], r["account"], r["channel"], r["recipient"], r["status"], r["attempts"],
             r["next_attempt_at"].isoformat(timespec="minutes") if r["next_attempt_at"] else "",
             r["sent_at"].isoformat(timespec="minutes") if r["sent_at"] else "",
             r["last_error"][:60]]
            for r in rows
        ],
        right={0, 5},
    )  # fmt: skip
    return _emit(args, {"messages": rows}, f"{text}\n{len(rows)} messages")


def _review(args) -> int:
    from wuye.cli import _actor, _emit
    from wuye.messaging.selectors import message_dict
    from wuye.messaging.services import review_unknown

    message = review_unknown(args.id, resolution=args.resolution, actor=_actor(args))
    return _emit(
        args,
        message_dict(message),
        f"message {message.pk}: {args.resolution} → {message.status}",
    )


def _broadcast(args) -> int:
    from wuye.cli import _actor, _date, _emit
    from wuye.messaging.services import broadcast

    row = broadcast(
        project_code=args.project,
        building_code=args.building,
        text=args.text,
        template=args.template,
        channel=args.channel,
        subject=args.subject,
        on=_date(args, "on"),
        actor=_actor(args),
    )
    data = {
        "broadcast": row.pk,
        "project": args.project,
        "building": args.building,
        "on": row.on,
        "channel": row.channel,
        "messages_created": row.messages_created,
        "skipped_no_contact": row.skipped_no_contact,
    }
    return _emit(
        args,
        data,
        f"broadcast {row.pk}: {row.messages_created} messages queued, "
        f"{row.skipped_no_contact} accounts without a designated contact's address",
    )
