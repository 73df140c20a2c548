"""Small fits shared by the protocols' metrics."""

from __future__ import annotations

import math

import numpy as np


def exponential_decay_time(t: np.ndarray, y: np.ndarray) -> float:
    """Fit y = a·exp(−t/τ) + c (c ≥ 0, the noise floor) and return τ; NaN if it fails."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(t) < 4 or not np.all(np.isfinite(y)) or y[0] <= 0:
        return math.nan
    from scipy.optimize import curve_fit  # lazily: it adds ~0.6 s to every run's start-up

    span = float(t[-1] - t[0]) or 1.0
    try:
        (_, tau, _), _ = curve_fit(
            lambda s, a, tau, c: a * np.exp(-(s - t[0]) / tau) + c,
            t, y, p0=(y[0], span / 3, 0.0),
            bounds=([0.0, span * 1e-3, 0.0], [np.inf, span * 1e3, np.inf]),
            maxfev=5000,
        )
    except (RuntimeError, ValueError):
        return math.nan
    return float(tau)
