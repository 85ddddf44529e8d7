"""Money: one way to make amounts and one rounding function (STYLE §3).

Amounts are yuan with 2 decimals (分). Floats are refused everywhere: a float has
already lost the exact value, so accepting one would hide the bug that produced it.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from wuye.errors import WuyeError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# compare sums from the database with half a 分 of slack: SQLite sums REALs, so an exact
# zero may come back as 1e-13
HALF_FEN = Decimal("0.005")
# The largest amount one entry may carry: DecimalField(max_digits=14, decimal_places=2).
MAX_AMOUNT = Decimal("999999999999.99")


def D(value: str | int | Decimal) -> Decimal:
    """A Decimal from a string, an int or a Decimal; never from a float."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    if isinstance(value, Decimal):
        return value
    return Decimal(value)


def money(value: str | int | Decimal) -> Decimal:
    """Round to 分, half up (the rounding RULES.md prescribes where a rule divides)."""
    return D(value).quantize(CENT, rounding=ROUND_HALF_UP)


def floor_cents(value: Decimal) -> Decimal:
    """Round towards zero to 分 (used by pro-rata apportionment before the remainder)."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def to_fen(value: Decimal) -> int:
    """The amount in 分 as an int; the value must already have at most 2 places."""
    return int((value * 100).to_integral_value())


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


# Full-width forms (U+FF01-U+FF5E, typed by a Chinese input method in full-width mode) and
# the ideographic space, as their ASCII twins. Only these: NFKC would also turn "1²" into
# "12" or "①" into "1", which nobody means as an amount.
_HALF_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# ASCII digits only (str.isdigit and Decimal() also take Arabic-Indic and other digits);
# thousands separators only between groups of three, so "12,50" meant as 12.50 is not
# read as 1250.
_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]*)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]{1,20}")
_SHOWN = 40  # characters of the typed text quoted in a message


def _invalid(field: str, text: str, english: str, chinese: str) -> WuyeError:
    shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
    return WuyeError(
        "invalid_amount", f"{field}: '{shown}' {english}", f"{field}：「{shown}」{chinese}"
    )


def parse_amount(text: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse an amount typed by a person (CLI, API, web forms; one parser for all three):
    digits with an optional decimal point, at most 2 decimals (分), more than 0 (or 0 with
    `allow_zero`), at most MAX_AMOUNT.

    Accepted as well: spaces around it, a leading `+`, `.5` and `12.`, thousands separators in groups of
    three (`1,234.50`) and full-width digits, point and comma (`１２３．５０`, typed with a
    Chinese input method in full-width mode). Refused, naming the field: empty text,
    `NaN`, `Infinity`, exponents (`1e5`: write `100000`), other scripts' digits,
    underscores (`1_000`), misplaced separators (`12,50`), more than 2 decimals
    (`1.234`; `1.230` is 1.23), 0 or less, and more than MAX_AMOUNT (`1e20`)."""
    text = str(text)
    raw = text.translate(_HALF_WIDTH).strip()
    if not raw:
        raise _invalid(field, text, "is empty, not a number", "為空，不是數字")
    if _EXPONENT.fullmatch(raw):
        value = Decimal(raw)
        if value <= 0 or value > MAX_AMOUNT:
            _check_bounds(value, field=field, text=text, allow_zero=allow_zero)
        raise _invalid(
            field,
            text,
            "has an exponent: write the amount in digits (e.g. 100000.00)",
            "含指數記法：請以數字寫出金額（例如 100000.00）",
        )
    if not _NUMBER.fullmatch(raw):
        if _NUMBER.fullmatch(raw.replace(",", "")):
            raise _invalid(
                field,
                text,
                "has misplaced thousands separators (use 1,234.50 or 1234.50)",
                "千位分隔符位置有誤（請寫 1,234.50 或 1234.50）",
            )
        raise _invalid(field, text, "is not a number", "不是數字")
    value = Decimal(raw.replace(",", ""))
    _check_bounds(value, field=field, text=text, allow_zero=allow_zero)
    if value != value.quantize(CENT, rounding=ROUND_DOWN):
        raise _invalid(field, text, "has more than 2 decimals (分)", "超過兩位小數（分）")
    return value.quantize(CENT)


def _check_bounds(value: Decimal, *, field: str, text: str, allow_zero: bool) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise _invalid(
            field,
            text,
            "must be 0 or more" if allow_zero else "must be more than 0",
            "不可為負數" if allow_zero else "必須大於零",
        )
    if value > MAX_AMOUNT:
        raise _invalid(field, text, f"is larger than {MAX_AMOUNT}", f"超過上限 {MAX_AMOUNT}")


def check_amount(amount: Decimal) -> Decimal:
    """A money amount a service accepts: a finite, positive Decimal with at most 2 places,
    not absurdly large (the CLI and API parse text with `parse_amount` first)."""
    # is_finite first: comparing or rounding NaN/Infinity raises InvalidOperation instead.
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount > MAX_AMOUNT
        or money(amount) != amount
    ):
        raise WuyeError(
            "invalid_amount",
            f"amount: {amount} must be positive with at most 2 decimals",
            f"金額：{amount} 必須為正數且最多兩位小數",
        )
    return amount


def fmt(value: Decimal) -> str:
    """Amounts as strings with 2 decimals (for JSON and screens)."""
    return f"{money(value):.2f}"
