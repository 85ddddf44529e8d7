"""Uppercase amounts (大寫金額) in Traditional and Simplified Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wuye.documents.amounts import figures, uppercase_amount

SIMPLIFIED_ONLY = set("叁叄贰陆万亿圆负")


@pytest.mark.parametrize(
    ("amount", "traditional", "simplified"),
    [
        ("0.05", "伍分", "伍分"),
        ("3.30", "參元參角", "叁元叁角"),
        ("10003.03", "壹萬零參元零參分", "壹万零叁元零叁分"),
        (
            "1234567.89",
            "壹佰貳拾參萬肆仟伍佰陸拾柒元捌角玖分",
            "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
        ),
        ("300000000.00", "參億元整", "叁亿元整"),
        ("2.00", "貳元整", "贰元整"),
    ],
)
def test_uppercase_amount_in_both_scripts(amount, traditional, simplified):
    assert uppercase_amount(Decimal(amount), "zh-hant") == traditional
    assert uppercase_amount(Decimal(amount), "zh-hans") == simplified


def test_traditional_uppercase_has_no_simplified_or_variant_character():
    """叄 is what OpenCC s2t gives for 叁; Traditional documents write 參."""
    for amount in ["3.33", "63.36", "2.22", "66666.66", "-3.00", "123456789012.34"]:
        text = uppercase_amount(Decimal(amount), "zh-hant")
        assert not SIMPLIFIED_ONLY & set(text), text


def test_uppercase_amount_rounds_half_up_to_fen_first():
    """cn2an truncates extra decimals; the printed amount is the one rounded to 分."""
    assert uppercase_amount(Decimal("3.335"), "zh-hant") == "參元參角肆分"
    assert uppercase_amount(Decimal("0.004"), "zh-hant") == "零元整"


def test_negative_amount_is_written_with_fu():
    assert uppercase_amount(Decimal("-3.30"), "zh-hant") == "負參元參角"
    assert uppercase_amount(Decimal("-3.30"), "zh-hans") == "负叁元叁角"


def test_figures_have_yuan_sign_thousands_and_two_decimals():
    assert figures(Decimal("12345.6")) == "¥12,345.60"
    assert figures(Decimal("0.05")) == "¥0.05"
    assert figures(Decimal("-3.3")) == "-¥3.30"
