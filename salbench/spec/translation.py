"""The uncalibrated ("linear") translation of abstract biases and weights to LIF parameters
(the calibrated one is salbench.realisation.calibration.CalibratedTranslation)."""

from __future__ import annotations

import numpy as np

from salbench.spec.units import LIFUnitParams


class LinearTranslation:
    """Uncalibrated: bias -> v_rest linearly, weight -> conductance linearly, same for both
    signs."""

    def __init__(self, unit: LIFUnitParams) -> None:
        self.unit = unit
        self.exc_uS_per_unit = unit.weight_uS
        self.inh_uS_per_unit = unit.weight_uS

    def v_rest(self, biases: np.ndarray) -> np.ndarray:
        return self.unit.v_rest_mV + self.unit.bias_mV * np.asarray(biases, dtype=float)

    def conductances(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(excitatory, inhibitory) conductances in uS for W[post, pre]."""
        w = np.asarray(weights, dtype=float)
        return np.maximum(w, 0.0) * self.exc_uS_per_unit, np.maximum(-w, 0.0) * self.inh_uS_per_unit

    def weights(self, exc_uS: np.ndarray, inh_uS: np.ndarray) -> np.ndarray:
        """Abstract weights back from realised conductances."""
        return exc_uS / self.exc_uS_per_unit - inh_uS / self.inh_uS_per_unit
