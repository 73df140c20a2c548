"""Hebbian statistics of spike trains for wake-sleep learning of sampling networks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .pairing import PairingState, causal_correlation


def coactivation(
    spikes: Sequence[np.ndarray],
    *,
    tau: float,
    duration: float,
    state: PairingState | None = None,
) -> tuple[np.ndarray, PairingState]:
    """Symmetric coactivation estimate Chat_ij ~ <z_i z_j> (zero diagonal) and the new state.

    Chat = (tau / duration) * (C + C.T) with C the causal correlation under a triangular window
    of width tau and nearest-neighbour pairing.

    Why this is <z_i z_j>: a sampling unit has z = 1 for tau after each spike.  Two such
    rectangles of length tau offset by Delta overlap for tau * (1 - |Delta| / tau)_+, i.e.
    tau * K_tri(|Delta|), so the time average (1/T) int z_i z_j dt = (tau / T) * sum over
    overlapping pairs of K_tri.  C + C.T holds each pair once, whichever spike came first (a
    tie is split K(0)/2 + K(0)/2).  With refractoriness >= tau a unit has at most one spike in
    any window of length tau, so the only partner within tau of a spike of i is j's last
    spike, which then also follows i's previous spike: nearest-neighbour pairing finds every
    overlapping pair and the estimate is exact.
    """
    C, state = causal_correlation(
        spikes, tau=tau, window="triangular", pairing="nearest", state=state
    )
    Chat = (tau / duration) * (C + C.T)
    np.fill_diagonal(Chat, 0.0)
    return Chat, state


def mean_activity(spikes: Sequence[np.ndarray], *, tau: float, duration: float) -> np.ndarray:
    """p_i = rate_i * tau: the fraction of time unit i is active (z_i = 1) over ``duration``."""
    counts = np.array([np.asarray(s).size for s in spikes], dtype=np.float64)
    return counts * (tau / duration)
