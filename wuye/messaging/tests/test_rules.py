"""Pure parts: quiet hours, the frequency cap, backoff (defaults of RULES.md), and X1 on
templates (shipped and overridden in WUYE_TEMPLATE_DIR)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wuye.errors import WuyeError
from wuye.messaging import schedule
from wuye.messaging.templates import SHIPPED, load_template
from wuye.messaging.validation import find_supply_threats, refuse_supply_threats

SH = ZoneInfo("Asia/Shanghai")
QUIET = schedule.parse_quiet_hours("21:00-08:00")


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SH)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (t(12, 20, 59), None),
        (t(12, 21), t(13, 8)),
        (t(12, 23, 30), t(13, 8)),
        (t(13, 0, 5), t(13, 8)),
        (t(13, 7, 59), t(13, 8)),
        (t(13, 8), None),
    ],
)
def test_quiet_hours_span_midnight(now, until):
    """Defaults: no messages 21:00–08:00 local time."""
    assert schedule.quiet_until(now, QUIET) == until


def test_quiet_hours_within_a_day_and_none():
    quiet = schedule.parse_quiet_hours("12:00-14:00")
    assert schedule.quiet_until(t(12, 13), quiet) == t(12, 14)
    assert schedule.quiet_until(t(12, 15), quiet) is None
    assert schedule.parse_quiet_hours("") is None
    with pytest.raises(WuyeError):
        schedule.parse_quiet_hours("9pm-8am")


def test_frequency_cap_waits_for_the_oldest_to_leave_the_window():
    week = dt.timedelta(days=7)
    sent = [t(1, 10), t(3, 10), t(5, 10)]
    assert schedule.cap_wait_until(sent[:1], t(5, 11), cap=2, window=week) is None
    assert schedule.cap_wait_until(sent[:2], t(5, 11), cap=2, window=week) == t(8, 10)
    assert schedule.cap_wait_until(sent, t(5, 11), cap=2, window=week) == t(10, 10)
    assert schedule.cap_wait_until(sent, t(9, 11), cap=2, window=week) == t(10, 10)
    assert schedule.cap_wait_until(sent, t(10, 10), cap=2, window=week) is None


def test_backoff_doubles():
    base = dt.timedelta(minutes=5)
    assert [schedule.backoff(n, base=base).seconds // 60 for n in (1, 2, 3, 4)] == [5, 10, 20, 40]


def test_x1_shipped_templates_threaten_no_supply():
    """X1: the shipped message templates contain no threat to cut a supply."""
    for path in SHIPPED.glob("*.txt"):
        assert find_supply_threats(path.read_text(encoding="utf-8")) == [], path.name


def test_x1_every_threatening_wording_is_refused_and_ordinary_words_are_not():
    """X1: the four supplies in Traditional and Simplified, as verbs and as phrases; the
    words of ordinary bills (水費, 電費, 電話, 停車場) pass."""
    for text in ["停水", "停電", "停电", "斷水", "断水", "斷電", "停暖", "停氣", "停气",
                 "停止供水", "停止供電", "暫停供水", "暂停供电", "暫停供暖", "暫停供氣",
                 "暫停相關服務", "暂停相关服务", "停止相關服務", "切斷電源", "停暖氣",
                 "切斷水電", "停止水電"]:  # fmt: skip
        assert find_supply_threats(text), text
    for text in ["請繳交水費及電費", "電話：020-8888 0001", "停車場", "有關電費", "一切水電"]:
        assert find_supply_threats(text) == [], text
    with pytest.raises(WuyeError) as error:
        refuse_supply_threats("逾期將停水", what="template")
    assert error.value.code == "x1_supply_threat"


def test_x1_an_overriding_template_that_threatens_is_refused(tmp_path: Path, settings):
    """X1: an administrator's template in WUYE_TEMPLATE_DIR is used instead of the shipped
    one, and refused if it threatens to cut a supply."""
    (tmp_path / "r1_reminder.txt").write_text("至{年}年{月}月欠費{金額}元。", encoding="utf-8")
    settings.WUYE_TEMPLATE_DIRS = [tmp_path]
    assert load_template("r1_reminder.txt") == "至{年}年{月}月欠費{金額}元。"
    (tmp_path / "r1_reminder.txt").write_text("欠費{金額}元，逾期停電。", encoding="utf-8")
    with pytest.raises(WuyeError) as error:
        load_template("r1_reminder.txt")
    assert error.value.code == "x1_supply_threat"
