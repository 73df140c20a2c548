"""Summary statistics over seeds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Summary:
    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def mean_ci(values: list[float | None], level: float = 0.95) -> Summary:
    """Mean and Student-t confidence interval of the finite values (NaN when none)."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return Summary(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if x.size == 1:
        return Summary(mean, math.nan, math.nan, 1)
    sem = stats.sem(x)
    if sem == 0:
        return Summary(mean, mean, mean, int(x.size))
    low, high = stats.t.interval(level, x.size - 1, loc=mean, scale=sem)
    return Summary(mean, float(low), float(high), int(x.size))
