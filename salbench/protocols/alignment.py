"""How well feedback weights B match the transpose of forward weights W (design.md 1.3).

W is a forward block [upper, lower] (W[post, pre]); B is the matching feedback block
[lower, upper]. Perfect alignment for backprop is B = Wᵀ. All functions are pure numpy.
"""

from __future__ import annotations

import math

import numpy as np


def _pair(W: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wᵀ and B as float arrays of the same shape, or a clear error."""
    Wt = np.asarray(W, dtype=float).T
    B = np.asarray(B, dtype=float)
    if Wt.shape != B.shape:
        raise ValueError(f"B must have the shape of W.T: {B.shape} vs {Wt.shape}")
    return Wt, B


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return math.nan  # the angle to a zero matrix is undefined
    return float(np.clip(np.vdot(a, b) / (na * nb), -1.0, 1.0))


def alignment_angle_deg(W: np.ndarray, B: np.ndarray) -> float:
    """∠(Wᵀ, B) = arccos(⟨W, Bᵀ⟩ / ‖W‖‖B‖) in degrees (Frobenius inner product).

    0° is B ∝ Wᵀ, 90° is unrelated (independent random matrices), 180° is B ∝ −Wᵀ.
    """
    Wt, B = _pair(W, B)
    na, nb = np.linalg.norm(Wt), np.linalg.norm(B)
    if na == 0 or nb == 0:
        return math.nan  # the angle to a zero matrix is undefined
    # 2·atan2(‖â − b̂‖, ‖â + b̂‖) (Kahan's formula) rather than arccos of the cosine: near 0° and
    # 180° arccos turns the cosine's last-bit rounding into ~1e-6° (the dot product's rounding
    # depends on the machine's BLAS kernel), while this stays exact: B = c·Wᵀ gives 0 exactly.
    a_hat, b_hat = Wt / na, B / nb
    return math.degrees(2.0 * math.atan2(float(np.linalg.norm(a_hat - b_hat)),
                                         float(np.linalg.norm(a_hat + b_hat))))


def weight_correlation(W: np.ndarray, B: np.ndarray) -> float:
    """Pearson correlation between the entries of B and of Wᵀ."""
    Wt, B = _pair(W, B)
    return _cosine(Wt.ravel() - Wt.mean(), B.ravel() - B.mean())


def sign_concordance(W: np.ndarray, B: np.ndarray) -> float:
    """Fraction of entries where B and Wᵀ have the same sign (0.5 for unrelated matrices)."""
    Wt, B = _pair(W, B)
    return float(np.mean(np.sign(Wt) == np.sign(B)))


def probe_errors(n_upper: int, n_probes: int, seed: int) -> np.ndarray:
    """A fixed probe set of error vectors e ~ N(0, I), shape (n_probes, n_upper).

    Seeded on its own so every run, variant and backend is scored on the same probes.
    """
    return np.random.default_rng([seed, n_upper]).standard_normal((n_probes, n_upper))


def gradient_alignment(W: np.ndarray, B: np.ndarray, errors: np.ndarray) -> float:
    """Mean cosine between the error B·e that B sends down and Wᵀ·e that backprop would send,
    over the probe errors (rows of `errors`). 1 = perfect, ≈0 = unrelated."""
    Wt, B = _pair(W, B)
    fb = errors @ B.T  # (probes, lower): row k is B·e_k
    bp = errors @ Wt.T  # row k is Wᵀ·e_k
    norms = np.linalg.norm(fb, axis=1) * np.linalg.norm(bp, axis=1)
    valid = norms > 0
    if not np.any(valid):
        return math.nan
    return float(np.mean(np.sum(fb * bp, axis=1)[valid] / norms[valid]))


def time_to_reach(t: np.ndarray, values: np.ndarray, threshold: float) -> float:
    """First time at which `values` is at or below `threshold` (NaN if never)."""
    hit = np.nonzero(np.asarray(values, dtype=float) <= threshold)[0]
    return float(np.asarray(t, dtype=float)[hit[0]]) if hit.size else math.nan
