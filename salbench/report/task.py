"""The `task` scenario across its variants, from stored runs only (issue 16).

Every run of the `task` protocol (catalogue entries task, task-fa, task-bp, task-noise, or a
lab's own) carries its per-epoch test accuracy and, per epoch, the angle ∠(Wᵀ, B) of the
feedback that carried the epoch's errors and the paired gap to a backprop twin trained with
the same seed (salbench.protocols.task). The report shows:

- accuracy curves: per backend and profile one panel, one curve per variant (mean and range
  over seeds, against the training epoch);
- the link between alignment and accuracy: the gap to backprop (percentage points) against
  the angle, every epoch of every run binned in `BIN_DEG` bins, one curve per backend;
- a table of medians over seeds per backend, profile and variant (final accuracy, its gap to
  backprop, the angle, epochs to the target accuracy): the issue's acceptance figures.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from salbench.report.stats import Summary, mean_ci
from salbench.store import RunRecord

#: width of the angle bins (degrees)
BIN_DEG = 10.0
#: final metrics of the table, in order
TABLE_METRICS = ("accuracy", "gap_to_bp_pp", "angle_deg", "epochs_to_accuracy",
                 "gain_over_fa_early_pp")


def task_runs(runs: list[RunRecord]) -> list[RunRecord]:
    return [r for r in runs if r.protocol == "task" and r.status == "ok"
            and r.series.get("accuracy")]


@dataclass
class AccuracyCurve:
    variant: str
    epochs: list[float]
    mean: list[float]
    low: list[float]
    high: list[float]
    n: int


@dataclass
class GapCurve:
    backend: str
    x: list[float] = field(default_factory=list)
    y: list[Summary] = field(default_factory=list)


@dataclass
class TableRow:
    backend: str
    profile: str
    variant: str
    n: int
    medians: dict[str, float]


def _by(runs: list[RunRecord]) -> dict[tuple[str, str], dict[str, list[RunRecord]]]:
    """(backend, profile) -> variant (the scenario's catalogue name) -> runs."""
    out: dict[tuple[str, str], dict[str, list[RunRecord]]] = defaultdict(lambda: defaultdict(list))
    for r in task_runs(runs):
        out[(r.backend, r.profile)][r.scenario].append(r)
    return out


def accuracy_curves(runs: list[RunRecord]) -> dict[tuple[str, str], list[AccuracyCurve]]:
    """(backend, profile) -> one curve per variant, on the seeds' shortest common grid."""
    out: dict[tuple[str, str], list[AccuracyCurve]] = {}
    for key, variants in sorted(_by(runs).items()):
        curves = []
        for variant, rs in sorted(variants.items()):
            n = min(len(r.series["accuracy"]) for r in rs)
            ys = np.array([[math.nan if v is None else float(v) for v in r.series["accuracy"][:n]]
                           for r in rs])
            epochs = [float(e) for e in (rs[0].series.get("epoch") or range(n))[:n]]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                curves.append(AccuracyCurve(variant, epochs, np.nanmean(ys, 0).tolist(),
                                            np.nanmin(ys, 0).tolist(),
                                            np.nanmax(ys, 0).tolist(), len(rs)))
        out[key] = curves
    return out


def gap_against_angle(runs: list[RunRecord], bin_deg: float = BIN_DEG) -> list[GapCurve]:
    """One curve per backend: the gap to backprop (pp) of every trained epoch, binned by the
    angle of the feedback that trained it."""
    bins: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in task_runs(runs):
        angles, gaps = r.series.get("angle_deg") or [], r.series.get("gap_to_bp_pp") or []
        for angle, gap in list(zip(angles, gaps, strict=False))[1:]:  # epoch 0 trains nothing
            if angle is None or gap is None or not (math.isfinite(angle) and math.isfinite(gap)):
                continue
            bins[r.backend][int(math.floor(angle / bin_deg))].append(float(gap))
    out = []
    for backend, by_bin in sorted(bins.items()):
        curve = GapCurve(backend)
        for b in sorted(by_bin):
            curve.x.append((b + 0.5) * bin_deg)
            curve.y.append(mean_ci(by_bin[b]))
        out.append(curve)
    return out


def table(runs: list[RunRecord]) -> list[TableRow]:
    rows = []
    for (backend, profile), variants in sorted(_by(runs).items()):
        for variant, rs in sorted(variants.items()):
            medians = {}
            for metric in TABLE_METRICS:
                vals = [float(v) for r in rs if isinstance(v := r.final.get(metric), int | float)
                        and not isinstance(v, bool) and math.isfinite(v)]
                medians[metric] = float(np.median(vals)) if vals else math.nan
            medians["runtime"] = float(np.median([r.wall_s for r in rs if r.wall_s] or [math.nan]))
            rows.append(TableRow(backend, profile, variant, len(rs), medians))
    return rows
