"""Pictures of the index as inline SVG: histograms of shares and similarities, and a timeline.

Each bar is a link to the table that holds what it counts, filtered to the bar's range (the
URL fragment of :mod:`reuse.report.lists`' tables), and carries its range and count as a
tooltip and as ``data-lo``/``data-hi``/``data-count`` attributes. No script is needed to draw
them, and every text in them is escaped.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from markupsafe import Markup

WIDTH, HEIGHT = 520, 210
LEFT, RIGHT, TOP, BOTTOM = 48, 22, 14, 40
BINS = 20
MAX_TIME_BARS = 80
MAX_BAR = 40  # pixels: a chart of a few bars does not fill its width with them


@dataclass(frozen=True)
class Bar:
    label: str  # what the tooltip names: "0.85–0.90", "2021-08"
    count: int
    lo: str  # the range, as the table's filter takes it
    hi: str
    href: str | None


def _fmt(x: float, percent: bool) -> str:
    return f"{100 * x:.0f}%" if percent else f"{x:.2f}"


def share_bars(values: Sequence[float] | np.ndarray, *, percent: bool,
               href: Callable[[str, str], str] | None) -> list[Bar]:
    """``BINS`` bars over [0, 1]: bin *i* holds ``lo <= v < hi`` (the last one also 1).
    ``href(lo, hi)`` gets the filter values: ``lo`` and ``"<hi"`` (``hi`` for the last bin),
    in percent when ``percent``."""
    edges = np.linspace(0.0, 1.0, BINS + 1)
    counts, _ = np.histogram(np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0), edges)
    bars = []
    for i, count in enumerate(counts.tolist()):
        scale = 100 if percent else 1
        lo = f"{edges[i] * scale:g}"
        hi = f"{edges[i + 1] * scale:g}" if i == BINS - 1 else f"<{edges[i + 1] * scale:g}"
        label = (f"{_fmt(edges[i], percent)}–{_fmt(edges[i + 1], percent)}"
                 + ("" if i == BINS - 1 else " (not included)"))
        bars.append(Bar(label, int(count), lo, hi, href(lo, hi) if href and count else None))
    return bars


def timeline_bars(dates: Sequence[str], href: Callable[[str, str], str] | None) -> list[Bar]:
    """Counts of ISO dates (``YYYY-MM-DD``) per day, month, year or decade (the finest with at
    most ``MAX_TIME_BARS`` bars), every period from the first to the last included."""
    if not dates:
        return []
    days = sorted(date.fromisoformat(d[:10]) for d in dates)
    first, last = days[0], days[-1]
    if (last - first).days < MAX_TIME_BARS:
        keys = [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]
        of = lambda d: d.isoformat()  # noqa: E731
        span = lambda k: (k, k)  # noqa: E731
    elif (last.year - first.year) * 12 + last.month - first.month < MAX_TIME_BARS:
        keys = []
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        of = lambda d: f"{d.year:04d}-{d.month:02d}"  # noqa: E731
        span = lambda k: (k, k)  # noqa: E731
    elif last.year - first.year < MAX_TIME_BARS:
        keys = [f"{y:04d}" for y in range(first.year, last.year + 1)]
        of = lambda d: f"{d.year:04d}"  # noqa: E731
        span = lambda k: (k, k)  # noqa: E731
    else:
        keys = [f"{y:04d}s" for y in range(first.year // 10 * 10, last.year + 1, 10)]
        of = lambda d: f"{d.year // 10 * 10:04d}s"  # noqa: E731
        span = lambda k: (k[:4], f"{int(k[:4]) + 9:04d}")  # noqa: E731
    counts = Counter(of(d) for d in days)
    bars = []
    for key in keys:
        lo, hi = span(key)
        bars.append(Bar(key, counts.get(key, 0), lo, hi,
                        href(lo, hi) if href and counts.get(key) else None))
    return bars


def bar_chart(bars: Sequence[Bar], *, title: str, x_label: str, y_label: str,
              ticks: Sequence[tuple[float, str]], css: str) -> Markup:
    """An SVG bar chart: ``ticks`` are (position, label) under the bars, a position counting
    bars from the left edge (0 the left end, ``len(bars)`` the right end, 0.5 the middle of
    the first bar). A bar is at most ``MAX_BAR`` pixels wide."""
    n = max(1, len(bars))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / n
    top = max([b.count for b in bars] + [1])
    out = [f'<svg class="chart {css}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" aria-label="{html.escape(title)}">',
           f"<title>{html.escape(title)}</title>",
           f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" '
           f'y2="{TOP + plot_h}"/>',
           f'<text class="tick" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
           f'<text class="tick" x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end">{top:,}</text>',
           f'<text class="label" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" '
           f'text-anchor="middle">{html.escape(x_label)}</text>',
           f'<text class="label" transform="translate(12 {TOP + plot_h / 2:.1f}) rotate(-90)" '
           f'text-anchor="middle">{html.escape(y_label)}</text>']
    for index, label in ticks:
        x = LEFT + index * step
        out.append(f'<text class="tick" x="{x:.1f}" y="{TOP + plot_h + 14}" '
                   f'text-anchor="middle">{html.escape(label)}</text>')
    for i, bar in enumerate(bars):
        height = plot_h * bar.count / top
        if bar.count:
            height = max(height, 1.5)  # a bin that is not empty never looks empty
        width = min(max(step - 1, 1), MAX_BAR)
        x, y = LEFT + i * step + (step - width) / 2, TOP + plot_h - height
        tip = f"{bar.label}: {bar.count:,}"
        rect = (f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{height:.1f}" data-count="{bar.count}" data-lo="{html.escape(bar.lo)}" '
                f'data-hi="{html.escape(bar.hi)}"><title>{html.escape(tip)}</title></rect>')
        if bar.href:
            rect = f'<a href="{html.escape(bar.href)}">{rect}</a>'
        out.append(rect)
    out.append("</svg>")
    return Markup("".join(out))


def time_ticks(bars: Sequence[Bar], count: int = 6) -> list[tuple[float, str]]:
    """Labels under the middle of every few bars."""
    if not bars:
        return []
    every = max(1, -(-len(bars) // count))
    return [(i + 0.5, bars[i].label) for i in range(0, len(bars), every)]


def share_ticks(percent: bool) -> list[tuple[float, str]]:
    return [(i * BINS // 4, _fmt(i / 4, percent)) for i in range(5)]
