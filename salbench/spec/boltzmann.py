"""Boltzmann machines for the sampling scenario: targets, exact moments, states from spikes.

A Boltzmann machine over binary z in {0, 1}^N has p(z) ∝ exp(½ zᵀWz + bᵀz) (W symmetric,
zero diagonal). For N ≤ ~15 everything is computed exactly over all 2^N states.

A sampling unit is "on" (z_i = 1) for tau_ref after each of its spikes. States are read off
spike trains at sample times t: z_i(t) = 1 iff unit i has a spike s with s < t ≤ s + tau_ref
(the convention of the SAL authors' `get_states_from_spikes` and of the reference engine's
own state sampler), so the protocol needs nothing from a backend but spike trains.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: spike and sample times closer than this (ms) count as equal (grids are >= 1e-3 ms apart;
#: float rounding of t0 + k * dt is ~1e-12 ms)
TIME_EPS = 1e-6


def all_states(n: int) -> np.ndarray:
    """All 2^n binary states, shape (2^n, n), uint8; row k is k in binary, unit 0 first
    (the most significant bit), the order of `state_index`."""
    if not 1 <= n <= 20:
        raise ValueError(f"n must be in 1..20 for exact enumeration, got {n}")
    k = np.arange(2**n, dtype=np.int64)
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)
    return ((k[:, None] >> shifts[None, :]) & 1).astype(np.uint8)


def state_index(states: np.ndarray) -> np.ndarray:
    """Index of each state (rows of 0/1) in `all_states` order."""
    states = np.asarray(states, dtype=np.int64)
    n = states.shape[1]
    return states @ (1 << np.arange(n - 1, -1, -1, dtype=np.int64))


def boltzmann_distribution(weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """Exact p(z) ∝ exp(½ zᵀWz + bᵀz) over `all_states(n)`; the diagonal of W is ignored."""
    w = np.asarray(weights, dtype=np.float64).copy()
    np.fill_diagonal(w, 0.0)
    b = np.asarray(biases, dtype=np.float64)
    z = all_states(b.shape[0]).astype(np.float64)
    energy = 0.5 * np.einsum("ki,ij,kj->k", z, w, z) + z @ b
    energy -= energy.max()  # no overflow; cancels in the normalisation
    p = np.exp(energy)
    return p / p.sum()


def moments(weights: np.ndarray, biases: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact (⟨z⟩, ⟨zzᵀ⟩) of the Boltzmann machine; ⟨zzᵀ⟩ has zero diagonal (no self-weight
    to learn)."""
    p = boltzmann_distribution(weights, biases)
    z = all_states(len(biases)).astype(np.float64)
    mean = p @ z
    coact = (z * p[:, None]).T @ z
    # ⟨zzᵀ⟩ is symmetric, but a BLAS product need not be to the last bit (OpenBLAS's AVX2
    # kernels left 1e-16 differences that AVX-512 ones did not): symmetrise, so a symmetric
    # start under the Hebbian rule alone stays exactly symmetric on every machine
    coact = 0.5 * (coact + coact.T)
    np.fill_diagonal(coact, 0.0)
    return mean, coact


def random_target(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The paper's random target: W* symmetric with entries 2·Beta(1,1) − 1 = U(−1, 1) (upper
    triangle drawn, mirrored), zero diagonal; b* = U(−1, 1)."""
    w = 2.0 * rng.beta(1.0, 1.0, size=(n, n)) - 1.0
    w = np.triu(w, 1)
    b = 2.0 * rng.beta(1.0, 1.0, size=n) - 1.0
    return w + w.T, b


def symmetric_normal(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """A symmetric matrix with N(0, sigma²) entries above the diagonal, mirrored; zero diagonal."""
    w = np.triu(rng.normal(0.0, sigma, size=(n, n)), 1)
    return w + w.T


def asymmetry(weights: np.ndarray) -> float:
    """Var_{i<j}(W_ij − W_ji): 0 for a symmetric matrix (population variance, as the paper)."""
    w = np.asarray(weights, dtype=np.float64)
    iu = np.triu_indices(w.shape[0], k=1)
    return float(np.var((w - w.T)[iu]))


class StateReader:
    """Reads binary states off consecutive chunks of spike trains.

    Keeps each unit's last spike so a spike shortly before a chunk still sets z at its start.
    Refractoriness ≥ tau_ref means the last spike before t decides z(t) alone.
    """

    def __init__(self, n: int, tau_ms: float) -> None:
        self.tau = float(tau_ms)
        self.last = np.full(n, -np.inf)

    def states(self, spikes: Sequence[np.ndarray], t0_ms: float, duration_ms: float,
               every_ms: float) -> np.ndarray:
        """States sampled at t0, t0 + every, ... (< t0 + duration), shape (m, n), uint8,
        from this chunk's spike trains (absolute ms)."""
        m = int(round(duration_ms / every_ms))
        t = t0_ms + every_ms * np.arange(m)
        out = np.zeros((m, len(spikes)), dtype=np.uint8)
        for i, s in enumerate(spikes):
            s = np.concatenate(([self.last[i]], np.asarray(s, dtype=np.float64)))
            # the last spike strictly before each sample time
            k = np.searchsorted(s, t - TIME_EPS, side="left") - 1
            before = np.where(k >= 0, s[np.maximum(k, 0)], -np.inf)
            out[:, i] = before >= t - self.tau - TIME_EPS
            self.last[i] = s[-1]
        return out


    def advance(self, spikes: Sequence[np.ndarray]) -> None:
        """Take note of a chunk without sampling it."""
        for i, s in enumerate(spikes):
            if len(s):
                self.last[i] = s[-1]


def empirical_distribution(states: np.ndarray) -> np.ndarray:
    """Relative frequency of each state of `all_states(n)` among the rows of `states`."""
    n = states.shape[1]
    counts = np.bincount(state_index(states), minlength=2**n).astype(np.float64)
    return counts / max(counts.sum(), 1.0)


def kl_divergence(p_target: np.ndarray, q: np.ndarray, n_samples: int | None = None) -> float:
    """D_KL(p* ‖ q) in nats.

    A state never sampled has q = 0 and makes D_KL infinite; with `n_samples` such states get
    half a count (q = 0.5 / n_samples), the usual continuity correction, so a finite sample of
    a good sampler gives a finite, comparable number.
    """
    p = np.asarray(p_target, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if n_samples:
        q = np.maximum(q, 0.5 / n_samples)
        q = q / q.sum()
    nz = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))))
