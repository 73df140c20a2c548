"""Plasticity noise: frozen per-synapse amplitude variability (design.md section 1.1)."""

from __future__ import annotations

import numpy as np


def plasticity_amplitudes(
    rng: np.random.Generator,
    shape: int | tuple[int, ...],
    sigma: float,
    clip_sigmas: float = 1.5,
) -> np.ndarray:
    """Amplitudes a = max(0, 1 + xi), xi ~ N(0, sigma^2) truncated at +-clip_sigmas * sigma.

    sigma = 0 gives ones (and draws nothing from ``rng``).
    """
    if sigma < 0:
        raise ValueError("sigma must be >= 0")
    if sigma == 0:
        return np.ones(shape)
    # imported here: scipy.stats costs ~1.5 s of start-up in every run process
    from scipy.stats import truncnorm

    # truncnorm's bounds are in units of scale, so +-clip_sigmas is +-clip_sigmas * sigma
    xi = truncnorm.rvs(
        -clip_sigmas, clip_sigmas, loc=0.0, scale=sigma, size=shape, random_state=rng
    )
    # the paper's model clips at zero: large noise can switch a synapse's rule off, never flip it
    return np.maximum(0.0, 1.0 + xi)


def sal_amplitudes(rng: np.random.Generator, n: int, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-synapse (n, n) amplitudes (a_causal, a_acausal), the two lobes drawn independently."""
    a_causal = plasticity_amplitudes(rng, (n, n), sigma)
    a_acausal = plasticity_amplitudes(rng, (n, n), sigma)
    return a_causal, a_acausal
