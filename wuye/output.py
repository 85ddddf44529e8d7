"""Formatting for the command line: JSON with amounts as strings, and plain tables."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from wuye.money import fmt


def _default(value):
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def table(headers: list[str], rows: list[list], right: set[int] | None = None) -> str:
    right = right or set()
    cells = [[str(c) if c is not None else "" for c in row] for row in rows]
    widths = [_width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], _width(cell))

    def line(values):
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - _width(v))
            parts.append(pad + v if i in right else v + pad)
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)
