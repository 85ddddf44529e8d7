"""Amounts as printed: in figures (¥12,345.60) and in uppercase Chinese (大寫金額).

`cn2an` writes the uppercase in Simplified characters (叁, 贰, 陆, 万, 亿, 负); a
Traditional document needs 參, 貳, 陸, 萬, 億, 負. OpenCC's s2t gives 叄 for 叁, a
variant that banks in Hong Kong and Taiwan do not write, so it is mapped to 參 after the
conversion. cn2an truncates extra decimals, so the amount is rounded half up to 分 first.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import cn2an

from wuye.money import money

SIMPLIFIED = "zh-hans"
TRADITIONAL = "zh-hant"

# after OpenCC s2t: the variant it picks → the character written on Traditional documents
_TRADITIONAL_FIXES = str.maketrans({"叄": "參", "圆": "圓"})


@cache
def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_traditional(text: str) -> str:
    return _opencc("s2t").convert(text)


def to_simplified(text: str) -> str:
    return _opencc("t2s").convert(text)


def uppercase_amount(amount: Decimal | str | int, language: str = TRADITIONAL) -> str:
    """The amount in uppercase Chinese numerals for cheques and notices, e.g. 3.30 →
    參元參角 (Traditional) or 叁元叁角 (Simplified)."""
    text = cn2an.an2cn(str(money(amount)), "rmb")
    if language == SIMPLIFIED:
        return text
    return to_traditional(text).translate(_TRADITIONAL_FIXES)


def figures(amount: Decimal | str | int) -> str:
    """¥12,345.60 (a negative amount as -¥3.30)."""
    value = money(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def plain(amount: Decimal | str | int) -> str:
    """12,345.60: the figure in a table column."""
    return f"{money(amount):,.2f}"
