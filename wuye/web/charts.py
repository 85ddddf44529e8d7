"""Bar and line charts as inline SVG for the dashboards (issue 6): drawn on the server, no
JavaScript and nothing fetched from elsewhere. Each chart is readable without seeing it:
the SVG has a title and a description listing every value (role="img"), each bar or
point carries its value as text, and the axes are labelled. The pages show the same
figures as a table beneath each chart.

Values are the figures themselves (Decimal amounts or rates, ints for counts); only the
pixel positions are floats. A missing value (None, e.g. a rate of a month with nothing
billed) is drawn as a gap and shown as "–"."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

Number = Decimal | int
Formatter = Callable[[Number], str]

#: series colours, distinguishable in print and for common colour blindness (Okabe–Ito)
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"]
MISSING = "–"

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 46, 56  # margins: axis labels, title, x labels


@dataclass(frozen=True)
class Series:
    """One named row of values, one per label (None: no figure)."""

    name: str
    values: Sequence[Number | None]


def amount(value: Number) -> str:
    """12345.6 → '12,345.60'; an int stays whole."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{Decimal(value).quantize(Decimal('0.01')):,.2f}"


def percent(value: Number) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1'))}%"


def count(value: Number) -> str:
    return f"{int(value):,}"


def nice_ticks(low: Number, high: Number, *, steps: int = 5, whole: bool = False) -> list[Decimal]:
    """Round axis ticks covering [low, high] (low ≤ 0 ≤ high): steps of 1, 2, 2.5 or 5
    times a power of ten, so the labels read 0, 500, 1,000 …, never 0, 437, 874.
    `whole`: counts, so a step is at least 1."""
    low, high = Decimal(min(low, 0)), Decimal(max(high, 0))
    span = high - low
    if span == 0:
        return [Decimal(0), Decimal(1)]
    raw = span / steps
    if whole:
        raw = max(raw, Decimal(1))
    power = Decimal(10) ** raw.adjusted()
    factors = (1, 2, 5, 10) if whole else (1, 2, Decimal("2.5"), 5, 10)
    step = next(m * power for m in factors if m * power >= raw)
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    ticks = [first]
    while ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return [Decimal(int(t)) if t == t.to_integral_value() else t.normalize() for t in ticks]


def _tick_text(tick: Decimal, unit: str) -> str:
    text = f"{tick:,f}" if tick == tick.to_integral_value() else f"{tick:f}"
    return f"{text}{'%' if unit == '%' else ''}"


def _chart_id(title: str, labels: Sequence[str]) -> str:
    digest = hashlib.sha1(f"{title}|{'|'.join(labels)}".encode()).hexdigest()[:10]
    return f"chart-{digest}"


class _Frame:
    """The plotting area and the value → y mapping of one chart."""

    def __init__(self, values: list[Number], *, width: int, height: int):
        self.width, self.height = width, height
        whole = all(isinstance(v, int) for v in values)
        self.ticks = nice_ticks(min(values, default=0), max(values, default=0), whole=whole)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.x0, self.x1 = LEFT, width - RIGHT
        self.y0, self.y1 = height - BOTTOM, TOP  # y0: the bottom of the plot

    def y(self, value: Number) -> float:
        share = (Decimal(value) - self.low) / (self.high - self.low)
        return round(self.y0 - float(share) * (self.y0 - self.y1), 1)


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="inherit" font-size="11">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="600">{escape(title)}</text>',
    ]


def _axes(frame: _Frame, unit: str, y_label: str) -> list[str]:
    parts = ['<g class="axis" stroke="#5b6470" stroke-width="1">']
    parts.append(f'<line x1="{frame.x0}" y1="{frame.y1}" x2="{frame.x0}" y2="{frame.y0}"/>')
    parts.append("</g>")
    parts.append('<g class="y-ticks" text-anchor="end" fill="#5b6470">')
    for tick in frame.ticks:
        y = frame.y(tick)
        colour = "#5b6470" if tick == 0 else "#d9dde3"  # the zero line is the x axis
        parts.append(f'<line x1="{frame.x0}" y1="{y}" x2="{frame.x1}" y2="{y}" stroke="{colour}"/>')
        parts.append(
            f'<text x="{frame.x0 - 6}" y="{y + 4}">{escape(_tick_text(tick, unit))}</text>'
        )
    parts.append("</g>")
    if y_label:
        middle = (frame.y0 + frame.y1) / 2
        parts.append(
            f'<text class="y-label" x="14" y="{middle}" text-anchor="middle" fill="#5b6470" '
            f'transform="rotate(-90 14 {middle})">{escape(y_label)}</text>'
        )
    return parts


def _x_labels(frame: _Frame, centres: list[float], labels: Sequence[str]) -> list[str]:
    slant = len(labels) > 8 or max((len(label) for label in labels), default=0) > 10
    parts = ['<g class="x-labels" fill="#111">']
    for x, label in zip(centres, labels, strict=True):
        y = frame.y0 + 16
        if slant:
            parts.append(
                f'<text x="{x}" y="{y}" text-anchor="end" '
                f'transform="rotate(-30 {x} {y})">{escape(label)}</text>'
            )
        else:
            parts.append(f'<text x="{x}" y="{y}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</g>")
    return parts


def _legend(series: Sequence[Series], frame: _Frame) -> list[str]:
    if len(series) < 2:
        return []
    parts = ['<g class="legend">']
    x = frame.x0
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="22" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="31">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name) + 6 * sum(1 for c in s.name if ord(c) > 0x2E80)
    parts.append("</g>")
    return parts


def _description(labels: Sequence[str], series: Sequence[Series], fmt: Formatter) -> str:
    rows = []
    for s in series:
        values = "；".join(
            f"{label}：{fmt(v) if v is not None else MISSING}"
            for label, v in zip(labels, s.values, strict=True)
        )
        rows.append(f"{s.name}：{values}" if len(series) > 1 or s.name else values)
    return "。".join(rows)


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r}: {len(s.values)} values for {len(labels)} labels")


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = amount,
    unit: str = "",
    y_label: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    """Grouped vertical bars: one group per label, one bar per series, each bar with its
    value written above it (below it when negative). `unit` '%' puts % on the ticks."""
    _check(labels, series)
    values = [v for s in series for v in s.values if v is not None]
    frame = _Frame(values, width=width, height=height)
    chart_id = _chart_id(title, labels)
    parts = _open(chart_id, title, _description(labels, series, fmt), width, height)
    parts += _axes(frame, unit, y_label)
    slot = (frame.x1 - frame.x0) / max(len(labels), 1)
    bar = min(48.0, slot * 0.8 / max(len(series), 1))
    centres = [round(frame.x0 + slot * (i + 0.5), 1) for i in range(len(labels))]
    zero = frame.y(0)
    parts.append('<g class="bars">')
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for label, centre, value in zip(labels, centres, s.values, strict=True):
            x = round(centre - bar * len(series) / 2 + bar * index, 1)
            text = fmt(value) if value is not None else MISSING
            name = f"{s.name} " if len(series) > 1 else ""
            middle = round(x + bar / 2, 1)
            if value is None:
                parts.append(
                    f'<text class="value" x="{middle}" y="{zero - 4}" text-anchor="middle" '
                    f'fill="#5b6470">{MISSING}</text>'
                )
                continue
            top = frame.y(value)
            y, h = min(top, zero), round(abs(zero - top), 1)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{round(bar - 2, 1)}" height="{h}" '
                f'fill="{colour}"><title>{escape(f"{name}{label}：{text}")}</title></rect>'
            )
            label_y = round(top - 4 if value >= 0 else top + 12, 1)
            parts.append(
                f'<text class="value" x="{middle}" y="{label_y}" text-anchor="middle">'
                f"{escape(text)}</text>"
            )
    parts.append("</g>")
    parts += _x_labels(frame, centres, labels)
    parts += _legend(series, frame)
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # every text above went through escape()


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = amount,
    unit: str = "",
    y_label: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    """One line per series across the labels (e.g. months), a dot with its value at each
    point; a missing value breaks the line."""
    _check(labels, series)
    values = [v for s in series for v in s.values if v is not None]
    frame = _Frame(values, width=width, height=height)
    chart_id = _chart_id(title, labels)
    parts = _open(chart_id, title, _description(labels, series, fmt), width, height)
    parts += _axes(frame, unit, y_label)
    slot = (frame.x1 - frame.x0) / max(len(labels), 1)
    centres = [round(frame.x0 + slot * (i + 0.5), 1) for i in range(len(labels))]
    parts.append('<g class="lines">')
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for centre, value in zip(centres, s.values, strict=True):
            if value is None:
                runs.append([])
            else:
                runs[-1].append((centre, frame.y(value)))
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x},{y}" for x, y in run)
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
        name = f"{s.name} " if len(series) > 1 else ""
        for label, centre, value in zip(labels, centres, s.values, strict=True):
            if value is None:
                continue
            y = frame.y(value)
            text = fmt(value)
            parts.append(
                f'<circle cx="{centre}" cy="{y}" r="3.5" fill="{colour}">'
                f"<title>{escape(f'{name}{label}：{text}')}</title></circle>"
            )
            parts.append(
                f'<text class="value" x="{centre}" y="{round(y - 7 - 11 * index, 1)}" '
                f'text-anchor="middle" fill="{colour}">{escape(text)}</text>'
            )
    parts.append("</g>")
    parts += _x_labels(frame, centres, labels)
    parts += _legend(series, frame)
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # every text above went through escape()
