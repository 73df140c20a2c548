"""Where SAL settles against the units' rates, from stored runs only.

SAL's fixed point on LIF units depends on the units' rates and on their background noise
(README, "LIF sampling units"): a busy unit responds little to one more PSP, so SAL leaves the
weight into it larger than the weight out of it. Every run that learnt with SAL and recorded
where it ended (notes `final_weights` and `final_unit_rates_hz`: the `pair` and `sampling`
scenarios) gives one point per reciprocal pair of units (i, j), i the busier one:

- x: rate_i − rate_j (Hz), how much busier i is;
- y: W_ij − W_ji, the weight into the busier unit minus the weight out of it (0 where SAL's
  fixed point is symmetric);
- for two-unit runs also the ratio W_ij / W_ji (the `pair` scenario's fixed-point ratio).

Points are grouped by backend and unit model (the LIF unit's noise model, or "abstract" for
the paper's model) and binned along x.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from salbench.report.stats import Summary, mean_ci
from salbench.store import RunRecord

#: width of the rate-difference bins (Hz)
BIN_HZ = 10.0


@dataclass
class PairPoint:
    backend: str
    unit_model: str
    rate_diff_hz: float
    residual: float
    ratio: float | None  # two-unit runs only


@dataclass
class Curve:
    """One backend and unit model: the binned residual against the rate difference."""

    backend: str
    unit_model: str
    x: list[float] = field(default_factory=list)
    y: list[Summary] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)


def unit_model(run: RunRecord) -> str:
    """The sampling unit a run used: 'abstract' on the reference model, else its noise model."""
    config = run.config or {}
    if config.get("adapter") == "reference":
        return "abstract"
    unit = (run.provenance or {}).get("backend", {}).get("unit") or {}
    if "noise" in unit:
        return f"LIF, {unit['noise']} noise"
    declared = (config.get("params") or {}).get("unit") or {}
    return f"LIF, {declared.get('noise', 'poisson')} noise"


def learnt_with_sal(run: RunRecord) -> bool:
    params = (run.config or {}).get("params") or {}
    if run.status != "ok":
        return False
    if "eta_sal" in params:
        return float(params["eta_sal"]) > 0
    return params.get("plastic", "both") == "both"  # pair: both weights free to settle


def pair_points(runs: list[RunRecord]) -> list[PairPoint]:
    out = []
    for run in runs:
        notes = run.notes if isinstance(run.notes, dict) else {}
        if not learnt_with_sal(run) or "final_weights" not in notes:
            continue
        rates = notes.get("final_unit_rates_hz")
        if not rates:
            continue
        w = np.asarray(notes["final_weights"], dtype=float)
        r = np.asarray(rates, dtype=float)
        n = len(r)
        for i in range(n):
            for j in range(i + 1, n):
                busy, quiet = (i, j) if r[i] >= r[j] else (j, i)
                w_in, w_out = w[busy, quiet], w[quiet, busy]
                ratio = w_in / w_out if n == 2 and w_out > 0 else None
                out.append(PairPoint(run.backend, unit_model(run), float(r[busy] - r[quiet]),
                                     float(w_in - w_out), ratio))
    return out


def curves(points: list[PairPoint], bin_hz: float = BIN_HZ) -> dict[str, list[Curve]]:
    """backend -> one curve per unit model (bins with at least one point)."""
    grouped: dict[tuple[str, str], list[PairPoint]] = defaultdict(list)
    for p in points:
        grouped[(p.backend, p.unit_model)].append(p)
    out: dict[str, list[Curve]] = defaultdict(list)
    for (backend, model), pts in sorted(grouped.items()):
        curve = Curve(backend, model)
        bins: dict[int, list[float]] = defaultdict(list)
        for p in pts:
            bins[int(math.floor(p.rate_diff_hz / bin_hz))].append(p.residual)
        for b in sorted(bins):
            curve.x.append((b + 0.5) * bin_hz)
            curve.y.append(mean_ci(bins[b]))
        curve.ratios = [p.ratio for p in pts if p.ratio is not None]
        out[backend].append(curve)
    return dict(out)
