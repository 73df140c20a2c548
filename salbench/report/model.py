"""From stored runs to what a report shows: sections, groups, summaries, comparisons.

Plain data only (no HTML): the same model feeds the HTML report and `salbench compare`.
A *section* is one scenario under one profile; a *group* is the runs of a section on one
backend at one sweep point, i.e. the seeds of one configuration.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from salbench.report import metrics as mx
from salbench.report.stats import Difference, Summary, holm, mean_ci, welch
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


@dataclass
class Agreement:
    """One backend pair on one metric at one sweep point."""

    point: str
    a: str
    b: str
    metric: str
    diff: Difference
    p_holm: float = math.nan

    @property
    def verdict(self) -> str:
        if not self.diff.testable:
            return "untested"
        return "agree" if self.p_holm >= 0.05 else "differ"

    @property
    def sentence(self) -> str:
        d = self.diff
        if not d.testable:
            return (f"{self.a} and {self.b} cannot be compared on {self.metric} "
                    f"(n = {d.n_a} and {d.n_b}; a test needs two seeds each)")
        verb = "agree on" if self.verdict == "agree" else "differ on"
        return f"{self.a} and {self.b} {verb} {self.metric} ({_p(self.p_holm)})"


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

    def agreement(self) -> list[Agreement]:
        """Every backend pair × final metric × sweep point; p Holm-adjusted per metric over
        its pairs and sweep points (many are tested at once: unadjusted p would find false
        disagreements by chance)."""
        rows: list[Agreement] = []
        for point in self.points:
            here = [g for g in self.groups if g.point == point and g.ok]
            for ga, gb in itertools.combinations(sorted(here, key=lambda g: g.backend), 2):
                for m in self.metrics:
                    a, b = ga.values(m), gb.values(m)
                    if a or b:
                        rows.append(Agreement(point, ga.backend, gb.backend, m, welch(a, b)))
        # one family per metric: "do the backends agree on this metric?" over all pairs and
        # sweep points
        for metric in {r.metric for r in rows}:
            family = [r for r in rows if r.metric == metric]
            for row, p in zip(family, holm([r.diff.p for r in family]), strict=True):
                row.p_holm = p
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


def build_sections(runs: list[RunRecord]) -> list[Section]:
    """Group runs into sections (scenario, profile) and groups (backend, sweep point)."""
    by_section: dict[tuple[str, str], dict[tuple[str, str], Group]] = defaultdict(dict)
    labels: dict[tuple[str, str], str] = {}
    mains: dict[tuple[str, str], str] = {}
    for r in runs:
        key = (r.scenario, r.profile)
        labels[key] = r.label
        main = r.notes.get("main_metric") if isinstance(r.notes, dict) else None
        if main:
            mains[key] = str(main)
        sweep = r.sweep if isinstance(r.sweep, dict) else {}
        gkey = (r.backend, point_key(sweep))
        group = by_section[key].setdefault(gkey, Group(r.backend, sweep))
        group.runs.append(r)
    sections = []
    for key in sorted(by_section):
        groups = sorted(by_section[key].values(),
                        key=lambda g: (g.backend, sorted((k, _sortable(v))
                                                         for k, v in g.sweep.items())))
        sections.append(Section(key[0], key[1], labels[key], mains.get(key, ""), groups))
    return sections


def backend_colours(runs: list[RunRecord]) -> dict[str, str]:
    """One colour per backend for the whole report (the same backend looks the same in
    every plot)."""
    from salbench.report.svg import PALETTE

    return {b: PALETTE[i % len(PALETTE)] for i, b in enumerate(sorted({r.backend for r in runs}))}
