"""Parameters of a LIF sampling unit and the translation of abstract biases and weights.

A sampling unit is an IF_cond_exp neuron in the high-conductance state (Petrovici et al.
2016): strong excitatory and inhibitory Poisson background make its activation function
close to a logistic, the membrane time constant short (tau_m = 1 ms) so the membrane follows
the conductances, and tau_ref = tau_syn so that a spike means "z = 1 for tau_ref".
The defaults are the measured good starting point of design.md section 4.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, PositiveFloat


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
    # Translation of abstract units (linear, uncalibrated): bias 0 -> v_rest_mV,
    # one abstract bias unit -> bias_mV, one abstract weight unit -> weight_uS.
    v_rest_mV: float = -52.0
    bias_mV: PositiveFloat = 1.0
    weight_uS: PositiveFloat = 0.00333


def v_rest_for(biases, unit: LIFUnitParams):
    """Rest potentials (mV) realising abstract biases."""
    return unit.v_rest_mV + unit.bias_mV * biases
