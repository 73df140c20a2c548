"""Render the HTML report: one self-contained file (inline CSS, SVG and a small script).

Plots are hand-written inline SVG (salbench.report.svg): no JavaScript library to embed, so
the file stays small, opens without network access, prints as vector graphics, and a
1000-run store renders in well under the 5 s budget. Interactivity is limited to what helps:
hover values (<title>) and sortable tables (a 30-line script).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

import salbench
from salbench.margins import Margin
from salbench.report import fixed_point as fp
from salbench.report import metrics as mx
from salbench.report import task as tk
from salbench.report.benchmarks import BenchmarkSet, load_benchmarks
from salbench.report.model import (
    PHASES,
    VERDICTS,
    Ablation,
    Group,
    Section,
    ablation,
    backend_colours,
    build_sections,
    is_size_param,
    learning_path_of,
)
from salbench.report.regression import Comparison, compare
from salbench.report.repro import command
from salbench.report.stats import Summary, box_stats, mean_ci
from salbench.report.svg import (
    DASHES,
    PALETTE,
    Line,
    Series,
    Strip,
    line_plot,
    stacked_bars,
    strip_plot,
    xy_plot,
)
from salbench.store import RunRecord, Store

GOOD, BAD, NEUTRAL = (223, 240, 226), (250, 222, 215), (255, 255, 255)


def fmt(value: Any, digits: int = 3) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "–" if value is None else str(value)
    if not math.isfinite(value):
        return "–" if math.isnan(value) else ("+∞" if value > 0 else "−∞")
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.{max(1, digits - 1)}e}"
    return f"{value:.{digits}g}"


def duration(seconds: float) -> str:
    """Seconds in the unit that reads best: 1.69 s, 13 ms, 45 µs."""
    if not isinstance(seconds, int | float) or not math.isfinite(seconds):
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def sort_value(value: Any) -> str:
    """data-v attribute for the sort script: a plain number, or '' to sort last."""
    if isinstance(value, Summary):
        value = value.mean
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return repr(float(value))
    return ""


def _mix(t: float, good: tuple[int, int, int] = GOOD, bad: tuple[int, int, int] = BAD) -> str:
    rgb = [round(g + (b - g) * t) for g, b in zip(good, bad, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def shade(values: dict[str, float], direction: int, log: bool = False) -> dict[str, str]:
    """Background colours within one row: best value green, worst red, linear between
    (log scale for runtimes). No colour without a known direction or a second value."""
    good = {k: (math.log10(v) if log else v) for k, v in values.items()
            if math.isfinite(v) and (not log or v > 0)}
    if direction == 0 or len(good) < 2:
        return {}
    lo, hi = min(good.values()), max(good.values())
    if hi == lo:
        return {k: _mix(0.0) for k in good}
    out = {}
    for k, v in good.items():
        t = (v - lo) / (hi - lo)
        out[k] = _mix(t if direction < 0 else 1 - t)
    return out


@dataclass
class OverviewCell:
    group: Group | None
    main: Summary | None = None
    runtime: Summary | None = None
    main_bg: str = ""
    runtime_bg: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def health(self) -> str:
        if not self.counts:
            return "none"
        if self.counts.get("ok", 0) == self.counts["runs"]:
            return "ok"
        return "bad" if self.counts.get("ok", 0) == 0 else "partial"


@dataclass
class OverviewRow:
    section: Section
    point: str
    cells: dict[str, OverviewCell]


@dataclass
class SectionView:
    section: Section
    convergence: list[dict[str, Any]]
    distributions: list[dict[str, Any]]
    sweeps: list[tuple[str, str, str]]  # (parameter, metric, svg)
    agreement: list[Any]
    phases_svg: str
    runtime_rows: list[dict[str, Any]]
    scaling: list[tuple[str, str]]
    failures: list[RunRecord]
    configs: list[dict[str, Any]]


def overview(sections: list[Section], backends: list[str]) -> list[OverviewRow]:
    rows = []
    for s in sections:
        for point in s.points:
            cells: dict[str, OverviewCell] = {}
            for b in backends:
                g = s.group(b, point)
                if g is None:
                    cells[b] = OverviewCell(None)
                    continue
                cells[b] = OverviewCell(g, g.summary(s.main_metric) if s.main_metric else None,
                                        g.summary("runtime"), counts=g.counts())
            mains = {b: c.main.mean for b, c in cells.items() if c.main is not None}
            for b, colour in shade(mains, mx.better(s.main_metric)).items():
                cells[b].main_bg = colour
            times = {b: c.runtime.mean for b, c in cells.items() if c.runtime is not None}
            for b, colour in shade(times, -1, log=True).items():
                cells[b].runtime_bg = colour
            rows.append(OverviewRow(s, point, cells))
    return rows


@dataclass
class VerdictSummary:
    """The cross-backend verdicts of one section's headline metric, for the overview."""

    section: Section
    rows: list[Any]

    @property
    def counts(self) -> str:
        n = Counter(a.verdict for a in self.rows)
        return ", ".join(f"{n[v]} {v}" for v in VERDICTS if n.get(v))


def overview_verdicts(sections: list[Section]) -> list[VerdictSummary]:
    out = []
    for s in sections:
        rows = [a for a in s.agreement() if a.metric == s.main_metric]
        if rows:
            order = {v: i for i, v in enumerate(VERDICTS)}
            out.append(VerdictSummary(s, sorted(rows, key=lambda a: order[a.verdict])))
    return out


@dataclass
class EffectsView:
    """The report's "what each hardware effect costs" block of one section."""

    ablation: Ablation
    svg: str

    @property
    def section(self) -> Section:
        return self.ablation.section

    @property
    def main(self) -> str:
        return self.section.main_metric

    @property
    def metrics(self) -> list[str]:
        return self.section.metrics


def hardware_effects(sections: list[Section]) -> list[EffectsView]:
    out = []
    for s in sections:
        abl = ablation(s)
        if abl is None:
            continue
        series = []
        for i, point in enumerate(abl.points):
            rows = [r for r in abl.rows if r.group.point == point]
            ys = [r.group.summary(s.main_metric) for r in rows]
            series.append(Series(point or abl.baseline, [r.effect for r in rows],
                                 [y.mean for y in ys], [y.low for y in ys],
                                 [y.high for y in ys], PALETTE[i % len(PALETTE)]))
        svg = xy_plot(series, xlabel="hardware effect (each alone on bss2-ideal; all = bss2)",
                      ylabel=s.main_metric, width=620) if s.main_metric else ""
        out.append(EffectsView(abl, svg))
    return out


def _lines(groups: list[Group], metric: str, colours: dict[str, str]) -> list[Line]:
    lines = []
    for g in groups:
        t, mean, low, high = g.series(metric)
        if t:
            lines.append(Line(g.backend, [v / 1000 for v in t], mean, low, high,
                              colours.get(g.backend, "")))
    return lines


def _convergence(s: Section, colours: dict[str, str],
                 max_facets: int) -> list[dict[str, Any]]:
    """Per series metric one plot, or with sweeps one small plot per sweep point (one line
    per backend each: a plot with a line per backend and point is unreadable)."""
    out = []
    points = s.points[:max_facets]
    for metric in s.series_metrics:
        facets = []
        for point in points:
            lines = _lines([g for g in s.groups if g.point == point], metric, colours)
            if not lines:
                continue
            if len(s.points) > 1:
                svg = line_plot(lines, xlabel="biological time (s)", ylabel=metric, width=360,
                                height=210, max_points=80, legend=False)
            else:
                svg = line_plot(lines, xlabel="biological time (s)", ylabel=metric)
            facets.append((point, svg))
        if facets:
            out.append({"metric": metric, "facets": facets, "main": metric == s.main_metric,
                        "dropped": max(0, len(s.points) - max_facets)})
    return out


def _distributions(s: Section, colours: dict[str, str]) -> list[dict[str, Any]]:
    swept = len(s.points) > 1
    out = []
    for metric in s.metrics:
        strips = [Strip(g.point if swept else g.backend, g.backend, colours.get(g.backend, ""),
                        vals, box_stats(vals))
                  for g in s.groups if (vals := g.values(metric))]
        if not strips:
            continue
        if swept:
            svg = strip_plot(strips, ylabel=metric, xlabel=", ".join(s.sweep_keys), width=1100,
                             height=240)
        else:
            svg = strip_plot(strips, ylabel=metric, width=max(240, 90 + 60 * len(strips)))
        out.append({"metric": metric, "svg": svg, "wide": swept,
                    "main": metric == s.main_metric})
    return out


def section_view(s: Section, colours: dict[str, str], max_facets: int = 12) -> SectionView:
    convergence = _convergence(s, colours, max_facets)
    distributions = _distributions(s, colours)
    sweeps = []
    for key in s.sweep_keys:
        for metric in s.metrics:
            series = [Series(ln.label, ln.x, [y.mean for y in ln.y], [y.low for y in ln.y],
                             [y.high for y in ln.y], colours.get(ln.backend, ""),
                             DASHES[i % len(DASHES)] if ln.others else "")
                      for i, ln in enumerate(s.sweep_lines(key, metric))]
            if series and any(len(se.x) > 1 for se in series):
                sweeps.append((key, metric, xy_plot(series, xlabel=key, ylabel=metric,
                                                    logx=is_size_param(key))))
    runtime_rows = []
    bars = []
    for g in s.groups:
        hw, emu = g.summary("hardware_time"), g.summary("emulator_time")
        bio = [r.bio_time_ms for r in g.ok if r.bio_time_ms]
        runtime_rows.append({
            "group": g, "wall": g.summary("runtime"), "rtf": g.summary("rtf"),
            "mem": g.summary("memory"), "hw": hw, "emu": emu,
            "bio_s": (sum(bio) / len(bio) / 1000) if bio else math.nan,
            "slowdown": (emu.mean / hw.mean) if hw.n and emu.n and hw.mean > 0 else math.nan,
        })
        phases = g.phases()
        if phases:
            bars.append((g.name, phases))
    scaling = []
    for key in s.sweep_keys:
        if not is_size_param(key):
            continue
        series = [Series(ln.label, ln.x, [y.mean for y in ln.y], [y.low for y in ln.y],
                         [y.high for y in ln.y], colours.get(ln.backend, ""))
                  for ln in s.sweep_lines(key, "runtime")]
        if any(len(se.x) > 1 for se in series):
            scaling.append((key, xy_plot(series, xlabel=key, ylabel="wall time per run (s)",
                                         logx=True, logy=True)))
    failures = [r for r in s.runs if r.status != "ok"]
    configs = []
    for g in s.groups:
        first = g.runs[0]
        cfg = {k: v for k, v in (first.config or {}).items() if k != "seed"}
        configs.append({"group": g, "json": json.dumps(cfg, indent=2, sort_keys=True),
                        "command": command(max(g.runs, key=lambda r: r.seed)),
                        "seeds": seed_ranges(sorted({r.seed for r in g.runs}))})
    return SectionView(s, convergence, distributions, sweeps, s.agreement(),
                       stacked_bars(bars, (*PHASES, "other")) if bars else "", runtime_rows,
                       scaling, failures, configs)


def seed_ranges(seeds: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0–2, 5, 7–8'."""
    parts: list[str] = []
    for s in seeds:
        if parts and s == int(parts[-1].split("–")[-1]) + 1:
            parts[-1] = f"{parts[-1].split('–')[0]}–{s}"
        else:
            parts.append(str(s))
    return ", ".join(parts)


def environments(runs: list[RunRecord]) -> list[dict[str, Any]]:
    """Distinct software/machine environments, how many runs each produced, and the
    simulator versions seen in them (these differ by backend, not by environment)."""
    counts: Counter[str] = Counter()
    first: dict[str, dict[str, Any]] = {}
    sims: dict[str, set[str]] = {}
    for r in runs:
        p = r.provenance if isinstance(r.provenance, dict) else {}
        machine = p.get("machine")
        if not isinstance(machine, dict):
            machine = {}
        env = {
            "salbench": p.get("salbench", "?"), "git_commit": p.get("git_commit", "?"),
            "python": p.get("python", "?"), "numpy": p.get("numpy", "?"),
            "machine": " · ".join(str(machine[k]) for k in ("hostname", "cpu_model", "cores",
                                                            "memory_gb", "os") if k in machine)
            or "?",
        }
        key = json.dumps(env, sort_keys=True)
        counts[key] += 1
        first.setdefault(key, env)
        versions = p.get("simulators")
        if not isinstance(versions, dict):
            versions = {}
        sims.setdefault(key, set()).update(f"{k} {v}" for k, v in versions.items())
    return [{**first[k], "runs": n, "simulators": ", ".join(sorted(sims[k])) or "–"}
            for k, n in counts.most_common()]


@functools.cache
def _env() -> Environment:
    env = Environment(loader=PackageLoader("salbench.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["num"] = fmt
    env.filters["sv"] = sort_value
    env.filters["dur"] = duration
    env.filters["pct"] = lambda v: "–" if not math.isfinite(v) else f"{100 * v:+.1f} %"
    env.filters["pval"] = lambda p: ("–" if not math.isfinite(p) else "< 0.001" if p < 0.001
                                     else f"{p:.3f}")
    return env


def render(store: Store, title: str = "salbench report", *,
           baseline: Store | None = None, thresholds: list[str] | None = None,
           alpha: float = 0.05, benchmarks: str | Path | None = None,
           margins: dict[str, Margin] | None = None) -> str:
    """The whole report as one HTML string, from the store (and optional baseline store and
    pytest-benchmark folder) only; `margins` over the ones the runs recorded."""
    runs = list(store.runs())
    sections = build_sections(runs, margins)
    backends = sorted({r.backend for r in runs})
    colours = backend_colours(runs)
    views = [section_view(s, colours) for s in sections]
    statuses = Counter(r.status for r in runs)
    regression: Comparison | None = None
    baseline_path = ""
    if baseline is not None:
        regression = compare(list(baseline.runs()), runs, thresholds, alpha, margins=margins)
        baseline_path = str(baseline.path)
    bench: BenchmarkSet | None = load_benchmarks(benchmarks) if benchmarks else None
    fixed_point = fixed_point_panels(runs)
    task = task_panels(runs, colours)
    return _env().get_template("report.html.j2").render(
        title=title, sections=sections, views=views, runs=runs, backends=backends,
        colours=colours, overview=overview(sections, backends), statuses=statuses,
        verdicts=overview_verdicts(sections), effects=hardware_effects(sections),
        environments=environments(runs), regression=regression, baseline_path=baseline_path,
        bench=bench, benchmarks_path=str(benchmarks or ""), command=command,
        learning_path=learning_path_of,
        generated=dt.datetime.now().isoformat(timespec="seconds"), version=salbench.__version__,
        store_path=str(store.path), phases=PHASES, better=mx.better,
        fixed_point=fixed_point, fixed_point_bin=fp.BIN_HZ, task=task, task_bin=tk.BIN_DEG,
    )


def fixed_point_panels(runs: list[RunRecord],
                       ) -> list[tuple[str, str, list[tuple[str, Summary | None]]]]:
    """(backend, plot, (unit model, its two-unit ratio or None)) for the fixed-point section:
    one panel per backend, one curve per unit model; empty when no run recorded where SAL
    ended."""
    panels = []
    for backend, cs in sorted(fp.curves(fp.pair_points(runs)).items()):
        series = [Series(c.unit_model, c.x, [y.mean for y in c.y], [y.low for y in c.y],
                         [y.high for y in c.y], PALETTE[i % len(PALETTE)])
                  for i, c in enumerate(cs)]
        ratios = [(c.unit_model, mean_ci(c.ratios) if c.ratios else None) for c in cs]
        panels.append((backend, xy_plot(series, xlabel="rate of the busier unit − the other (Hz)",
                                        ylabel="w into busier − w out"), ratios))
    return panels


@dataclass
class TaskPanels:
    """The `task` section: accuracy curves per (backend, profile), gap against angle, table."""

    curves: list[tuple[str, str]]  # (caption, svg)
    gap_svg: str
    rows: list[tk.TableRow]


def task_panels(runs: list[RunRecord], colours: dict[str, str]) -> TaskPanels | None:
    """None when the store holds no ok run of the `task` protocol."""
    if not tk.task_runs(runs):
        return None
    curves = []
    for (backend, profile), cs in tk.accuracy_curves(runs).items():
        lines = [Line(f"{c.variant} (n = {c.n})", c.epochs, [100 * v for v in c.mean],
                      [100 * v for v in c.low], [100 * v for v in c.high],
                      PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)])
                 for i, c in enumerate(cs)]
        curves.append((f"{backend}, {profile} profile",
                       line_plot(lines, xlabel="training epoch", ylabel="test accuracy (%)")))
    gap = [Series(c.backend, c.x, [y.mean for y in c.y], [y.low for y in c.y],
                  [y.high for y in c.y], colours.get(c.backend, ""))
           for c in tk.gap_against_angle(runs)]
    gap_svg = xy_plot(gap, xlabel="∠(Wᵀ, B) of the epoch's feedback (°)",
                      ylabel="gap to backprop (pp)") if gap else ""
    return TaskPanels(curves, gap_svg, tk.table(runs))


def write_report(store: Store, out: Path, **options: Any) -> Path:
    """Render and write atomically (a reader never sees half a report)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    html = render(store, **options)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
