"""Parameters of a LIF sampling unit: the vocabulary every layer shares (`[params.unit]`).

A sampling unit is an IF_cond_exp neuron with a short membrane time constant (tau_m = 1 ms,
so the membrane follows its input) and tau_ref = tau_syn, so that a spike means "z = 1 for
tau_ref". Its background noise makes the activation function close to a logistic; two noise
models (`noise`):

- "poisson": excitatory and inhibitory Poisson conductance background (the high-conductance
  state of Petrovici et al. 2016; the measured good starting point of design.md section 4).
  Its noise is correlated over tau_syn = tau_ref, and that decides SAL's fixed point: a unit
  near saturation barely responds to one more PSP, so SAL leaves the weight into a busy unit
  larger than the weight out of it (design.md section 4).
- "white": a current redrawn every noise_dt_ms from N(0, noise_std_nA²), independent per
  cell (NEST's noise_generator; the same model on NEURON and bss2). Its correlation time is
  far below tau_ref, as the hazard of the paper's abstract neuron has none.

Two translations of abstract units:
- "calibrated" (salbench.realisation.calibration): the backend's measured activation function
  p(z=1) = logistic((v_rest − v0)/alpha) gives v_rest = v0 + alpha·b; weights follow from the
  PSP shape so that the PSP's mean over tau_ref is alpha·W (Petrovici et al. 2016).
- "linear": bias 0 -> v_rest_mV, one bias unit -> bias_mV, one weight unit -> weight_uS
  (uncalibrated; what the first protocols were tuned with).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, PositiveFloat

#: fields that only say how abstract units are translated: they do not change the neuron,
#: so they are not part of a calibration's identity
TRANSLATION_FIELDS = frozenset({"translation", "v_rest_mV", "bias_mV", "weight_uS",
                                "weight_scale"})
#: the settings that belong to each noise model
NOISE_FIELDS = {"poisson": frozenset({"bg_rate_hz", "bg_weight_uS"}),
                "white": frozenset({"noise_std_nA", "noise_dt_ms"})}


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
    noise: Literal["poisson", "white"] = "poisson"
    # "poisson": rate and conductance of each of the excitatory and inhibitory sources
    bg_rate_hz: PositiveFloat = 3000.0
    bg_weight_uS: PositiveFloat = 0.001
    # "white": std of the current and how long each draw is held (a multiple of the time step)
    noise_std_nA: PositiveFloat = 1.5
    noise_dt_ms: PositiveFloat = 0.1
    translation: Literal["linear", "calibrated"] = "calibrated"
    # linear translation: bias 0 -> v_rest_mV, one abstract bias unit -> bias_mV,
    # one abstract weight unit -> weight_uS
    v_rest_mV: float = -52.0
    bias_mV: PositiveFloat = 1.0
    weight_uS: PositiveFloat = 0.00333
    # calibrated translation: multiply the PSP-derived conductances by this (1 = theory)
    weight_scale: PositiveFloat = 1.0

    def neuron_key(self) -> dict[str, float | str]:
        """The settings that change the neuron or its background (a calibration's identity):
        those of the other noise model do not."""
        unused = {"poisson": NOISE_FIELDS["white"], "white": NOISE_FIELDS["poisson"]}[self.noise]
        return {k: v for k, v in self.model_dump().items()
                if k not in TRANSLATION_FIELDS and k not in unused}
