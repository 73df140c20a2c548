"""The learning step every protocol shares: SAL from the spikes (or from the network's own
correlation sensors, where it has them), and weight writes that keep what was realised."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from salbench.rules.sal import SALRule, sal_update
from salbench.spec.network import CorrelationSensors, QuantisingWeights, SamplingNetwork


def sensors_measure(rule: SALRule) -> bool:
    """True when correlation sensors measure exactly what `rule` needs (design.md 1.1:
    exponential window, nearest-neighbour pairing)."""
    return rule.pairing == "nearest" and rule.window == "exponential"


def sensors_apply(net: SamplingNetwork, rule: SALRule) -> bool:
    """True when `net` measures exactly what `rule` needs with its own sensors."""
    return isinstance(net, CorrelationSensors) and sensors_measure(rule)


def sal_step(net: SamplingNetwork, spikes: Sequence[np.ndarray], rule: SALRule,
             duration_ms: float) -> np.ndarray:
    """SAL's dW[post, pre] for one epoch of `duration_ms`."""
    if isinstance(net, CorrelationSensors) and sensors_measure(rule):
        causal, acausal = net.read_correlations()
        return sal_update(np.nan_to_num(causal), acausal=np.nan_to_num(acausal), eta=rule.eta,
                          tau=rule.tau, duration=duration_ms, a_causal=rule.a_causal,
                          a_acausal=rule.a_acausal, mask=rule.mask)
    return rule.update(spikes, duration_ms)


def write_weights(net: SamplingNetwork, weights: np.ndarray) -> np.ndarray:
    """Write `weights` and return what the network holds now: the same array, except on
    networks that quantise (hardware), whose rounded weights the protocol must continue from."""
    net.set_weights(weights)
    if isinstance(net, QuantisingWeights) and net.quantises_weights:
        return net.get_weights()
    return weights
