"""The SAL rule: pair-based STDP with an antisymmetric window (design.md section 1.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .pairing import PairingState, causal_correlation


def sal_update(
    C: np.ndarray,
    *,
    eta: float,
    tau: float,
    duration: float,
    a_causal: ArrayLike = 1.0,
    a_acausal: ArrayLike = 1.0,
    mask: np.ndarray | None = None,
    acausal: np.ndarray | None = None,
) -> np.ndarray:
    """Weight change dW[post, pre] of one epoch from the causal correlation C of its spikes.

    ``acausal`` is the acausal correlation A[post, pre]; from exact spike trains it is C.T
    (the default). Hardware correlation sensors measure both lobes separately, with their
    own mismatch, and pass it explicitly.

    dW = eta * (tau / duration) * (-a_causal * C + a_acausal * C.T): the causal lobe (pre j
    before post i, C[i, j]) depresses w_ij, the acausal lobe (post i before pre j, C[j, i])
    potentiates it.  a_* are scalars or per-synapse (n, n) matrices indexed like W.  Under
    the paper's plasticity noise (salbench.rules.noise) one amplitude per synapse scales both
    of its lobes: pass the same matrix as both.  Zero outside ``mask`` (True = plastic) and on
    the diagonal.
    """
    C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError("C must be square")
    scale = eta * (tau / duration)
    # each term rounds identically for (i, j) and (j, i), so equal amplitudes give dW = -dW.T
    A = C.T if acausal is None else np.asarray(acausal, dtype=np.float64)
    dW = scale * (-np.asarray(a_causal) * C + np.asarray(a_acausal) * A)
    if mask is not None:
        dW = np.where(np.asarray(mask, dtype=bool), dW, 0.0)
    np.fill_diagonal(dW, 0.0)
    return dW


@dataclass
class SALRule:
    """SAL as a stateful per-epoch rule: spikes of one epoch in, dW out.

    The pairing state is carried between epochs, so pairs straddling an epoch boundary count.
    """

    eta: float
    tau: float
    window: str = "exponential"
    pairing: str = "nearest"
    k: int = 10
    a_causal: ArrayLike = 1.0
    a_acausal: ArrayLike = 1.0
    mask: np.ndarray | None = None
    _state: PairingState | None = field(default=None, init=False, repr=False)

    def update(self, spikes: Sequence[np.ndarray], duration: float) -> np.ndarray:
        """dW for one epoch of length ``duration`` (ms) with spike trains ``spikes``."""
        C, self._state = causal_correlation(
            spikes,
            tau=self.tau,
            window=self.window,
            pairing=self.pairing,
            k=self.k,
            state=self._state,
        )
        return sal_update(
            C,
            eta=self.eta,
            tau=self.tau,
            duration=duration,
            a_causal=self.a_causal,
            a_acausal=self.a_acausal,
            mask=self.mask,
        )

    def reset(self) -> None:
        """Forget the spike history (e.g. between independent runs)."""
        self._state = None
