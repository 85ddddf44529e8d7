"""The dunning decision (rule E2) as a pure function: given an account's arrears and what
its current arrears episode has already received, which step is next, if any.

Django-free so it can be tested exhaustively (hypothesis) and fed by one set-based query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Step:
    position: int
    days_overdue: int = 0
    gap_days: int = 0
    min_arrears: Decimal | None = None
    min_age_days: int | None = None
    without_result: bool = False
    repeat_every_days: int | None = None
    waits_for_delivery: bool = True


@dataclass(frozen=True)
class Sent:
    """A live step of the current episode (cancelled and voided ones are left out: a
    reissue stands for the notice it replaced, F1)."""

    level: int
    issued_on: dt.date
    settled_on: dt.date | None  # delivered, posted or done; None while pending


@dataclass(frozen=True)
class Facts:
    arrears: Decimal
    oldest_due: dt.date
    last_payment: dt.date | None = None


@dataclass(frozen=True)
class Decision:
    position: int | None
    reason: str


def days_overdue(oldest_due: dt.date, as_of: dt.date) -> int:
    """E1: as_of − due date; paying on the due date is on time."""
    return (as_of - oldest_due).days


def next_step(steps: list[Step], sent: list[Sent], facts: Facts, as_of: dt.date) -> Decision:
    """E2. Steps are ordered by position. At most one step per account per run date; the
    next level only when the previous one was delivered/posted (if it waits for that),
    its gap has passed since then, and its own trigger holds. Never a skipped level,
    never a level twice in an episode; a repeating step repeats every N days while
    the next step is not yet due."""
    if not steps:
        return Decision(None, "no policy steps")
    overdue = days_overdue(facts.oldest_due, as_of)
    if overdue <= 0:
        return Decision(None, "nothing overdue")
    if any(s.issued_on == as_of for s in sent):
        return Decision(None, "already acted today")
    by_position = {s.position: s for s in steps}
    ordered = sorted(by_position)
    last = max(sent, key=lambda s: (s.level, s.issued_on)) if sent else None
    if last is None:
        candidate = by_position[ordered[0]]
    else:
        previous = by_position.get(last.level)
        if previous is not None and previous.waits_for_delivery and last.settled_on is None:
            return Decision(None, f"level {last.level} not yet delivered")
        later = [p for p in ordered if p > last.level]
        candidate = by_position[later[0]] if later else None
        if candidate is not None and _triggered(candidate, last, facts, overdue, as_of):
            return Decision(candidate.position, "next level")
        if previous is not None and previous.repeat_every_days:
            since = (as_of - (last.settled_on or last.issued_on)).days
            if since >= previous.repeat_every_days:
                return Decision(previous.position, "repeat")
        if candidate is None:
            return Decision(None, "ladder complete")
        return Decision(None, f"level {candidate.position} not yet due")
    if _triggered(candidate, None, facts, overdue, as_of):
        return Decision(candidate.position, "first level")
    return Decision(None, f"level {candidate.position} not yet due")


def _triggered(step: Step, last: Sent | None, facts: Facts, overdue: int, as_of: dt.date) -> bool:
    if overdue < step.days_overdue:
        return False
    if last is not None:
        since = last.settled_on or last.issued_on
        if (as_of - since).days < step.gap_days:
            return False
        if step.without_result and facts.last_payment and facts.last_payment >= since:
            return False
    amount_ok = step.min_arrears is None or facts.arrears >= step.min_arrears
    age_ok = step.min_age_days is None or overdue >= step.min_age_days
    if step.min_arrears is not None and step.min_age_days is not None:
        return amount_ok or age_ok
    return amount_ok and age_ok
