"""Quiet hours and the frequency cap hold calls as they hold messages (issue 5,
"Channels"; RULES.md defaults: quiet hours 21:00–08:00)."""

import datetime as dt
from decimal import Decimal

import pytest

from wuye.collection.selectors import call_worklist
from wuye.collection.services import record_call
from wuye.errors import WuyeError

from .scenario import CALL_DAY, overdue_account, task


def call(account, on, **kwargs):
    return record_call(unit_code=account.unit.code, on=on, staff="cs-li", reason="forgot",
                       amount_stated=Decimal("2500.00"), outcome="no_answer", **kwargs)  # fmt: skip


@pytest.mark.django_db
def test_the_list_holds_calls_in_the_quiet_hours():
    """R2, defaults: at 21:30 and at 07:45 local time the account is held with the
    reason; at 09:00 it may be called."""
    account = overdue_account()
    task(account, "call", CALL_DAY)
    for at, held in [(dt.time(21, 30), True), (dt.time(7, 45), True), (dt.time(9, 0), False)]:
        [row] = call_worklist(on=CALL_DAY, at=at)
        assert (row["held"] is not None) is held, at
    [row] = call_worklist(on=CALL_DAY, at=dt.time(22, 0))
    assert row["held"] == "quiet hours until 08:00"


@pytest.mark.django_db
def test_a_call_in_the_quiet_hours_is_refused_and_nothing_written():
    """R2, defaults: logging a call made at 22:15 is refused with a clear error."""
    account = overdue_account()
    with pytest.raises(WuyeError) as refused:
        call(account, CALL_DAY, at=dt.time(22, 15))
    assert refused.value.code == "quiet_hours" and "08:00" in refused.value.message
    assert not account.contacts.exists()
    call(account, CALL_DAY, at=dt.time(10, 0))  # within hours: logged
    assert account.contacts.count() == 1


@pytest.mark.django_db
def test_three_calls_in_a_week_hold_the_account():
    """R2, defaults: after max_calls_per_week (3) calls in 7 days the account is held
    off the caller's list until the oldest leaves the window."""
    account = overdue_account()
    task(account, "call", CALL_DAY)
    for offset in range(3):
        call(account, CALL_DAY + dt.timedelta(days=offset))
    [row] = call_worklist(on=CALL_DAY + dt.timedelta(days=2), at=dt.time(10, 0))
    assert row["held"].startswith("frequency cap: 3 calls")
    [row] = call_worklist(on=CALL_DAY + dt.timedelta(days=7), at=dt.time(10, 0))
    assert row["held"] is None  # the first call left the 7-day window


@pytest.mark.django_db
def test_an_administrator_edits_the_faq_and_a_threat_is_refused(capsys):
    """R4: the prepared answers are data an administrator adds and changes; X1: an answer
    threatening to cut a utility is refused and nothing is saved."""
    import json

    from wuye.cli import main
    from wuye.collection.models import FaqEntry

    before = FaqEntry.objects.count()
    assert main(["faq", "set", "--reason", "forgot", "--question", "可以網上繳費嗎？",
                 "--answer", "可以，請掃描帳單上的二維碼。", "--json"]) == 0  # fmt: skip
    entry = FaqEntry.objects.get(pk=json.loads(capsys.readouterr().out)["id"])
    assert (entry.reason, entry.active) == ("forgot", True)
    assert main(["faq", "set", "--id", str(entry.pk), "--reason", "forgot", "--question",
                 entry.question, "--answer", "不繳費將停水停電。"]) == 2  # fmt: skip
    assert "X1" in capsys.readouterr().err
    entry.refresh_from_db()
    assert entry.answer == "可以，請掃描帳單上的二維碼。" and FaqEntry.objects.count() == before + 1
