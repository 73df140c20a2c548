"""Learning rules on spike trains: pure numpy/numba, no simulator.

The SAL rule, Hebbian coactivation statistics for wake-sleep, STDP windows, the pair
correlation kernel they share, and the plasticity-noise model.
"""

from .hebbian import coactivation, mean_activity
from .noise import plasticity_amplitudes
from .pairing import PAIRINGS, PairingState, causal_correlation
from .sal import SALRule, sal_update
from .windows import WINDOWS, cutoff, exponential, triangular

__all__ = [
    "PAIRINGS",
    "WINDOWS",
    "PairingState",
    "SALRule",
    "causal_correlation",
    "coactivation",
    "cutoff",
    "exponential",
    "mean_activity",
    "plasticity_amplitudes",
    "sal_update",
    "triangular",
]
