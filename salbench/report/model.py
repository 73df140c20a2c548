"""From stored runs to what a report shows: sections, groups, summaries, comparisons.

Plain data only (no HTML): the same model feeds the HTML report and `salbench compare`.
A *section* is one scenario under one profile; a *group* is the runs of a section on one
backend at one sweep point, i.e. the seeds of one configuration.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from salbench.catalogue import ABLATION_BASELINE, effect_rank
from salbench.margins import Margin, load_margins, margin_for
from salbench.report import metrics as mx
from salbench.report.stats import (
    Difference,
    Equivalence,
    Summary,
    holm,
    mean_ci,
    seeds_to_resolve,
    tost,
    welch,
)
from salbench.store import RunRecord
from salbench.timing import PHASES

NOT_OK = ("failed", "timeout", "diverged")
# sweep parameters that set a network size: their runtime plot is a scaling plot (log-log)
_SIZE = re.compile(r"(^|[._])(n|n_\w+|size|sizes|units|neurons|width|n?layers|hidden)$", re.I)


def point_key(sweep: dict[str, Any]) -> str:
    """A stable, readable name of a sweep point ('' when there was no sweep)."""
    return ", ".join(f"{k}={sweep[k]}" for k in sorted(sweep))


def learning_path_of(run: RunRecord) -> str:
    """The run's SAL path (protocols.learning.LEARNING_PATHS), "–" if it recorded none."""
    notes = run.notes if isinstance(run.notes, dict) else {}
    return str(notes.get("learning_path") or "–")


def is_size_param(name: str) -> bool:
    return bool(_SIZE.search(name))


@dataclass
class Group:
    """The runs of one section on one backend at one sweep point (one run per seed)."""

    backend: str
    sweep: dict[str, Any]
    runs: list[RunRecord] = field(default_factory=list)

    # Groups and sections are immutable once build_sections() returns, so derived lists are
    # cached: a 1000-run report asks for them thousands of times.
    @cached_property
    def ok(self) -> list[RunRecord]:
        return [r for r in self.runs if r.status == "ok"]

    @property
    def point(self) -> str:
        return point_key(self.sweep)

    @property
    def name(self) -> str:
        return f"{self.backend} ({self.point})" if self.sweep else self.backend

    def values(self, metric: str) -> list[float]:
        cache = self.__dict__.setdefault("_values", {})
        if metric not in cache:
            cache[metric] = [v for r in self.ok if (v := mx.value(r, metric)) is not None]
        return cache[metric]

    def summary(self, metric: str) -> Summary:
        cache = self.__dict__.setdefault("_summaries", {})
        if metric not in cache:
            cache[metric] = mean_ci(self.values(metric))
        return cache[metric]

    def final(self, metric: str) -> Summary:  # kept for templates written against v1
        return self.summary(metric)

    def runtime(self) -> Summary:
        return self.summary("runtime")

    def learning_paths(self) -> str:
        """How the group's runs computed SAL (notes['learning_path']), e.g. "host-rule";
        several joined with " + " if runs differ, "–" for runs that did not record it."""
        paths = sorted({learning_path_of(r) for r in self.runs})
        return " + ".join(paths)

    def counts(self) -> dict[str, int]:
        out = {"runs": len(self.runs), "ok": 0, "failed": 0, "timeout": 0, "diverged": 0}
        for r in self.runs:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def phases(self) -> dict[str, float]:
        """Mean seconds per phase over the ok runs; 'other' is wall time not in a phase
        (process start, imports before the timer, store hand-over)."""
        runs = self.ok
        if not runs:
            return {}
        out = {p: float(np.mean([float(r.timings.get(p) or 0.0) for r in runs])) for p in PHASES}
        walls = [r.wall_s or r.timings.get("total") or 0.0 for r in runs]
        out["other"] = max(0.0, float(np.mean(walls)) - sum(out.values()))
        return out

    def series(self, metric: str) -> tuple[list[float], list[float], list[float], list[float]]:
        """t (ms), mean, min and max over seeds of `metric`, on the shortest common grid."""
        curves = []
        for r in self.ok:
            t, y = r.series.get("t_ms") or [], r.series.get(metric) or []
            if t and len(t) == len(y):
                curves.append((t, y))
        if not curves:
            return [], [], [], []
        n = min(len(t) for t, _ in curves)
        t = [float(v) for v in curves[0][0][:n]]
        ys = np.array([[math.nan if v is None else float(v) for v in y[:n]] for _, y in curves],
                      dtype=float)
        with warnings.catch_warnings():  # all-NaN columns (e.g. rate before the first epoch)
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, low, high = np.nanmean(ys, 0), np.nanmin(ys, 0), np.nanmax(ys, 0)
        return t, mean.tolist(), low.tolist(), high.tolist()


#: verdicts of a comparison, and what the report calls them
VERDICTS = ("equivalent", "different", "inconclusive", "untested")


@dataclass
class Agreement:
    """One backend pair on one metric at one point: the difference test (Welch) and the
    equivalence test (TOST against the metric's margin), both Holm-adjusted, and the verdict.

    - **different**: the Welch test rejects "no difference" (Holm-adjusted p < alpha) and
      the difference is not within the margin;
    - **equivalent**: TOST rejects "at least the margin apart" (Holm-adjusted p < alpha):
      the (1 − 2 alpha) CI of B − A lies inside ±margin. A significant difference smaller
      than the margin is equivalent too: the margin says what size of difference matters;
    - **inconclusive**: neither; `seeds` says how many seeds per backend would likely
      resolve it (from the observed spread and difference), None if none would;
    - **untested**: fewer than two seeds on a side.
    """

    point: str
    a: str
    b: str
    metric: str
    diff: Difference
    p_holm: float = math.nan
    margin: Margin | None = None
    equiv: Equivalence | None = None
    p_tost_holm: float = math.nan
    seeds: int | None = None
    alpha: float = 0.05

    @property
    def bound(self) -> float:
        return self.equiv.bound if self.equiv is not None else math.nan

    @property
    def verdict(self) -> str:
        if not self.diff.testable:
            return "untested"
        if math.isfinite(self.p_tost_holm) and self.p_tost_holm < self.alpha:
            return "equivalent"
        if self.p_holm < self.alpha:
            return "different"
        return "inconclusive"

    @property
    def margin_text(self) -> str:
        if self.margin is None:
            return "no margin"
        if self.margin.relative:
            return f"{self.margin.text} (±{_num(self.bound)})"
        return self.margin.text

    @property
    def sentence(self) -> str:
        d = self.diff
        if not d.testable:
            return (f"{self.a} and {self.b} cannot be compared on {self.metric} "
                    f"(n = {d.n_a} and {d.n_b}; a test needs two seeds each)")
        means = f"{_num(d.mean_a)} vs {_num(d.mean_b)}"
        verdict = self.verdict
        if verdict == "equivalent":
            eq = self.equiv
            assert eq is not None
            return (f"{self.a} and {self.b} are equivalent on {self.metric} ({means}; "
                    f"90 % CI of the difference [{_num(eq.low)}, {_num(eq.high)}] within "
                    f"{self.margin_text}, TOST {_p(self.p_tost_holm)})")
        if verdict == "different":
            margin = f", margin {self.margin_text}" if self.margin is not None else ""
            return (f"{self.a} and {self.b} differ on {self.metric} ({means}; "
                    f"{_p(self.p_holm)}{margin})")
        why = (f"not different ({_p(self.p_holm)}), "
               + (f"nor shown within {self.margin_text} (TOST {_p(self.p_tost_holm)})"
                  if self.margin is not None else "and no equivalence margin is declared"))
        more = ""
        if self.margin is not None:
            more = (f"; about {self.seeds} seeds per backend would resolve it"
                    if self.seeds else "; more seeds alone are unlikely to resolve it")
        return f"{self.a} and {self.b} are inconclusive on {self.metric} ({means}; {why}{more})"


def _num(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v:.3g}" if v == 0 or 1e-3 <= abs(v) < 1e5 else f"{v:.2e}"


def judge(rows: list[Agreement], a_values: list[list[float]], b_values: list[list[float]],
          alpha: float = 0.05) -> None:
    """Fill in the Holm-adjusted p of both tests and the seed estimates of `rows`, one
    family of comparisons (values: the samples behind each row, in order)."""
    for row, p in zip(rows, holm([r.diff.p for r in rows]), strict=True):
        row.p_holm = p
        row.alpha = alpha
    tost_p = [r.equiv.p if r.equiv is not None else math.nan for r in rows]
    for row, p in zip(rows, holm(tost_p), strict=True):
        row.p_tost_holm = p
    m = max(1, sum(1 for r in rows if r.diff.testable))
    for row, a, b in zip(rows, a_values, b_values, strict=True):
        if row.verdict == "inconclusive" and row.margin is not None:
            # at the level Holm asks of the family's hardest test (alpha / m): an upper bound
            # on the seeds the adjusted test needs
            row.seeds = seeds_to_resolve(a, b, row.bound, alpha / m)


def judge_per_metric(rows: list[Agreement], samples: list[tuple[list[float], list[float]]],
                     alpha: float = 0.05) -> None:
    """`judge` with one family per metric (samples[k]: the two samples behind rows[k])."""
    for metric in {r.metric for r in rows}:
        idx = [i for i, r in enumerate(rows) if r.metric == metric]
        judge([rows[i] for i in idx], [samples[i][0] for i in idx],
              [samples[i][1] for i in idx], alpha)


def compare_samples(point: str, a: str, b: str, metric: str, xa: list[float],
                    xb: list[float], margin: Margin | None) -> Agreement:
    """One comparison before the family's Holm adjustment (see judge)."""
    diff = welch(xa, xb)
    equiv = None
    if margin is not None:
        equiv = tost(xa, xb, margin.bound(diff.mean_a, diff.mean_b))
    return Agreement(point, a, b, metric, diff, margin=margin, equiv=equiv)


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}" if p < 0.01 else f"p = {p:.2f}"


@dataclass
class SweepLine:
    label: str
    backend: str
    others: str
    x: list[Any]
    y: list[Summary]


@dataclass
class Section:
    scenario: str
    profile: str
    label: str
    main_metric: str
    groups: list[Group]
    #: equivalence margins by metric name or glob (salbench.margins), as the runs recorded
    margins: dict[str, Margin] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^A-Za-z0-9_-]+", "-", f"s-{self.scenario}-{self.profile}")

    @cached_property
    def runs(self) -> list[RunRecord]:
        return [r for g in self.groups for r in g.runs]

    @cached_property
    def backends(self) -> list[str]:
        return sorted({g.backend for g in self.groups})

    @cached_property
    def points(self) -> list[str]:
        seen: dict[str, None] = {}
        for g in self.groups:
            seen.setdefault(g.point, None)
        return list(seen)

    @cached_property
    def sweep_keys(self) -> list[str]:
        return sorted({k for g in self.groups for k in g.sweep})

    @cached_property
    def metrics(self) -> list[str]:
        """Final metrics with a numeric value in some ok run, the headline metric first."""
        names: dict[str, None] = {}
        if self.main_metric:
            names[self.main_metric] = None
        for g in self.groups:
            for r in g.ok:
                for k, v in r.final.items():
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        names.setdefault(k, None)
        return [m for m in names if any(g.values(m) for g in self.groups)]

    @cached_property
    def series_metrics(self) -> list[str]:
        names: dict[str, None] = {}
        if self.main_metric:
            names[self.main_metric] = None
        for g in self.groups:
            for r in g.ok[:1]:
                names.update({k: None for k in r.series if k != "t_ms"})
        return list(names)

    def group(self, backend: str, point: str) -> Group | None:
        for g in self.groups:
            if g.backend == backend and g.point == point:
                return g
        return None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for g in self.groups:
            for k, v in g.counts().items():
                out[k] += v
        return dict(out)

    def margin(self, metric: str) -> Margin | None:
        return margin_for(self.margins, metric)

    def agreement(self, alpha: float = 0.05) -> list[Agreement]:
        """Every backend pair × final metric × sweep point: Welch and TOST, p Holm-adjusted
        per metric over its pairs and sweep points (many are tested at once: unadjusted p
        would find false differences, and false equivalences, by chance)."""
        cache = self.__dict__.setdefault("_agreement", {})
        if alpha in cache:
            return cache[alpha]
        rows: list[Agreement] = []
        samples: list[tuple[list[float], list[float]]] = []
        for point in self.points:
            here = [g for g in self.groups if g.point == point and g.ok]
            for ga, gb in itertools.combinations(sorted(here, key=lambda g: g.backend), 2):
                for m in self.metrics:
                    a, b = ga.values(m), gb.values(m)
                    if a or b:
                        rows.append(compare_samples(point, ga.backend, gb.backend, m, a, b,
                                                    self.margin(m)))
                        samples.append((a, b))
        # one family per metric: "are the backends the same on this metric?" over all pairs
        # and sweep points
        judge_per_metric(rows, samples, alpha)
        cache[alpha] = rows
        return rows

    def setting_agreement(self, alpha: float = 0.05) -> list[Agreement]:
        """Within each backend, every sweep point against the first (e.g. plasticity=online
        against plasticity=epoch): the same tests and verdicts as `agreement`, A and B being
        the two points and `point` the backend; Holm-adjusted per metric over all of them."""
        cache = self.__dict__.setdefault("_setting_agreement", {})
        if alpha in cache:
            return cache[alpha]
        rows: list[Agreement] = []
        samples: list[tuple[list[float], list[float]]] = []
        points = self.points
        for backend in self.backends:
            groups = {g.point: g for g in self.groups if g.backend == backend and g.ok}
            base = next((pt for pt in points if pt in groups), None)
            for point in points:
                if base is None or point == base or point not in groups:
                    continue
                for m in self.metrics:
                    a, b = groups[base].values(m), groups[point].values(m)
                    if a or b:
                        rows.append(compare_samples(backend, base, point, m, a, b,
                                                    self.margin(m)))
                        samples.append((a, b))
        judge_per_metric(rows, samples, alpha)
        cache[alpha] = rows
        return rows

    def sweep_lines(self, key: str, metric: str) -> list[SweepLine]:
        """`metric` against sweep parameter `key`: one line per backend and per combination
        of the other swept parameters (e.g. with and without SAL)."""
        lines: dict[tuple[str, str], SweepLine] = {}
        for g in self.groups:
            if key not in g.sweep:
                continue
            others = point_key({k: v for k, v in g.sweep.items() if k != key})
            label = f"{g.backend}, {others}" if others else g.backend
            line = lines.setdefault((g.backend, others),
                                    SweepLine(label, g.backend, others, [], []))
            line.x.append(g.sweep[key])
            line.y.append(g.summary(metric))
        for line in lines.values():
            order = sorted(range(len(line.x)), key=lambda i: _sortable(line.x[i]))
            line.x = [line.x[i] for i in order]
            line.y = [line.y[i] for i in order]
        return [lines[k] for k in sorted(lines)]


def _sortable(v: Any) -> tuple[int, Any]:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return (0, float(v))
    return (1, str(v))


def _flat(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in table.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, name + "."))
        elif isinstance(v, list | tuple):  # e.g. feedback's sizes: one readable, hashable value
            out[name] = "[" + ", ".join(str(x) for x in v) + "]"
        else:
            out[name] = v
    return out


def run_settings(run: RunRecord) -> dict[str, Any]:
    """A run's protocol parameters as it ran, flat with dotted keys (`unit.noise`): its
    config's params, with the LIF unit as the backend resolved it (provenance) over what the
    scenario set, so that a default noise model reads 'poisson', not absent."""
    config = run.config if isinstance(run.config, dict) else {}
    params = config.get("params")
    flat = _flat(params) if isinstance(params, dict) else {}
    prov = run.provenance if isinstance(run.provenance, dict) else {}
    backend = prov.get("backend")
    unit = backend.get("unit") if isinstance(backend, dict) else None
    if isinstance(unit, dict):
        flat.update(_flat(unit, "unit."))
    return flat


def varied_settings(runs: list[RunRecord]) -> list[str]:
    """The settings that vary between runs of one backend (a sweep, or runs made with other
    --set values into the same store): each changes results, so the report groups and
    compares by it as by a sweep. Settings that only differ between backends (a chip's own
    v_reset) are the backends' business and stay out, or no two backends would ever meet."""
    seen: dict[tuple[str, str], set[Any]] = defaultdict(set)
    keys: set[str] = set()
    per_run = [(r.backend, run_settings(r)) for r in runs]
    for _, flat in per_run:
        keys.update(flat)
    for backend, flat in per_run:
        for k in keys:
            v = flat.get(k)
            seen[(backend, k)].add(v if not isinstance(v, float) or v == v else "nan")
    return sorted({k for (_, k), values in seen.items() if len(values) > 1})


def build_sections(runs: list[RunRecord],
                   override_margins: dict[str, Margin] | None = None,
                   context: list[RunRecord] | None = None) -> list[Section]:
    """Group runs into sections (scenario, profile) and groups (backend, point): a point is
    the run's sweep values and every setting varied within a backend (varied_settings; over
    `runs` and `context`, e.g. the other store of a comparison, so both group alike);
    `override_margins` (report/compare --set margins.X=...) over the runs' own."""
    by_section: dict[tuple[str, str], dict[tuple[str, str], Group]] = defaultdict(dict)
    labels: dict[tuple[str, str], str] = {}
    mains: dict[tuple[str, str], str] = {}
    margins: dict[tuple[str, str], dict[str, Margin]] = {}
    members: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in [*runs, *(context or [])]:
        members[(r.scenario, r.profile)].append(r)
    varied = {key: varied_settings(rs) for key, rs in members.items()}
    for r in runs:
        key = (r.scenario, r.profile)
        labels[key] = r.label
        margins[key] = run_margins(r, margins.get(key))
        main = r.notes.get("main_metric") if isinstance(r.notes, dict) else None
        if main:
            mains[key] = str(main)
        sweep = r.sweep if isinstance(r.sweep, dict) else {}
        if varied[key]:
            flat = run_settings(r)
            # a setting a run does not have (the abstract model has no LIF unit) stays out
            sweep = {**{k: flat[k] for k in varied[key] if flat.get(k) is not None}, **sweep}
        gkey = (r.backend, point_key(sweep))
        group = by_section[key].setdefault(gkey, Group(r.backend, sweep))
        group.runs.append(r)
    sections = []
    for key in sorted(by_section):
        groups = sorted(by_section[key].values(),
                        key=lambda g: (g.backend, sorted((k, _sortable(v))
                                                         for k, v in g.sweep.items())))
        section_margins = {**margins.get(key, {}), **(override_margins or {})}
        sections.append(Section(key[0], key[1], labels[key], mains.get(key, ""), groups,
                                section_margins))
    return sections


@functools.cache
def _protocol_margins(protocol: str) -> dict[str, Margin]:
    """A protocol's declared margins, for runs stored before runs recorded their own."""
    try:
        from salbench.registry import scenario_entry_points

        eps = scenario_entry_points()
        cls = eps[protocol].load() if protocol in eps else None
    except Exception:  # noqa: BLE001 - a broken plugin must not break the report
        return {}
    return dict(getattr(cls, "margins", {}) or {})


def run_margins(run: RunRecord, seen: dict[str, Margin] | None = None) -> dict[str, Margin]:
    """The margins a run was judged by: those it recorded, else its protocol's. Runs of one
    section recorded with other margins (a later --set margins.X): the later run wins."""
    config = run.config if isinstance(run.config, dict) else {}
    recorded = load_margins(config.get("margins"))
    if not recorded and "margins" not in config:
        recorded = _protocol_margins(run.protocol)
    return {**(seen or {}), **recorded}


def backend_colours(runs: list[RunRecord]) -> dict[str, str]:
    """One colour per backend for the whole report (the same backend looks the same in
    every plot)."""
    from salbench.report.svg import PALETTE

    return {b: PALETTE[i % len(PALETTE)] for i, b in enumerate(sorted({r.backend for r in runs}))}


@dataclass
class EffectRow:
    """One profile of an ablation at one point, against the ablation's baseline there."""

    effect: str
    group: Group
    #: metric -> the comparison baseline (A) → this profile (B); absent for the baseline
    against: dict[str, Agreement] = field(default_factory=dict)


@dataclass
class Ablation:
    """What each hardware effect costs in one section: every profile with a recorded
    `effect` (backends/bss2-*.toml, [backend] effect) against the one with effect 'none'
    (bss2-ideal) at the same point, on every final metric; Welch and TOST Holm-adjusted per
    metric over the effects and points."""

    section: Section
    baseline: str
    rows: list[EffectRow]

    @property
    def points(self) -> list[str]:
        return list(dict.fromkeys(r.group.point for r in self.rows))

    def comparisons(self, metric: str) -> list[tuple[EffectRow, Agreement]]:
        return [(r, r.against[metric]) for r in self.rows if metric in r.against]


def run_effect(run: RunRecord) -> str:
    """The hardware effect a run's backend profile stands for ('' outside the ablation)."""
    config = run.config if isinstance(run.config, dict) else {}
    effect = config.get("effect")
    return effect if isinstance(effect, str) else ""


def ablation(section: Section, alpha: float = 0.05) -> Ablation | None:
    """The section's hardware ablation, or None without a baseline and one other effect."""
    effects: dict[str, str] = {}
    for r in section.runs:
        if (e := run_effect(r)) and r.backend not in effects:
            effects[r.backend] = e
    baselines = [b for b, e in effects.items() if e == ABLATION_BASELINE]
    if not baselines or len(set(effects.values())) < 2:
        return None
    baseline = sorted(baselines)[0]
    rows: list[EffectRow] = []
    samples: list[tuple[Agreement, list[float], list[float]]] = []
    for point in section.points:
        base = section.group(baseline, point)
        if base is None or not base.ok:
            continue
        rows.append(EffectRow(ABLATION_BASELINE, base))
        here = [g for g in section.groups if g.point == point and g.backend in effects
                and g.backend != baseline and g.ok]
        for g in sorted(here, key=lambda g: (effect_rank(effects[g.backend]), g.backend)):
            row = EffectRow(effects[g.backend], g)
            for m in section.metrics:
                a, b = base.values(m), g.values(m)
                if a or b:
                    row.against[m] = compare_samples(point, baseline, g.backend, m, a, b,
                                                     section.margin(m))
                    samples.append((row.against[m], a, b))
            rows.append(row)
    if len(rows) < 2:
        return None
    judge_per_metric([c for c, _, _ in samples], [(a, b) for _, a, b in samples], alpha)
    return Ablation(section, baseline, rows)
