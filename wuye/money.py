"""Money: one way to make amounts and one rounding function (STYLE §3).

Amounts are yuan with 2 decimals (分). Floats are refused everywhere: a float has
already lost the exact value, so accepting one would hide the bug that produced it.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

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


def parse_amount(text: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Parse an amount typed by a user: a number, at most 2 decimals, positive, not absurd."""
    raw = str(text).strip().replace(",", "")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise WuyeError(
            "invalid_amount",
            f"{field}: '{text}' is not a number",
            f"{field}：「{text}」不是數字",
        ) from None
    if not value.is_finite():
        raise WuyeError(
            "invalid_amount", f"{field}: '{text}' is not a number", f"{field}：「{text}」不是數字"
        )
    if value < 0 or (value == 0 and not allow_zero):
        raise WuyeError(
            "invalid_amount",
            f"{field}: '{text}' must be more than 0",
            f"{field}：「{text}」必須大於零",
        )
    if value > MAX_AMOUNT:
        raise WuyeError(
            "invalid_amount",
            f"{field}: '{text}' is larger than {MAX_AMOUNT}",
            f"{field}：「{text}」超過上限 {MAX_AMOUNT}",
        )
    # Checked after the bounds: quantize raises on a huge value such as 1e999.
    if value != value.quantize(CENT, rounding=ROUND_DOWN) and value.as_tuple().exponent < -2:
        raise WuyeError(
            "invalid_amount",
            f"{field}: '{text}' has more than 2 decimals (分)",
            f"{field}：「{text}」超過兩位小數（分）",
        )
    return value.quantize(CENT)


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
