"""Pair-based spike-time correlations: the kernel every spike-timing rule in salbench uses.

``causal_correlation`` returns C with C[i, j] = sum over counted pairs (t_i, s_j), t_i after s_j,
of K(t_i - s_j): the "pre j before post i" lobe.  The acausal lobe of synapse j -> i is C[j, i],
so one matrix serves both SAL (antisymmetric) and Hebbian (symmetric) estimates.

Spikes are processed in time order, one chunk (epoch) at a time; a ``PairingState`` carries the
recent spike history so that consecutive chunks give the same total C as one long call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numba
import numpy as np

from .windows import WINDOW_CODES, cutoff

# Spikes closer than this (ms) are simultaneous.  Simulators put spikes on a time grid, and
# read-outs may differ from the grid by float rounding only, far below 1e-9 ms.
TIE_EPS = 1e-9

PAIRINGS = ("nearest", "last_k", "all")
_NEAREST, _LAST_K, _ALL = 0, 1, 2


@dataclass
class PairingState:
    """Spike history carried between chunks.

    ``history`` has shape (n, m): the last m spike times per neuron, most recent last, -inf where
    none.  ``evicted`` (n,) is the time that fell off the front of each row at that neuron's most
    recent spike; with it the kernel can rebuild a neuron's history from *before* a spike that is
    simultaneous with the one being processed (a tie whose partner was processed first, possibly
    in the previous chunk), so ties never cost a history slot.
    """

    history: np.ndarray
    evicted: np.ndarray = field(default=cast(np.ndarray, None))  # None: made by __post_init__

    def __post_init__(self) -> None:
        self.history = np.ascontiguousarray(self.history, dtype=np.float64)
        if self.history.ndim != 2 or self.history.shape[1] < 1:
            raise ValueError("history must have shape (n, m) with m >= 1")
        if self.evicted is None:
            self.evicted = np.full(self.history.shape[0], -np.inf)
        self.evicted = np.ascontiguousarray(self.evicted, dtype=np.float64)
        if self.evicted.shape != (self.history.shape[0],):
            raise ValueError("evicted must have shape (n,)")

    @classmethod
    def empty(cls, n: int, k: int) -> PairingState:
        """State of n neurons that have not spiked yet, keeping the last k spikes."""
        return cls(np.full((n, k), -np.inf))

    @property
    def n(self) -> int:
        return self.history.shape[0]

    def copy(self) -> PairingState:
        return PairingState(self.history.copy(), self.evicted.copy())


@numba.njit(cache=True, inline="always")
def _window(s: float, tau: float, wcode: int) -> float:
    if wcode == 0:
        return math.exp(-s / tau)
    v = 1.0 - s / tau
    return v if v > 0.0 else 0.0


@numba.njit(cache=True, inline="always")
def _push(hist: np.ndarray, evicted: np.ndarray, a: int, t: float) -> None:
    """Append t to a's row, remembering what falls off (see PairingState.evicted)."""
    m = hist.shape[1]
    evicted[a] = hist[a, 0]
    for j in range(m - 1):
        hist[a, j] = hist[a, j + 1]
    hist[a, m - 1] = t


@numba.njit(cache=True)
def _pair_spike(
    t: float,
    a: int,
    hist: np.ndarray,
    evicted: np.ndarray,
    C: np.ndarray,
    tau: float,
    wcode: int,
    scheme: int,
    k: int,
    cut: float,
    eps: float,
    ties_only: bool,
) -> None:
    """Pair the spike of a at t with every other neuron's history (before t), any scheme.

    A neuron b whose last spike is simultaneous with t was processed earlier in the same batch
    of simultaneous spikes: the pair is a tie (K(0)/2 both ways), and b's history is read as it
    was before t (its row without the last entry, topped up by ``evicted``).  Hence every spike
    is paired with pre-t history only, whatever order simultaneous spikes come in.
    With ``ties_only`` only such b are handled (the nearest fast path did the rest).
    """
    n, m = hist.shape
    prev_a = hist[a, m - 1]
    half_k0 = 0.5 * _window(0.0, tau, wcode)
    for b in range(n):
        if b == a:
            continue
        # index of b's most recent spike before t (-1 means "the evicted one")
        top = m - 1
        if t - hist[b, m - 1] <= eps:
            C[a, b] += half_k0
            C[b, a] += half_k0
            top = m - 2
        elif ties_only:
            continue
        if scheme == _NEAREST:
            s = hist[b, top] if top >= 0 else evicted[b]
            # only b's spikes after a's own previous spike; -inf - x and nan compare False
            if s - prev_a > eps:
                C[a, b] += _window(t - s, tau, wcode)
        elif scheme == _LAST_K:
            j = top
            for _ in range(k):
                s = hist[b, j] if j >= 0 else evicted[b]
                if s == -np.inf:
                    break
                C[a, b] += _window(t - s, tau, wcode)
                if j < 0:
                    break
                j -= 1
        else:
            j = top
            while True:
                s = hist[b, j] if j >= 0 else evicted[b]
                if not t - s < cut:  # also stops at -inf
                    break
                C[a, b] += _window(t - s, tau, wcode)
                if j < 0:
                    break
                j -= 1


@numba.njit(cache=True)
def _nearest_kernel(
    times: np.ndarray,
    ids: np.ndarray,
    hist: np.ndarray,
    evicted: np.ndarray,
    C: np.ndarray,
    tau: float,
    wcode: int,
    eps: float,
) -> None:
    """Nearest-neighbour pairing, the hot loop of SAL, made branch-free and vectorisable.

    Whether b's last spike follows a's previous one is a coin flip that defeats branch
    prediction, so the loop over b selects instead of branching.  For the exponential window it
    avoids one exp per pair: K(t - s) = exp(-(t - t0)/tau) * exp((s - t0)/tau), with the second
    factor kept per neuron and recomputed from the spike times whenever t0 moves (at least
    every tau), so both arguments stay small and K is accurate to a few ulp.  Ties are rare:
    they are flagged here and handled by ``_pair_spike``.
    """
    n, m = hist.shape
    last = hist[:, m - 1].copy()  # contiguous copy of everyone's last spike
    expo = wcode == 0
    t0 = times[0]
    e_last = np.zeros(n)  # exp((last - t0) / tau); 0 for "never spiked"
    if expo:
        for b in range(n):
            e_last[b] = math.exp((last[b] - t0) / tau)
    for idx in range(times.shape[0]):
        t = times[idx]
        a = ids[idx]
        prev_a = last[a]
        if expo and t - t0 > tau:
            t0 = t
            for b in range(n):
                e_last[b] = math.exp((last[b] - t0) / tau)
        f = math.exp(-(t - t0) / tau) if expo else 0.0
        any_tie = False
        row = C[a]
        # b == a adds nothing: its "last spike" is prev_a itself
        for b in range(n):
            s = last[b]
            d = t - s
            any_tie |= d <= eps
            ok = (d > eps) & (s - prev_a > eps)
            if expo:
                row[b] += f * e_last[b] if ok else 0.0
            else:
                v = 1.0 - d / tau
                row[b] += v if (ok & (v > 0.0)) else 0.0
        if any_tie:  # (also true for a duplicate spike of a itself, which is then ignored)
            _pair_spike(t, a, hist, evicted, C, tau, wcode, _NEAREST, 1, 0.0, eps, True)
        _push(hist, evicted, a, t)
        last[a] = t
        if expo:
            e_last[a] = math.exp((t - t0) / tau)


@numba.njit(cache=True)
def _pair_kernel(
    times: np.ndarray,
    ids: np.ndarray,
    hist: np.ndarray,
    evicted: np.ndarray,
    C: np.ndarray,
    tau: float,
    wcode: int,
    scheme: int,
    k: int,
    cut: float,
    eps: float,
) -> None:
    """Accumulate pairs of the time-sorted spikes (times, ids) into C; update hist in place."""
    if scheme == _NEAREST:
        _nearest_kernel(times, ids, hist, evicted, C, tau, wcode, eps)
        return
    for idx in range(times.shape[0]):
        _pair_spike(times[idx], ids[idx], hist, evicted, C, tau, wcode, scheme, k, cut, eps, False)
        _push(hist, evicted, ids[idx], times[idx])


def _flatten(spikes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """All spikes as (times, neuron ids), sorted by time then id."""
    trains = [np.asarray(s, dtype=np.float64).ravel() for s in spikes]
    for i, tr in enumerate(trains):
        if tr.size and not np.all(np.isfinite(tr)):
            raise ValueError(f"spike train {i} has non-finite times")
        if tr.size > 1 and np.any(np.diff(tr) < 0):
            raise ValueError(f"spike train {i} is not sorted")
    if not trains:
        return np.empty(0), np.empty(0, dtype=np.int64)
    times = np.concatenate(trains)
    ids = np.repeat(np.arange(len(trains), dtype=np.int64), [tr.size for tr in trains])
    order = np.lexsort((ids, times))
    return np.ascontiguousarray(times[order]), np.ascontiguousarray(ids[order])


def _all_pairs_capacity(state: PairingState, spikes: Sequence[np.ndarray], cut: float) -> int:
    """History columns all-pairs needs: the most spikes any neuron has within one cutoff.

    A spike may be dropped from a row only once it is >= cutoff older than the spike pushing it
    out (then it is out of range for every later spike).  The row plus its evicted slot hold one
    spike more than this count (the tie case uses that slot), and one spare column absorbs
    rounding differences between this check (t - cut < s) and the kernel's (t - s < cut).
    """
    need = 1
    for row, ev, tr in zip(state.history, state.evicted, spikes, strict=True):
        known = np.concatenate([[ev], row])
        ts = np.concatenate([known[np.isfinite(known)], np.asarray(tr, dtype=np.float64).ravel()])
        if ts.size:
            # spikes in (t - cut, t] for every spike t of this neuron
            first_in_range = np.searchsorted(ts, ts - cut, side="right")
            need = max(need, int(np.max(np.arange(ts.size) - first_in_range)) + 1)
    return need + 1


def causal_correlation(
    spikes: Sequence[np.ndarray],
    *,
    tau: float,
    window: str = "exponential",
    pairing: str = "nearest",
    k: int = 10,
    state: PairingState | None = None,
) -> tuple[np.ndarray, PairingState]:
    """Causal pair correlation C (n x n) of one chunk of spike trains, and the state after it.

    C[i, j] = sum over counted pairs where a spike of i (post) at t follows a spike of j (pre)
    at s, of K(t - s); C[i, i] = 0.  ``spikes[i]`` are neuron i's sorted absolute times (ms).

    pairing:
      - "nearest": at a spike of a at t, pair with the last spike of every other b, if that
        spike came strictly after a's own previous spike (the on-chip correlation sensor).
      - "last_k": at a spike of a, pair with each of the last k spikes of every other b.
      - "all": every pair closer than the window cutoff (``windows.cutoff``), once.
    Simultaneous spikes (within 1e-9 ms) are paired with the history before their time, then
    each tie pair adds K(0)/2 to both C[a, b] and C[b, a].

    ``state`` (not modified) continues from an earlier chunk; chunks must come in time order and
    a state must be used with one pairing scheme (and for "last_k" hold >= k columns).
    """
    if not tau > 0:
        raise ValueError("tau must be positive")
    if window not in WINDOW_CODES:
        raise ValueError(f"unknown window {window!r}; choose one of {sorted(WINDOW_CODES)}")
    if pairing not in PAIRINGS:
        raise ValueError(f"unknown pairing {pairing!r}; choose one of {PAIRINGS}")
    if k < 1:
        raise ValueError("k must be >= 1")
    n = len(spikes)
    scheme = PAIRINGS.index(pairing)
    cut = cutoff(window, tau)

    if state is None:
        # nearest needs only the last spike; all-pairs grows its history below as needed
        state = PairingState.empty(n, k if pairing == "last_k" else 1)
    elif state.n != n:
        raise ValueError(f"state is for {state.n} neurons, got {n} spike trains")
    else:
        state = state.copy()
    if pairing == "last_k" and state.history.shape[1] < k:
        raise ValueError(
            f"state keeps {state.history.shape[1]} spikes per neuron, last_k needs {k}"
        )

    times, ids = _flatten(spikes)
    if times.size and n:
        latest = np.max(state.history[:, -1])
        if times[0] < latest - TIE_EPS:
            raise ValueError(
                f"chunk starts at {times[0]} ms, before spikes already processed ({latest} ms)"
            )
    if pairing == "all":
        m = _all_pairs_capacity(state, spikes, cut)
        if m > state.history.shape[1]:
            grown = np.full((n, m), -np.inf)
            grown[:, m - state.history.shape[1] :] = state.history
            # the evicted spike is the one just before each row: it moves into the new room
            grown[:, m - state.history.shape[1] - 1] = state.evicted
            state.history, state.evicted = grown, np.full(n, -np.inf)

    C = np.zeros((n, n))
    if times.size:
        _pair_kernel(
            times,
            ids,
            state.history,
            state.evicted,
            C,
            float(tau),
            WINDOW_CODES[window],
            scheme,
            int(k),
            float(cut),
            TIE_EPS,
        )
    return C, state
