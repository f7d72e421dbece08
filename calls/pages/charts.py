"""Bar and line charts drawn as SVG on the server: no JavaScript, nothing from a CDN.

    chart = Chart.draw("Calls per day", ["Mar 1", "Mar 2"], bars=[Series("Booked", [3, 5])],
                       lines=[Series("p95", [820.0, None])], unit="ms")
    chart.svg        # safe markup for a template; chart.rows() for the table beside it

Bars stack (or stand side by side with stacked=False); lines are drawn over them, broken where
a value is missing. Colours are the Okabe-Ito palette, which colour-blind readers can tell apart.
"""

import math
from dataclasses import dataclass, field
from itertools import count

from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D00", "#4D4D4D"]
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 78, 12, 14, 44
MAX_BAR_W = 64
FONT = 13
MAX_X_LABELS = 8
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list
    color: str = ""


def nice_ceiling(value):
    """The smallest 1, 2, 2.5 or 5 x 10^n at or above `value` (an axis that reads well)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value * (1 - 1e-9))


def axis_top(value, *, whole=False):
    """Where the value axis ends; with whole numbers (counts), every gridline is one too."""
    top = nice_ceiling(value)
    if whole:
        top = max(4, math.ceil(top / 4) * 4)
    return top


def number(value, unit=""):
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip() if unit and unit != "%" else text + unit


@dataclass
class Chart:
    title: str
    categories: list
    bars: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    unit: str = ""
    stacked: bool = True
    whole: bool = False
    scale_max: float | None = None
    svg: str = ""
    chart_id: str = ""

    @classmethod
    def draw(cls, title, categories, *, bars=(), lines=(), unit="", stacked=True, whole=False, scale_max=None):
        """`whole`: the values are counts; `scale_max`: a fixed top for the axis (e.g. 100 %)."""
        colors = iter(PALETTE * 2)
        painted = [Series(s.name, list(s.values), s.color or next(colors)) for s in [*bars, *lines]]
        chart = cls(
            title, list(categories), painted[: len(bars)], painted[len(bars) :], unit, stacked, whole, scale_max
        )
        chart.chart_id = f"chart-{next(_ids)}"
        chart.svg = mark_safe(_Drawing(chart).svg())
        return chart

    @property
    def series(self):
        return [*self.bars, *self.lines]

    @property
    def is_empty(self):
        """Nothing to draw: no bar above zero and no point on a line (a 0 % day is a point)."""
        return not any(v for s in self.bars for v in s.values) and all(v is None for s in self.lines for v in s.values)

    def rows(self):
        """(category, [value per series]) for the figures table under the chart."""
        return [(category, [s.values[i] for s in self.series]) for i, category in enumerate(self.categories)]

    def top(self):
        tops = []
        for i in range(len(self.categories)):
            bar_values = [s.values[i] or 0 for s in self.bars]
            tops.append(sum(bar_values) if self.stacked else max(bar_values, default=0))
            tops.extend(s.values[i] for s in self.lines if s.values[i] is not None)
        return max(tops, default=0)


class _Drawing:
    def __init__(self, chart):
        self.chart = chart
        self.scale_max = chart.scale_max or axis_top(chart.top(), whole=chart.whole)
        self.plot_w = WIDTH - LEFT - RIGHT
        self.plot_h = HEIGHT - TOP - BOTTOM
        self.slot = self.plot_w / max(1, len(chart.categories))

    def y(self, value):
        return TOP + self.plot_h - (value / self.scale_max) * self.plot_h

    def x_center(self, i):
        return LEFT + self.slot * (i + 0.5)

    def svg(self):
        chart = self.chart
        title_id, desc_id = f"{chart.chart_id}-title", f"{chart.chart_id}-desc"
        parts = [
            f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
            f'<title id="{title_id}">{escape(chart.title)}</title>',
            f'<desc id="{desc_id}">{escape(self.description())}</desc>',
            *self.axes(),
            *self.bars(),
            *self.lines(),
            "</svg>",
        ]
        return "".join(parts)

    def description(self):
        chart = self.chart
        if chart.is_empty:
            return "No data for this period."
        names = ", ".join(s.name for s in chart.series)
        return (
            f"{len(chart.categories)} points ({chart.categories[0]} to {chart.categories[-1]}) for {names}; "
            f"the axis runs to {number(self.scale_max, chart.unit)}."
        )

    def axes(self):
        parts = []
        for step in range(5):
            value = self.scale_max * step / 4
            y = self.y(value)
            parts.append(
                f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="#d0d4da" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="#333">'
                f"{escape(number(value, self.chart.unit))}</text>"
            )
        every = max(1, math.ceil(len(self.chart.categories) / MAX_X_LABELS))
        longest = max((len(str(c)) for c in self.chart.categories), default=1)
        # Category names that would run into each other get a smaller type (down to 9 px).
        size = max(9.0, min(FONT, every * self.slot / (longest * 0.6)))
        for i, category in enumerate(self.chart.categories):
            if i % every == 0:
                parts.append(
                    f'<text x="{self.x_center(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                    f'font-size="{size:.1f}" fill="#333">{escape(category)}</text>'
                )
        if self.chart.is_empty:
            parts.append(
                f'<text x="{LEFT + self.plot_w / 2:.1f}" y="{TOP + self.plot_h / 2:.1f}" '
                f'text-anchor="middle" font-size="{FONT + 2}" fill="#555">No data for this period</text>'
            )
        return parts

    def bars(self):
        chart, parts = self.chart, []
        if not chart.bars:
            return parts
        group_w = min(self.slot * 0.7, MAX_BAR_W * (1 if chart.stacked else len(chart.bars)))
        bar_w = group_w if chart.stacked else group_w / len(chart.bars)
        for i, category in enumerate(chart.categories):
            base = 0.0
            for n, series in enumerate(chart.bars):
                value = series.values[i]
                if not value:
                    continue
                x = self.x_center(i) - group_w / 2 + (0 if chart.stacked else n * bar_w)
                bottom = base if chart.stacked else 0.0
                top_y, bottom_y = self.y(bottom + value), self.y(bottom)
                label = f"{category}: {series.name} {number(value, chart.unit)}"
                parts.append(
                    f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                    f'height="{max(bottom_y - top_y, 0.5):.1f}" fill="{series.color}">'
                    f"<title>{escape(label)}</title></rect>"
                )
                if chart.stacked:
                    base += value
        return parts

    def lines(self):
        chart, parts = self.chart, []
        for series in chart.lines:
            runs, run = [], []
            for i, value in enumerate(series.values):
                if value is None:
                    runs, run = runs + ([run] if run else []), []
                else:
                    run.append((self.x_center(i), self.y(value), chart.categories[i], value))
            runs += [run] if run else []
            for run in runs:
                if len(run) > 1:
                    points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in run)
                    parts.append(
                        f'<polyline points="{points}" fill="none" stroke="{series.color}" '
                        f'stroke-width="2.5" stroke-linejoin="round"/>'
                    )
                for x, y, category, value in run:
                    label = f"{category}: {series.name} {number(value, chart.unit)}"
                    parts.append(
                        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{series.color}">'
                        f"<title>{escape(label)}</title></circle>"
                    )
        return parts
