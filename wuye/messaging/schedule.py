"""When a message may go out: quiet hours, the frequency cap and retry backoff. Pure
functions of their arguments (no database, no clock), so they are tested directly."""

from __future__ import annotations

import datetime as dt

from wuye.errors import WuyeError


def parse_quiet_hours(text: str) -> tuple[dt.time, dt.time] | None:
    """ "21:00-08:00" → (21:00, 08:00); empty or "none" → no quiet hours."""
    text = (text or "").strip()
    if text.lower() in ("", "none", "off"):
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise WuyeError(
            "invalid_policy",
            f"quiet_hours: '{text}' is not HH:MM-HH:MM",
            f"quiet_hours：「{text}」不是 HH:MM-HH:MM",
        ) from None
    return (start, end) if start != end else None


def quiet_until(local: dt.datetime, quiet: tuple[dt.time, dt.time] | None) -> dt.datetime | None:
    """The end of the quiet hours `local` (an aware datetime in the project's time zone)
    falls in, or None when a message may go now. Quiet hours may span midnight."""
    if quiet is None:
        return None
    start, end = quiet
    now = local.time().replace(tzinfo=None)
    day = local.date()
    if start > end:  # e.g. 21:00-08:00
        if now >= start:
            day += dt.timedelta(days=1)
        elif now >= end:
            return None
    elif not start <= now < end:
        return None
    return dt.datetime.combine(day, end, tzinfo=local.tzinfo)


def cap_wait_until(
    sent_times: list[dt.datetime], now: dt.datetime, *, cap: int, window: dt.timedelta
) -> dt.datetime | None:
    """Frequency cap: at most `cap` messages to an account within any `window`. Given the
    times of messages already sent, when the next may go (None: now)."""
    if cap <= 0:
        return None
    recent = sorted(t for t in sent_times if now - window < t <= now)
    if len(recent) < cap:
        return None
    # the oldest message that must leave the window before one more fits
    return recent[len(recent) - cap] + window


def backoff(attempts: int, *, base: dt.timedelta) -> dt.timedelta:
    """Exponential backoff after the `attempts`-th failed try: base, 2·base, 4·base …"""
    return base * (2 ** max(attempts - 1, 0))
