"""Inline SVG plots: no JavaScript library, no network, small files, vector-crisp in print.

Every data point carries a <title>, so hovering shows its value in any browser. All text is
escaped here: labels come from configurations and may contain markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TypeGuard

# Okabe-Ito (colour-blind safe) without its yellow, which vanishes on white paper
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#882255", "#44AA99", "#999933")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3")
PHASE_COLOURS = {"import": "#bbbbbb", "build": "#56B4E9", "calibrate": "#CC79A7",
                 "simulate": "#0072B2", "readout": "#009E73", "learn": "#E69F00",
                 "write": "#D55E00", "other": "#eeeeee"}


@dataclass
class Line:
    """One curve: y against x, optionally with a shaded band (low..high)."""

    label: str
    x: Sequence[float]
    y: Sequence[float | None]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None
    colour: str = ""
    dash: str = ""


@dataclass
class Series:
    """Points with error bars against a (numeric or categorical) x."""

    label: str
    x: Sequence[object]
    y: Sequence[float]
    low: Sequence[float]
    high: Sequence[float]
    colour: str = ""
    dash: str = ""


def fmt(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.2e}"
    if abs(v) >= 1e3:
        return f"{v:.0f}"
    return f"{v:.3g}"


def _ok(v: object, log: bool = False) -> TypeGuard[float]:
    return (isinstance(v, int | float) and math.isfinite(v)  # type: ignore[arg-type]
            and (not log or v > 0))  # type: ignore[operator]


def tick_labels(values: list[float]) -> list[str]:
    """Tick labels with just enough digits to tell neighbouring ticks apart."""
    if len(values) < 2:
        return [fmt(v) for v in values]
    step = min(abs(b - a) for a, b in zip(values, values[1:], strict=False)) or 1.0
    big = max(abs(v) for v in values)
    if big >= 1e5 or big < 1e-3:
        digits = max(1, math.floor(math.log10(big or 1)) - math.floor(math.log10(step)) + 1)
        return [_sci(v, digits) for v in values]
    decimals = next((d for d in range(12) if abs(round(step, d) - step) < step * 1e-6), 12)
    return [f"{v:.{decimals}f}" for v in values]


def _sci(v: float, digits: int) -> str:
    """Compact scientific notation: 1.2e5, -3e-4."""
    if v == 0:
        return "0"
    mant, exp = f"{v:.{max(0, digits - 1)}e}".split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering lo..hi."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step - 1e-9) * step
    return [start + i * step for i in range(int((hi - start) / step + 1e-9) + 1)]


class _Axes:
    """Maps data to pixels and draws frame, grid, ticks and labels."""

    def __init__(self, xs: list[float], ys: list[float], *, width: int, height: int,
                 logx: bool = False, logy: bool = False, legend_w: int = 0,
                 xcats: list[str] | None = None, zero: bool = False) -> None:
        self.w, self.h = width, height
        self.left, self.right, self.top, self.bottom = 62, 12 + legend_w, 10, 40
        self.pw = width - self.left - self.right
        self.ph = height - self.top - self.bottom
        self.logx, self.logy, self.xcats = logx, logy, xcats
        tx = [math.log10(x) if logx else x for x in xs]
        ty = [math.log10(y) if logy else y for y in ys]
        if zero and not logy:
            ty += [0.0]
        self.x0, self.x1 = (min(tx), max(tx)) if tx else (0.0, 1.0)
        self.y0, self.y1 = (min(ty), max(ty)) if ty else (0.0, 1.0)
        if xcats is not None:
            self.x0, self.x1 = -0.5, len(xcats) - 0.5
        if self.x1 == self.x0:
            self.x0, self.x1 = self.x0 - 0.5, self.x1 + 0.5
        if self.y1 - self.y0 <= 1e-9 * max(abs(self.y0), abs(self.y1)):
            pad = abs(self.y0) * 0.1 or 0.5
            self.y0, self.y1 = self.y0 - pad, self.y1 + pad
        pad = (self.y1 - self.y0) * 0.06
        self.y0, self.y1 = self.y0 - pad, self.y1 + pad
        if xcats is None and not logx:
            padx = (self.x1 - self.x0) * 0.02
            self.x0, self.x1 = self.x0 - padx, self.x1 + padx

    def sx(self, x: float) -> float:
        v = math.log10(x) if self.logx else x
        return self.left + (v - self.x0) / (self.x1 - self.x0) * self.pw

    def sy(self, y: float) -> float:
        v = math.log10(y) if self.logy else y
        return self.top + (1 - (v - self.y0) / (self.y1 - self.y0)) * self.ph

    def frame(self, out: list[str], xlabel: str, ylabel: str) -> None:
        lf, t, pw, ph = self.left, self.top, self.pw, self.ph
        if self.xcats is not None:
            room = max(6, int(pw / max(1, len(self.xcats)) / 5.6))
            for i, name in enumerate(self.xcats):
                x = self.sx(i)
                out.append(f'<text x="{x:.1f}" y="{t + ph + 15}" text-anchor="middle">'
                           f'{escape(_short(name, room))}<title>{escape(name)}</title></text>')
        else:
            xt = _log_ticks(self.x0, self.x1) if self.logx else ticks(self.x0, self.x1)
            for v, text in zip(xt, _log_labels(xt) if self.logx else tick_labels(xt),
                               strict=True):
                x = self.sx(v)
                out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{t}" '
                           f'y2="{t + ph}"/><text x="{x:.1f}" y="{t + ph + 15}" '
                           f'text-anchor="middle">{text}</text>')
        yt = _log_ticks(self.y0, self.y1) if self.logy else ticks(self.y0, self.y1)
        for v, text in zip(yt, _log_labels(yt) if self.logy else tick_labels(yt), strict=True):
            y = self.sy(v)
            out.append(f'<line class="grid" x1="{lf}" x2="{lf + pw}" y1="{y:.1f}" y2="{y:.1f}"/>'
                       f'<text x="{lf - 5}" y="{y + 3.5:.1f}" text-anchor="end">{text}</text>')
        out.append(f'<rect class="frame" x="{lf}" y="{t}" width="{pw}" height="{ph}"/>')
        out.append(f'<text class="lab" x="{lf + pw / 2:.1f}" y="{self.h - 6}" '
                   f'text-anchor="middle">{escape(xlabel)}</text>')
        out.append(f'<text class="lab" transform="translate(13 {t + ph / 2:.1f}) rotate(-90)"'
                   f' text-anchor="middle">{escape(ylabel)}</text>')

    def legend(self, out: list[str], items: list[tuple[str, str, str]]) -> None:
        x = self.left + self.pw + 10
        for i, (label, colour, dash) in enumerate(items[:14]):
            y = self.top + 10 + 15 * i
            out.append(f'<line x1="{x}" x2="{x + 18}" y1="{y - 3.5}" y2="{y - 3.5}" '
                       f'stroke="{colour}" stroke-width="2.5"'
                       + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
            out.append(f'<text x="{x + 22}" y="{y}">{escape(_short(label, 24))}'
                       f'<title>{escape(label)}</title></text>')
        if len(items) > 14:
            out.append(f'<text x="{x}" y="{self.top + 10 + 15 * 14}">… {len(items) - 14} '
                       "more</text>")


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks at powers of ten (lo, hi are log10 values)."""
    first, last = math.ceil(lo), math.floor(hi)
    if hi - lo < 2.5:  # less than ~2 decades: 1-2-5 ticks, else too few labels
        out = [m * 10.0**e for e in range(math.floor(lo), math.ceil(hi) + 1) for m in (1, 2, 5)]
        return [v for v in out if lo <= math.log10(v) <= hi]
    step = max(1, (last - first + 1) // 6)
    return [10.0**e for e in range(first, last + 1, step)]


def _log_labels(values: list[float]) -> list[str]:
    return [fmt(v) for v in values]


def _open(width: int, height: int, label: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} '
            f'{height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(label)}">']


def _empty(what: str) -> str:
    return f'<p class="empty">No finite values of {escape(what)} to plot.</p>'


def _legend_width(labels: list[str]) -> int:
    return 0 if len(labels) < 2 else 36 + 6 * min(24, max(len(s) for s in labels))


def line_plot(lines: list[Line], *, xlabel: str, ylabel: str, width: int = 520,
              height: int = 250, logy: bool = False, max_points: int = 120,
              legend: bool = True) -> str:
    """Curves with shaded bands; NaN/None values are gaps. Long curves are thinned to
    max_points so that the file stays small (the shape of a convergence curve survives)."""
    xs: list[float] = []
    ys: list[float] = []
    for ln in lines:
        for arr in (ln.y, ln.low or [], ln.high or []):
            pairs = [(x, y) for x, y in zip(ln.x, arr, strict=False)
                     if _ok(x) and _ok(y, logy)]
            xs += [p[0] for p in pairs]
            ys += [p[1] for p in pairs]
    if not ys:
        return _empty(ylabel)
    labels = [ln.label for ln in lines] if legend else []
    ax = _Axes(xs, ys, width=width, height=height, logy=logy,
               legend_w=_legend_width(labels))
    out = _open(width, height, ylabel)
    ax.frame(out, xlabel, ylabel)
    entries = []
    for i, ln in enumerate(lines):
        colour = ln.colour or PALETTE[i % len(PALETTE)]
        step = max(1, math.ceil(len(ln.x) / max_points))
        idx = list(range(0, len(ln.x), step))
        if idx and idx[-1] != len(ln.x) - 1:
            idx.append(len(ln.x) - 1)
        if ln.low is not None and ln.high is not None:
            band = [(ln.x[j], ln.low[j], ln.high[j]) for j in idx
                    if j < len(ln.low) and j < len(ln.high)
                    and _ok(ln.low[j], logy) and _ok(ln.high[j], logy)]
            if band:
                pts = [f"{ax.sx(x):.1f},{ax.sy(hi):.1f}" for x, _, hi in band]  # type: ignore
                pts += [f"{ax.sx(x):.1f},{ax.sy(lo):.1f}"  # type: ignore[arg-type]
                        for x, lo, _ in reversed(band)]
                out.append(f'<polygon points="{" ".join(pts)}" fill="{colour}" '
                           'fill-opacity="0.16"/>')
        segments: list[list[str]] = [[]]
        marks = []
        for j in idx:
            y = ln.y[j] if j < len(ln.y) else None
            if not _ok(y, logy):
                segments.append([])
                continue
            px, py = ax.sx(ln.x[j]), ax.sy(y)
            segments[-1].append(f"{px:.1f},{py:.1f}")
            marks.append((px, py, ln.x[j], y))
        dash = f' stroke-dasharray="{ln.dash}"' if ln.dash else ""
        for seg in segments:
            if len(seg) > 1:
                out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}"'
                           f' stroke-width="1.6"{dash}/>')
        hover = max(1, len(marks) // 16)
        name = escape(ln.label)
        for px, py, x, y in marks[::hover]:
            out.append(f'<circle class="pt" cx="{px:.1f}" cy="{py:.1f}" r="2.2" '
                       f'fill="{colour}"><title>{name}: {fmt(y)} at {fmt(x)}</title></circle>')
        entries.append((ln.label, colour, ln.dash))
    if entries and len(lines) > 1:
        ax.legend(out, entries)
    out.append("</svg>")
    return "".join(out)


@dataclass
class Strip:
    """The values of one series (a backend) in one category (a sweep point, or itself)."""

    category: str
    label: str
    colour: str
    values: Sequence[float | None]
    box: tuple[float, float, float, float, float] | None = None


def strip_plot(strips: list[Strip], *, ylabel: str, xlabel: str = "", width: int = 300,
               height: int = 220) -> str:
    """Per strip a box (median, quartiles, 1.5 IQR whiskers) and every value as a dot.
    Strips of the same category stand side by side (grouped by series, colour = series)."""
    ys = [float(v) for st in strips for v in st.values if _ok(v)]
    if not ys:
        return _empty(ylabel)
    cats: list[str] = []
    labels: list[str] = []
    for st in strips:
        cats += [st.category] if st.category not in cats else []
        labels += [st.label] if st.label not in labels else []
    grouped = cats != labels  # one series per category needs no offsets
    legend_items = [(lb, next(st.colour for st in strips if st.label == lb), "")
                    for lb in labels] if grouped else []
    ax = _Axes([0.0], ys, width=width, height=height, xcats=cats,
               legend_w=_legend_width([lb for lb, _, _ in legend_items]))
    out = _open(width, height, ylabel)
    ax.frame(out, xlabel, ylabel)
    slot = ax.pw / max(1, len(cats))
    n = len(labels) if grouped else 1
    half = min(18.0, slot / n * 0.32)
    for st in strips:
        k = labels.index(st.label) if grouped else 0
        cx = ax.sx(cats.index(st.category)) + (k - (n - 1) / 2) * slot / n * 0.9
        if st.box is not None:
            lo, q1, med, q3, hi = st.box
            out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{ax.sy(lo):.1f}" '
                       f'y2="{ax.sy(hi):.1f}" stroke="#777"/>')
            out.append(f'<rect x="{cx - half:.1f}" y="{ax.sy(q3):.1f}" width="{2 * half:.1f}" '
                       f'height="{max(0.5, ax.sy(q1) - ax.sy(q3)):.1f}" fill="{st.colour}" '
                       f'fill-opacity="0.12" stroke="{st.colour}"/>')
            out.append(f'<line x1="{cx - half:.1f}" x2="{cx + half:.1f}" y1="{ax.sy(med):.1f}"'
                       f' y2="{ax.sy(med):.1f}" stroke="{st.colour}" stroke-width="2"/>')
        name = escape(st.label if not grouped else f"{st.label} at {st.category}")
        good = [float(v) for v in st.values if _ok(v)]
        for j, v in enumerate(good):
            # deterministic jitter (golden-ratio sequence): same file for the same store
            jitter = ((j * 0.618034) % 1.0 - 0.5) * half * 1.2
            out.append(f'<circle class="pt" cx="{cx + jitter:.1f}" cy="{ax.sy(v):.1f}" r="2.4" '
                       f'fill="{st.colour}" fill-opacity="0.75"><title>{name}: {fmt(v)}'
                       "</title></circle>")
    if legend_items:
        ax.legend(out, legend_items)
    out.append("</svg>")
    return "".join(out)


def stacked_bars(bars: list[tuple[str, dict[str, float]]], order: Sequence[str], *,
                 xlabel: str = "mean wall time per run (s)", width: int = 900) -> str:
    """Horizontal stacked bars, one per label, segments in `order` (seconds)."""
    bars = [(label, seg) for label, seg in bars if sum(seg.values()) > 0]
    if not bars:
        return _empty("phase timings")
    label_w = min(270, 12 + 6 * max(len(b[0]) for b in bars))
    legend_h = 22
    row = 20
    height = 30 + legend_h + row * len(bars) + 10
    total = max(sum(seg.values()) for _, seg in bars)
    left, right = label_w, 20
    pw = width - left - right
    out = _open(width, height, "phase timings")

    def sx(v: float) -> float:
        return left + v / total * pw

    x: float = left
    for name in order:
        out.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PHASE_COLOURS.get(name)}"'
                   ' stroke="#999" stroke-width="0.5"/>'
                   f'<text x="{x + 13}" y="13">{escape(name)}</text>')
        x += 24 + 6.2 * len(name)
    top = legend_h
    xt = ticks(0.0, total)
    for v, text in zip(xt, tick_labels(xt), strict=True):
        out.append(f'<line class="grid" x1="{sx(v):.1f}" x2="{sx(v):.1f}" y1="{top}" '
                   f'y2="{top + row * len(bars)}"/><text x="{sx(v):.1f}" '
                   f'y="{top + row * len(bars) + 13}" text-anchor="middle">{text}</text>')
    for i, (label, seg) in enumerate(bars):
        y = top + i * row + 3
        out.append(f'<text x="{left - 6}" y="{y + 11}" text-anchor="end">'
                   f'{escape(_short(label, 44))}<title>{escape(label)}</title></text>')
        x0 = 0.0
        for name in order:
            v = seg.get(name, 0.0)
            if v <= 0:
                continue
            out.append(f'<rect x="{sx(x0):.1f}" y="{y}" width="{max(0.3, sx(v) - left):.1f}" '
                       f'height="{row - 6}" fill="{PHASE_COLOURS.get(name, "#ccc")}" '
                       f'stroke="#fff" stroke-width="0.5"><title>{escape(label)} · {name}: '
                       f'{fmt(v)} s ({100 * v / sum(seg.values()):.0f} %)</title></rect>')
            x0 += v
    out.append(f'<text class="lab" x="{left + pw / 2:.1f}" y="{height - 2}" '
               f'text-anchor="middle">{escape(xlabel)}</text>')
    out.append("</svg>")
    return "".join(out)


def xy_plot(series: list[Series], *, xlabel: str, ylabel: str, width: int = 460,
            height: int = 250, logx: bool = False, logy: bool = False) -> str:
    """Means with CI error bars against x; x is categorical unless every value is a number."""
    xvals = [x for s in series for x in s.x]
    numeric = all(_ok(x) and not isinstance(x, bool) for x in xvals)
    cats = None
    if not numeric:
        cats = []
        for x in xvals:
            if str(x) not in cats:
                cats.append(str(x))
    logx = logx and numeric and all(x > 0 for x in xvals)  # type: ignore[operator]

    def xpos(x: object) -> float:
        return float(x) if cats is None else float(cats.index(str(x)))  # type: ignore

    ys: list[float] = []
    for s in series:
        ys += [v for v in list(s.y) + list(s.low) + list(s.high) if _ok(v, logy)]
    if not ys:
        return _empty(ylabel)
    labels = [s.label for s in series]
    ax = _Axes([xpos(x) for x in xvals], ys, width=width, height=height, logx=logx, logy=logy,
               xcats=cats, legend_w=_legend_width(labels))
    out = _open(width, height, ylabel)
    ax.frame(out, xlabel, ylabel)
    legend = []
    nser = max(1, len(series))
    for i, s in enumerate(series):
        colour = s.colour or PALETTE[i % len(PALETTE)]
        # categorical x: offset the series a little so error bars do not hide each other
        off = 0.0 if cats is None else (i - (nser - 1) / 2) * min(0.08, 0.6 / nser)
        pts = sorted((xpos(x) + off, y, lo, hi, x)
                     for x, y, lo, hi in zip(s.x, s.y, s.low, s.high, strict=False)
                     if _ok(y, logy))
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        if len(pts) > 1:
            path = " ".join(f"{ax.sx(p[0]):.1f},{ax.sy(p[1]):.1f}" for p in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       f'stroke-width="1.6"{dash}/>')
        for px, y, lo, hi, x in pts:
            cx, cy = ax.sx(px), ax.sy(y)
            if _ok(lo, logy) and _ok(hi, logy):
                out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{ax.sy(lo):.1f}" '
                           f'y2="{ax.sy(hi):.1f}" stroke="{colour}"/>')
                ci = f" [{fmt(lo)}, {fmt(hi)}]"
            else:
                ci = ""
            out.append(f'<circle class="pt" cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colour}">'
                       f'<title>{escape(s.label)} at {escape(str(x))}: {fmt(y)}{ci}</title>'
                       "</circle>")
        legend.append((s.label, colour, s.dash))
    if len(series) > 1:
        ax.legend(out, legend)
    out.append("</svg>")
    return "".join(out)
