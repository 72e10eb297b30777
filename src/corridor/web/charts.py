"""Server-rendered SVG charts for the consoles (pure): bars over time, counters on a log scale.

Each chart is an ``<svg role="img">`` with a title and a description naming every value,
so that a screen reader gets the numbers the picture shows (WCAG 2.2 §1.1.1). Text is
escaped; sizes are in SVG user units and the stylesheet scales the chart to its column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

_WIDTH = 640
_HEIGHT = 220
_LEFT = 44
_BOTTOM = 28
_TOP = 12
_CJK_START = 0x2E80  # CJK Radicals Supplement: wide characters from here on (Unicode)
_COLOURS = {"permit": "#2e7d4f", "deny": "#b3261e", "review": "#b06000", "count": "#0b5cad"}


@dataclass(frozen=True)
class Bar:
    """One bar: its label and stacked values as ``(series, value)``."""

    label: str
    values: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """The height of the stack."""
        return sum(value for _, value in self.values)


def _text_width(text: str) -> float:
    """Rough width of a label at 12 px: CJK characters are about twice as wide as Latin."""
    return sum(12.5 if ord(char) >= _CJK_START else 7.0 for char in text)


def _label_margin(labels: Sequence[str]) -> float:
    return min(280.0, max([60.0] + [_text_width(label) + 16 for label in labels]))


def _nice_max(value: int) -> int:
    if value <= 4:  # noqa: PLR2004
        return 4
    magnitude: int = 10 ** int(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return value


def _svg(title: str, description: str, body: list[str], height: int = _HEIGHT) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704  # every text part is escaped above


def stacked_bars(title: str, bars: Sequence[Bar], series_names: dict[str, str]) -> Markup:
    """Vertical stacked bars, one per label (days), with a y axis from zero."""
    top = _nice_max(max((bar.total for bar in bars), default=0))
    plot_height = _HEIGHT - _TOP - _BOTTOM
    slot = (_WIDTH - _LEFT - 8) / max(len(bars), 1)
    body = [
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_HEIGHT - _BOTTOM}" stroke="#7a8699"/>',
        (
            f'<line x1="{_LEFT}" y1="{_HEIGHT - _BOTTOM}" x2="{_WIDTH - 8}" '
            f'y2="{_HEIGHT - _BOTTOM}" stroke="#7a8699"/>'
        ),
    ]
    for tick in (0, top // 2, top):
        y = _HEIGHT - _BOTTOM - plot_height * tick / top
        body.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    described = []
    for position, bar in enumerate(bars):
        x = _LEFT + 4 + position * slot
        base = float(_HEIGHT - _BOTTOM)
        for series, value in bar.values:
            if value <= 0:
                continue
            height = plot_height * value / top
            base -= height
            name = series_names.get(series, series)
            body.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{max(slot - 6, 2):.1f}" '
                f'height="{height:.1f}" fill="{_COLOURS.get(series, "#0b5cad")}">'
                f"<title>{escape(bar.label)}: {escape(name)} {value}</title></rect>"
            )
        if len(bars) <= 16 or position % 2 == 0:  # noqa: PLR2004  # keep labels legible
            body.append(
                f'<text x="{x + slot / 2 - 3:.1f}" y="{_HEIGHT - 10}" text-anchor="middle">'
                f"{escape(bar.label)}</text>"
            )
        if bar.total:
            parts = ", ".join(
                f"{series_names.get(series, series)} {value}" for series, value in bar.values
            )
            described.append(f"{bar.label}: {parts}")
    return _svg(title, "; ".join(described) or title, body)


@dataclass(frozen=True)
class Gauge:
    """A count against the limits that change what the law requires."""

    label: str
    value: int
    limits: tuple[tuple[str, int], ...]


def log_gauges(title: str, gauges: Sequence[Gauge], *, scale_note: str) -> Markup:
    """Horizontal bars on a log₁₀ scale with a marker at each limit (counts vs thresholds)."""
    row = 44
    height = _TOP + row * max(len(gauges), 1) + _BOTTOM
    highest = max([1] + [g.value for g in gauges] + [v for g in gauges for _, v in g.limits])
    decades = max(1, math.ceil(math.log10(highest * 1.5)))
    left = _label_margin([gauge.label for gauge in gauges])
    span = _WIDTH - left - 44  # room for the last tick's label

    def x_of(value: int) -> float:
        return left + span * math.log10(max(value, 1)) / decades

    body = []
    for decade in range(decades + 1):
        x = left + span * decade / decades
        body.append(
            f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{height - _BOTTOM}" '
            'stroke="#d5dbe3"/>'
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{10**decade:,}</text>'
        )
    described = []
    for position, gauge in enumerate(gauges):
        y = _TOP + position * row
        body.append(
            f'<text x="{left - 8}" y="{y + 20}" text-anchor="end">{escape(gauge.label)}</text>'
            f'<rect x="{left}" y="{y + 8}" width="{max(x_of(gauge.value) - left, 2):.1f}" '
            f'height="16" fill="{_COLOURS["count"]}"><title>{escape(gauge.label)}: '
            f"{gauge.value}</title></rect>"
        )
        for name, limit in gauge.limits:
            x = x_of(limit)
            body.append(
                f'<line x1="{x:.1f}" y1="{y + 2}" x2="{x:.1f}" y2="{y + 30}" stroke="#b3261e" '
                f'stroke-width="3"><title>{escape(name)}: {limit:,}</title></line>'
            )
        limits = ", ".join(f"{name} {limit:,}" for name, limit in gauge.limits)
        described.append(f"{gauge.label}: {gauge.value:,} ({limits})")
    return _svg(title, f"{scale_note}. " + "; ".join(described), body, height=height)


def horizontal_bars(title: str, values: Sequence[tuple[str, int]]) -> Markup:
    """One horizontal bar per category, from zero."""
    row = 30
    height = _TOP + row * max(len(values), 1) + 8
    top = _nice_max(max((value for _, value in values), default=0))
    left = _label_margin([label for label, _ in values])
    span = _WIDTH - left - 60
    body = []
    for position, (label, value) in enumerate(values):
        y = _TOP + position * row
        width = span * value / top
        body.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{max(width, 2):.1f}" height="16" '
            f'fill="{_COLOURS["count"]}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{left + width + 6:.1f}" y="{y + 16}">{value}</text>'
        )
    described = "; ".join(f"{label}: {value}" for label, value in values)
    return _svg(title, described or title, body, height=height)
