"""The chip's plasticity front end: correlation sensors and their 8-bit ADC read-out.

Sensor model (per synapse, updated by the engine at every spike stamp):

* causal sensor: at a post spike at t, if the last pre spike t_pre < t came after the post
  neuron's previous spike (t_pre > t_post_prev), add ``A_c * exp(-(t - t_pre) / tau_c)``;
* acausal sensor: at a pre spike at t, if the last post spike t_post < t came after the pre
  neuron's previous spike, add ``A_a * exp(-(t - t_post) / tau_a)``;
* A and tau carry frozen per-synapse mismatch (``sensor_amp_spread``, ``sensor_tau_spread``);
  partner spikes at the same time stamp are not paired (strict inequalities).

Read-out: ``code = clip(round(offset_nom + offset_dev + gain_nom * (1 + gain_dev) * value
+ read_noise), 0, 2**adc_bits - 1)``, converted back as ``(code - offset_nom) / gain_nom``.
offset_dev and gain_dev are frozen per synapse *column* (the ADC channel of one post neuron
circuit, shared along the column), not per synapse.  A reading whose rounded code falls
outside 0 .. 2**adc_bits - 1 *clips*: the chip counts these (Chip.adc, AdcCounts).
:func:`exact_correlations` computes the same sums exactly from spike trains.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .hardware import HardwareConfig
from .portable import libm_exp

__all__ = ["adc_digitise", "adc_read", "exact_correlations", "nearest_neighbour_sums"]


def adc_read(values: ArrayLike, offset_dev: np.ndarray, gain_dev: np.ndarray,
             config: HardwareConfig,
             rng: np.random.Generator) -> np.ndarray:
    """Digitise analog sensor values and convert the codes back with the nominal gain."""
    return adc_digitise(values, offset_dev, gain_dev, config, rng)[0]


def adc_digitise(values: ArrayLike, offset_dev: np.ndarray, gain_dev: np.ndarray,
                 config: HardwareConfig, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`adc_read`, and which readings clipped: (values, above full scale, below
    code 0).  A clipped reading is the range end, whatever the sensor held."""
    values = np.asarray(values, dtype=float)
    if not config.adc_enabled:
        none = np.zeros(values.shape, np.bool_)
        return values.copy(), none, none.copy()
    analog = (config.adc_offset_codes + offset_dev
              + config.adc_codes_per_unit * (1.0 + gain_dev) * values)
    if config.adc_read_noise_codes > 0:
        analog = analog + config.adc_read_noise_codes * rng.standard_normal(values.shape)
    raw = np.rint(analog)
    codes = np.clip(raw, 0, config.max_adc_code)
    return ((codes - config.adc_offset_codes) / config.adc_codes_per_unit,
            raw > config.max_adc_code, raw < 0)


def nearest_neighbour_sums(pre: np.ndarray, post: np.ndarray, tau: float) -> tuple[float, float]:
    """Exact (causal, acausal) nearest-neighbour sums of exp(-|dt|/tau) for one synapse."""
    pre = np.unique(np.asarray(pre, dtype=float))
    post = np.unique(np.asarray(post, dtype=float))
    return _one_side(pre, post, tau), _one_side(post, pre, tau)


def _one_side(partner: np.ndarray, own: np.ndarray, tau: float) -> float:
    """Sum over own spikes t_k of exp(-(t_k - p)/tau), p = last partner spike < t_k,
    counted only if p > t_{k-1} (the own previous spike)."""
    if partner.size == 0 or own.size == 0:
        return 0.0
    idx = np.searchsorted(partner, own, side="left") - 1
    valid = idx >= 0
    last = np.where(valid, partner[np.maximum(idx, 0)], -np.inf)
    previous_own = np.concatenate([[-np.inf], own[:-1]])
    valid &= last > previous_own
    return float(np.sum(libm_exp(-(own[valid] - last[valid]) / tau)))


def exact_correlations(pre_trains: Sequence[ArrayLike], post_trains: Sequence[ArrayLike],
                       tau: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Exact sensor values for all pairs: (causal, acausal), each (n_post, n_pre)."""
    n_pre, n_post = len(pre_trains), len(post_trains)
    causal = np.zeros((n_post, n_pre))
    acausal = np.zeros((n_post, n_pre))
    for i, post in enumerate(post_trains):
        for j, pre in enumerate(pre_trains):
            causal[i, j], acausal[i, j] = nearest_neighbour_sums(np.asarray(pre),
                                                                 np.asarray(post), tau)
    return causal, acausal
