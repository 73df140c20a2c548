"""Plasticity noise: frozen per-synapse amplitude variability (design.md section 1.1).

The model of the SAL authors' v3 code (github.com/unibe-cns/sal-code, scripts/ssn/train_bm.py:
`a_forward`/`a_backward`, passed as `set_forward(a_plus=a, a_minus=a)`): every plastic synapse
j -> i of a rule gets ONE amplitude a_ij, drawn once per run, that scales both lobes of its
window. a_ij and a_ji (the two synapses of a reciprocal pair) are independent draws, and each
rule (SAL, the Hebbian task rule) draws its own. So under noise the pair's two SAL updates are
no longer equal and opposite, but each synapse's own causal and acausal lobes stay balanced.
"""

from __future__ import annotations

import numpy as np


def plasticity_amplitudes(
    rng: np.random.Generator,
    shape: int | tuple[int, ...],
    sigma: float,
    clip_sigmas: float = 1.5,
) -> np.ndarray:
    """Amplitudes a = max(0, 1 + xi), xi ~ N(0, sigma^2) truncated at +-clip_sigmas * sigma.

    One value per synapse: for an (n, n) shape, a[i, j] belongs to the synapse j -> i and
    a[j, i] to the reverse synapse, an independent draw. sigma = 0 gives ones (and draws
    nothing from ``rng``).
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
