"""Inline SVG line plots: no JavaScript library, no network, small files, crisp in print.
Each line carries <title> elements so hovering a point shows its value."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf")


@dataclass
class Line:
    label: str
    x: list[float]
    y: list[float]
    low: list[float] | None = None  # shaded band (e.g. min..max over seeds)
    high: list[float] | None = None


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def line_plot(lines: list[Line], *, xlabel: str, ylabel: str, width: int = 560,
              height: int = 300, logy: bool = False) -> str:
    """An SVG line plot of `lines` (values NaN/None are skipped)."""
    pts = [(x, y) for ln in lines for x, y in zip(ln.x, ln.y, strict=False)
           if y is not None and math.isfinite(y) and (not logy or y > 0)]
    for ln in lines:
        for band in (ln.low, ln.high):
            pts += [(x, y) for x, y in zip(ln.x, band or [], strict=False)
                    if y is not None and math.isfinite(y) and (not logy or y > 0)]
    if not pts:
        return '<p class="empty">no data to plot</p>'
    left, right, top, bottom = 60, 150, 12, 42
    pw, ph = width - left - right, height - top - bottom
    xs = [p[0] for p in pts]
    ys = [math.log10(p[1]) if logy else p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = (y1 - y0) * 0.05
    y0, y1 = y0 - pad, y1 + pad

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        v = math.log10(y) if logy else y
        return top + (1 - (v - y0) / (y1 - y0)) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}"'
           f' width="{width}" height="{height}" role="img" aria-label="{escape(ylabel)}">']
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               'stroke="#999"/>')
    for t in _ticks(x0, x1):
        out.append(f'<line x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{top + ph}" y2="{top + ph + 4}"'
                   ' stroke="#666"/>')
        out.append(f'<text x="{sx(t):.1f}" y="{top + ph + 16}" text-anchor="middle">'
                   f'{_fmt(t)}</text>')
    for t in _ticks(y0, y1):
        val = 10**t if logy else t
        out.append(f'<line x1="{left - 4}" x2="{left}" y1="{sy(val):.1f}" y2="{sy(val):.1f}" '
                   'stroke="#666"/>')
        out.append(f'<text x="{left - 6}" y="{sy(val) + 4:.1f}" text-anchor="end">'
                   f'{_fmt(val)}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle">'
               f'{escape(xlabel)}</text>')
    out.append(f'<text transform="translate(14 {top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(ylabel)}</text>')
    for i, ln in enumerate(lines):
        colour = PALETTE[i % len(PALETTE)]
        if ln.low and ln.high:
            band = [(x, lo, hi) for x, lo, hi in zip(ln.x, ln.low, ln.high, strict=False)
                    if lo is not None and hi is not None and math.isfinite(lo)
                    and math.isfinite(hi) and (not logy or lo > 0)]
            if band:
                poly = [f"{sx(x):.1f},{sy(hi):.1f}" for x, _, hi in band]
                poly += [f"{sx(x):.1f},{sy(lo):.1f}" for x, lo, _ in reversed(band)]
                out.append(f'<polygon points="{" ".join(poly)}" fill="{colour}" '
                           'fill-opacity="0.15" stroke="none"/>')
        good = [(x, y) for x, y in zip(ln.x, ln.y, strict=False)
                if y is not None and math.isfinite(y) and (not logy or y > 0)]
        if good:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in good)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       'stroke-width="1.8"/>')
            step = max(1, len(good) // 40)
            for x, y in good[::step]:
                out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{colour}">'
                           f'<title>{escape(ln.label)}: {_fmt(y)} at {_fmt(x)}</title></circle>')
        ly = top + 14 + 18 * i
        out.append(f'<line x1="{left + pw + 10}" x2="{left + pw + 30}" y1="{ly - 4}" '
                   f'y2="{ly - 4}" stroke="{colour}" stroke-width="3"/>')
        out.append(f'<text x="{left + pw + 34}" y="{ly}">{escape(ln.label[:18])}</text>')
    out.append("</svg>")
    return "".join(out)
