"""Translations of abstract biases and weights to LIF parameters. Both are linear maps
(`Translation`): the uncalibrated one here takes its constants from the unit's settings, the
calibrated one (salbench.realisation.calibration.CalibratedTranslation) from a measured
activation function and weight probes."""

from __future__ import annotations

import numpy as np

from salbench.spec.units import LIFUnitParams


class Translation:
    """Abstract units -> LIF parameters: v_rest = v0 + mV_per_unit * b; a weight w becomes
    an excitatory conductance w * exc_uS_per_unit (w > 0) or an inhibitory one
    -w * inh_uS_per_unit (w < 0)."""

    def __init__(self, v0_mV: float, mV_per_unit: float, exc_uS_per_unit: float,
                 inh_uS_per_unit: float) -> None:
        self.v0_mV = v0_mV
        self.mV_per_unit = mV_per_unit
        self.exc_uS_per_unit = exc_uS_per_unit
        self.inh_uS_per_unit = inh_uS_per_unit

    def v_rest(self, biases: np.ndarray) -> np.ndarray:
        return self.v0_mV + self.mV_per_unit * np.asarray(biases, dtype=float)

    def conductances(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(excitatory, inhibitory) conductances in uS for W[post, pre]."""
        w = np.asarray(weights, dtype=float)
        return np.maximum(w, 0.0) * self.exc_uS_per_unit, np.maximum(-w, 0.0) * self.inh_uS_per_unit

    def weights(self, exc_uS: np.ndarray, inh_uS: np.ndarray) -> np.ndarray:
        """Abstract weights back from realised conductances."""
        return exc_uS / self.exc_uS_per_unit - inh_uS / self.inh_uS_per_unit


class LinearTranslation(Translation):
    """Uncalibrated: bias -> v_rest linearly, weight -> conductance linearly, same for both
    signs."""

    def __init__(self, unit: LIFUnitParams) -> None:
        self.unit = unit
        super().__init__(unit.v_rest_mV, unit.bias_mV, unit.weight_uS, unit.weight_uS)
