"""Charts drawn on the server as SVG, shared by the pages and the board packet (PDF).

Plain functions from numbers to markup: no script, nothing from elsewhere.
Every chart carries a title and a description (``role="img"`` with
``aria-labelledby``), and the pages put a table of the same numbers beside
it. Only elements and attributes the PDF writer draws are used (rect, line,
polyline, circle, text; fill and stroke attributes).
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .choices import Status

STATUS_COLOURS = {
    Status.ON_TRACK: "#1a7f37",
    Status.WATCH: "#9a6700",
    Status.OFF_TRACK: "#cf222e",
    Status.NO_TARGET: "#0b5cad",
    Status.CONTEXT: "#6639ba",
    Status.NO_DATA: "#6e7781",
}
INK = "#1f2328"
GRID = "#d0d7de"
LINE = "#0b5cad"
FONT = 'font-family="Helvetica, Arial, sans-serif"'
_ids = itertools.count(1)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "percent":
        return f"{value:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _scale(lo: float, hi: float, ticks: int = 4) -> tuple[float, float, float]:
    """A rounded axis (low, high, step) that covers lo..hi."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _open(width: int, height: int, title: str, desc: str, *, cls: str = "chart") -> tuple[str, str]:
    n = next(_ids)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-t{n} chart-d{n}">'
        f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def sparkline(values: Sequence[float | None], *, title: str, colour: str = LINE, width=120, height=32) -> SafeString:
    """A small trend line; the description names the first and last values."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    desc = f"{len(points)} values" + (f", from {_num(points[0][1])} to {_num(points[-1][1])}" if points else "")
    head, tail = _open(width, height, title, desc, cls="sparkline")
    if len(points) < 2:
        body = f'<line x1="2" y1="{height / 2}" x2="{width - 2}" y2="{height / 2}" stroke="{GRID}" stroke-width="1"/>'
        return mark_safe(head + body + tail)
    lo = min(v for _i, v in points)
    hi = max(v for _i, v in points)
    span = (hi - lo) or 1.0
    last = max(1, len(values) - 1)

    def xy(i, v):
        return 2 + (width - 6) * i / last, height - 3 - (height - 6) * (v - lo) / span

    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in points))
    x, y = xy(*points[-1])
    body = (
        f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>'
    )
    return mark_safe(head + body + tail)


def trend_chart(
    points: Sequence[tuple[datetime.date, float | None]],
    *,
    title: str,
    unit: str,
    target: float | None = None,
    target_label: str = "Target",
    width: int = 640,
    height: int = 260,
) -> SafeString:
    """A line over time with a dashed target line; suppressed or missing values break the line."""
    known = [(d, v) for d, v in points if v is not None]
    desc = (
        f"{title}: {len(known)} values from {known[0][0]:%Y-%m-%d} ({fmt(known[0][1], unit)}) "
        f"to {known[-1][0]:%Y-%m-%d} ({fmt(known[-1][1], unit)})"
        if known
        else f"{title}: no values yet"
    )
    head, tail = _open(width, height, title, desc)
    left, right, top, bottom = 56, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = []
    if not known:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="13" fill="{INK}" {FONT}>'
            "No values yet</text>"
        )
        return mark_safe(head + "".join(parts) + tail)
    values = [v for _d, v in known] + ([target] if target is not None else [])
    lo, hi, step = _scale(min(0.0, min(values)), max(values))
    first, last = known[0][0], known[-1][0]
    days = max(1, (last - first).days)

    def x_of(day):
        return left + plot_w * ((day - first).days / days if len(known) > 1 else 0.5)

    def y_of(v):
        return top + plot_h - plot_h * (v - lo) / ((hi - lo) or 1)

    tick = lo
    while tick <= hi + step / 2:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        label = fmt(tick, unit) if unit == "percent" else _num(tick)
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{INK}" {FONT}>'
            f"{escape(label)}</text>"
        )
        tick += step
    for day in sorted({first, last, known[len(known) // 2][0]}):
        parts.append(
            f'<text x="{x_of(day):.1f}" y="{height - 12}" text-anchor="middle" font-size="11" fill="{INK}" {FONT}>'
            f"{day:%Y-%m-%d}</text>"
        )
    if target is not None:
        y = y_of(target)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{INK}" stroke-width="1" '
            'stroke-dasharray="5,4"/>'
        )
        parts.append(
            f'<text x="{width - right}" y="{y - 4:.1f}" text-anchor="end" font-size="11" fill="{INK}" {FONT}>'
            f"{escape(target_label)} {escape(fmt(target, unit))}</text>"
        )
    segment: list[str] = []
    segments = []
    for day, v in points:
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x_of(day):.1f},{y_of(v):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for day, v in known[-1:] if len(known) > 40 else known:
        parts.append(f'<circle cx="{x_of(day):.1f}" cy="{y_of(v):.1f}" r="3" fill="{LINE}"/>')
    return mark_safe(head + "".join(parts) + tail)


def bar_chart(
    rows: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    unit: str,
    target: float | None = None,
    target_label: str = "Target",
    width: int = 640,
) -> SafeString:
    """Horizontal bars, one per row (label, value, status); a withheld value draws no bar and says so."""
    bar, gap, top, label_w, value_w = 14, 6, 8, 200, 64
    height = top + len(rows) * (bar + gap) + 24
    shown = [v for _l, v, _s in rows if v is not None]
    desc = f"{title}: {len(rows)} bars" + (
        f", from {fmt(min(shown), unit)} to {fmt(max(shown), unit)}" if shown else ""
    )
    head, tail = _open(width, height, title, desc)
    plot_w = width - label_w - value_w
    values = shown + ([target] if target is not None else [])
    hi = max(values) if values else 1.0
    if unit == "percent":
        hi = max(hi, 100.0)
    hi = hi or 1.0
    parts = []
    for i, (label, value, status) in enumerate(rows):
        y = top + i * (bar + gap)
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar - 3}" text-anchor="end" font-size="11" fill="{INK}" {FONT}>'
            f"{escape(short)}</text>"
        )
        if value is None:
            parts.append(
                f'<text x="{label_w}" y="{y + bar - 3}" font-size="11" fill="{INK}" {FONT}>withheld or no data</text>'
            )
            continue
        w = max(1.0, plot_w * max(0.0, value) / hi)
        colour = STATUS_COLOURS.get(status, LINE)
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 3}" font-size="11" fill="{INK}" {FONT}>'
            f"{escape(fmt(value, unit))}</text>"
        )
    if target is not None:
        x = label_w + plot_w * max(0.0, target) / hi
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="{INK}" stroke-width="1" '
            'stroke-dasharray="4,3"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="11" fill="{INK}" {FONT}>'
            f"{escape(target_label)} {escape(fmt(target, unit))}</text>"
        )
    return mark_safe(head + "".join(parts) + tail)
