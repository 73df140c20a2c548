"""The learning step every protocol shares: SAL from the spikes (or from the network's own
correlation sensors, where it has them), and weight writes that keep what was realised.

Every run records which way SAL was computed (``RunResult.notes["learning_path"]``, one of
LEARNING_PATHS): "host-rule" (the exact rule, salbench.rules, on the spikes the host read),
"sensors-epoch" (the network's correlation sensors, read once per epoch), "online" (the
simulator's own plasticity during the run), or "none" (the run applies no SAL).  The host
rule is used where the sensors would not measure what the rule needs (e.g. a triangular
window on bss2), so the path says what a result rests on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from salbench.rules.sal import SALRule, sal_update
from salbench.spec.network import (
    CorrelationSensors,
    OnlinePlasticity,
    OnlineSAL,
    QuantisingWeights,
    SamplingNetwork,
)


def sensors_measure(rule: SALRule) -> bool:
    """True when correlation sensors measure exactly what `rule` needs (design.md 1.1:
    exponential window, nearest-neighbour pairing)."""
    return rule.pairing == "nearest" and rule.window == "exponential"


def sensors_apply(net: SamplingNetwork, rule: SALRule) -> bool:
    """True when `net` measures exactly what `rule` needs with its own sensors."""
    return isinstance(net, CorrelationSensors) and sensors_measure(rule)


#: the ways a run can compute SAL (see the module docstring)
LEARNING_PATHS = ("host-rule", "sensors-epoch", "online", "none")


def learning_path(net: SamplingNetwork, rule: SALRule | None) -> str:
    """How sal_step computes SAL for `rule` on `net` ("none" without a rule)."""
    if rule is None:
        return "none"
    return "sensors-epoch" if sensors_apply(net, rule) else "host-rule"


def record_learning_path(notes: dict[str, Any], net: SamplingNetwork,
                         rule: SALRule | None) -> str:
    """Put the run's SAL path into its notes (and return it)."""
    path = learning_path(net, rule)
    notes["learning_path"] = path
    return path


def sal_step(net: SamplingNetwork, spikes: Sequence[np.ndarray], rule: SALRule,
             duration_ms: float) -> np.ndarray:
    """SAL's dW[post, pre] for one epoch of `duration_ms`, the way learning_path() names."""
    if learning_path(net, rule) == "sensors-epoch":
        assert isinstance(net, CorrelationSensors)
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


def start_online_epoch(net: SamplingNetwork, online: OnlineSAL, eta: float,
                       duration_ms: float) -> None:
    """Online SAL for the next epoch at the epoch rule's rate `eta`: each pair changes the
    weight by eta · tau / T (sal_update's factor), as it would in epoch mode, only at once."""
    assert isinstance(net, OnlinePlasticity)  # protocols.base.check_online refused others
    online.eta = eta * online.tau_ms / duration_ms
    net.learn_online(online)
