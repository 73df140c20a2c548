"""From stored runs to what a report shows: groups, summaries, series. Plain data only."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from salbench.report.stats import Summary, mean_ci
from salbench.store import RunRecord


@dataclass
class Group:
    """All runs of one scenario/profile on one backend at one sweep point."""

    backend: str
    sweep: dict[str, Any]
    runs: list[RunRecord] = field(default_factory=list)

    @property
    def ok(self) -> list[RunRecord]:
        return [r for r in self.runs if r.status == "ok"]

    @property
    def name(self) -> str:
        point = ", ".join(f"{k}={v}" for k, v in self.sweep.items())
        return f"{self.backend} ({point})" if point else self.backend

    def final(self, metric: str) -> Summary:
        return mean_ci([r.final.get(metric) for r in self.ok])

    def runtime(self) -> Summary:
        return mean_ci([r.wall_s for r in self.ok])

    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for r in self.runs:
            out[r.status] += 1
        return dict(out)

    def series(self, metric: str) -> tuple[list[float], list[float], list[float], list[float]]:
        """t (ms), mean, min and max over seeds of `metric`, on the common time grid."""
        curves = [(r.series.get("t_ms", []), r.series.get(metric, [])) for r in self.ok]
        curves = [(t, y) for t, y in curves if t and len(t) == len(y)]
        if not curves:
            return [], [], [], []
        n = min(len(t) for t, _ in curves)
        t = list(curves[0][0][:n])
        ys = np.array([[math.nan if v is None else v for v in y[:n]] for _, y in curves])
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(ys, axis=0)
                low, high = np.nanmin(ys, axis=0), np.nanmax(ys, axis=0)
        return t, mean.tolist(), low.tolist(), high.tolist()


@dataclass
class Section:
    scenario: str
    profile: str
    label: str
    main_metric: str
    groups: list[Group]

    @property
    def metrics(self) -> list[str]:
        names: list[str] = []
        for g in self.groups:
            for r in g.ok:
                names += [k for k in r.final if k not in names]
        return names


def build_sections(runs: list[RunRecord]) -> list[Section]:
    by_section: dict[tuple[str, str], dict[tuple[str, str], Group]] = defaultdict(dict)
    labels: dict[tuple[str, str], str] = {}
    mains: dict[tuple[str, str], str] = {}
    for r in runs:
        key = (r.scenario, r.profile)
        labels[key] = r.label
        if r.notes.get("main_metric"):
            mains[key] = r.notes["main_metric"]
        gkey = (r.backend, repr(sorted(r.sweep.items())))
        group = by_section[key].setdefault(gkey, Group(r.backend, r.sweep))
        group.runs.append(r)
    sections = []
    for key in sorted(by_section):
        groups = sorted(by_section[key].values(),
                        key=lambda g: (g.backend, repr(sorted(g.sweep.items()))))
        sections.append(Section(key[0], key[1], labels[key], mains.get(key, ""), groups))
    return sections
