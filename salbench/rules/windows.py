"""Causal STDP windows K(s) for a spike-time difference s = t_post - t_pre >= 0 (ms).

Both windows have K(0) = 1, so a tie contributes K(0)/2 = 1/2 to each direction.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike


def exponential(s: ArrayLike, tau: float) -> np.ndarray | float:
    """K(s) = exp(-s / tau)."""
    return np.exp(-np.asarray(s, dtype=np.float64) / tau)


def triangular(s: ArrayLike, tau: float) -> np.ndarray | float:
    """K(s) = max(0, 1 - s / tau)."""
    return np.maximum(0.0, 1.0 - np.asarray(s, dtype=np.float64) / tau)


WINDOWS: dict[str, Callable[[ArrayLike, float], np.ndarray | float]] = {
    "exponential": exponential,
    "triangular": triangular,
}

# Support of each window in units of tau, used by all-pairs pairing to bound the history it
# must keep.  The triangular window is exactly zero from tau on.  The exponential window has
# infinite support; we truncate it at 10 tau, where K = exp(-10) ~ 4.5e-5, so the all-pairs
# estimate drops at most that fraction of a pair's weight.
CUTOFF_TAUS: dict[str, float] = {
    "exponential": 10.0,
    "triangular": 1.0,
}

# Integer codes the numba kernel dispatches on (it cannot call the Python dict above).
WINDOW_CODES: dict[str, int] = {"exponential": 0, "triangular": 1}


def cutoff(window: str, tau: float) -> float:
    """Largest pair distance (ms, exclusive) that all-pairs pairing counts for this window."""
    if window not in CUTOFF_TAUS:
        raise ValueError(f"unknown window {window!r}; choose one of {sorted(WINDOWS)}")
    return CUTOFF_TAUS[window] * tau
