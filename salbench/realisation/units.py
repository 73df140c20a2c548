"""Parameters of a LIF sampling unit and the translation of abstract biases and weights.

A sampling unit is an IF_cond_exp neuron in the high-conductance state (Petrovici et al.
2016): strong excitatory and inhibitory Poisson background make its activation function
close to a logistic, the membrane time constant short (tau_m = 1 ms) so the membrane follows
the conductances, and tau_ref = tau_syn so that a spike means "z = 1 for tau_ref".
The defaults are the measured good starting point of design.md section 4.

Two translations of abstract units:
- "calibrated" (salbench.realisation.calibration): the backend's measured activation function
  p(z=1) = logistic((v_rest − v0)/alpha) gives v_rest = v0 + alpha·b; weights follow from the
  PSP shape so that the PSP's mean over tau_ref is alpha·W (Petrovici et al. 2016).
- "linear": bias 0 -> v_rest_mV, one bias unit -> bias_mV, one weight unit -> weight_uS
  (uncalibrated; what the first protocols were tuned with).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, PositiveFloat

#: fields that only say how abstract units are translated: they do not change the neuron,
#: so they are not part of a calibration's identity
TRANSLATION_FIELDS = frozenset({"translation", "v_rest_mV", "bias_mV", "weight_uS",
                                "weight_scale"})


class LIFUnitParams(BaseModel):
    """Neuron, background and translation settings (`[params.unit]` in a scenario TOML)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cm: PositiveFloat = 0.2  # nF
    tau_m: PositiveFloat = 1.0  # ms
    e_rev_E: float = 0.0  # mV
    e_rev_I: float = -100.0  # mV
    v_thresh: float = -50.0  # mV
    v_reset: float = -50.001  # mV
    # tau_syn_E = tau_syn_I = tau_refrac = the spec's tau_ref_ms (the sampling condition)
    bg_rate_hz: PositiveFloat = 3000.0  # per neuron, excitatory and inhibitory each
    bg_weight_uS: PositiveFloat = 0.001
    translation: Literal["linear", "calibrated"] = "linear"
    # linear translation: bias 0 -> v_rest_mV, one abstract bias unit -> bias_mV,
    # one abstract weight unit -> weight_uS
    v_rest_mV: float = -52.0
    bias_mV: PositiveFloat = 1.0
    weight_uS: PositiveFloat = 0.00333
    # calibrated translation: multiply the PSP-derived conductances by this (1 = theory)
    weight_scale: PositiveFloat = 1.0

    def neuron_key(self) -> dict[str, float]:
        """The settings that change the neuron or its background (a calibration's identity)."""
        return {k: v for k, v in self.model_dump().items() if k not in TRANSLATION_FIELDS}


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


def v_rest_for(biases, unit: LIFUnitParams):
    """Rest potentials (mV) realising abstract biases under the linear translation."""
    return LinearTranslation(unit).v_rest(biases)
