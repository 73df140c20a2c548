"""The interface between a scenario protocol and a backend: an abstract sampling network.

Protocols speak only in abstract units (weights W[post, pre], biases b, time in ms of
biological time) and never import PyNN. Each backend turns a `NetworkSpec` into an object
satisfying `SamplingNetwork`; the PyNN backends do it through `salbench.realisation`, the
`reference` backend with the paper's discrete-time model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from salbench.spec.units import LIFUnitParams


@dataclass
class OnlineSAL:
    """SAL as the network's own plasticity, applied at the simulation's event times
    (design.md 1.1): each nearest-neighbour pair changes W[post, pre] by
    -eta·a_causal·K(Δt) (pre before post) or +eta·a_acausal·K(-Δt) (post before pre),
    K(s) = exp(-s / tau_ms), each change clipped to [w_min, w_max]. Weights and eta are in
    abstract units (a network on LIF units converts them with its translation).

    The epoch rule (salbench.rules.sal.sal_update) gives every pair the weight
    eta_epoch · tau / T; online SAL with eta = eta_epoch · tau / T makes the same change per
    pair, only at once instead of at the end of the epoch: that is how protocols match the
    two modes' learning rates.
    """

    eta: float
    tau_ms: float
    #: which weights learn, [post, pre]
    plastic: np.ndarray
    a_causal: np.ndarray | float = 1.0
    a_acausal: np.ndarray | float = 1.0
    w_min: float = -np.inf
    w_max: float = np.inf


@dataclass
class NetworkSpec:
    """An abstract network of sampling units.

    weights[i, j] is the synapse from unit j (pre) to unit i (post); only entries where
    mask[i, j] is True exist. groups names contiguous index ranges (layers) for reporting.
    unit holds realisation settings for the neuron model (LIF parameters, background,
    translation of abstract weights and biases); abstract backends ignore what they don't use.
    """

    weights: np.ndarray
    biases: np.ndarray
    mask: np.ndarray
    tau_ref_ms: float = 10.0
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)
    unit: LIFUnitParams = field(default_factory=LIFUnitParams)
    #: resolution hint for discrete-time backends (the paper uses 25 or 50 steps per tau_ref)
    steps_per_tau_ref: int | None = None
    #: SAL as the network's own plasticity from the start (None: static synapses); networks
    #: that realise it satisfy `OnlinePlasticity`, whose learn_online re-parametrises it
    online_sal: OnlineSAL | None = None
    #: every weight keeps the sign it starts with (>= 0 or < 0) for the network's life: a
    #: realisation on conductance synapses may then build each synapse only for its sign
    #: instead of twice (excitatory and inhibitory), and refuses a weight that changes sign
    signs_fixed: bool = False

    def __post_init__(self) -> None:
        # plugins written against salbench 0.1 pass the unit as a plain dict
        if isinstance(self.unit, dict):
            self.unit = LIFUnitParams(**self.unit)

    @property
    def n_units(self) -> int:
        return int(self.biases.shape[0])


@runtime_checkable
class SamplingNetwork(Protocol):
    """What a protocol can do with a built network."""

    def run(self, duration_ms: float) -> list[np.ndarray]:
        """Advance by duration_ms; return the spike times (ms, absolute) of each unit in
        this interval, one sorted array per unit."""

    def set_weights(self, weights: np.ndarray) -> None:
        """Write W[post, pre] (abstract units); entries outside the mask are ignored."""

    def get_weights(self) -> np.ndarray:
        """Read back W[post, pre] as realised (e.g. after quantisation)."""

    def set_biases(self, biases: np.ndarray) -> None:
        """Write the abstract biases."""


@runtime_checkable
class CorrelationSensors(Protocol):
    """A network that measures SAL's pair correlations itself (e.g. on-chip sensors).

    Protocols use it instead of the exact spike-train rule when the rule asks for what the
    sensors measure: exponential window with tau = tau_ref, nearest-neighbour pairing.
    """

    def read_correlations(self) -> tuple[np.ndarray, np.ndarray]:
        """(causal, acausal), each [post, pre], accumulated since the last read, in the units
        of `salbench.rules.pairing.causal_correlation` (sum of K over pairs); then reset."""


@runtime_checkable
class QuantisingWeights(Protocol):
    """A network that holds its weights on a grid (hardware): after `set_weights`,
    `get_weights` returns the rounded values, which a protocol must continue from."""

    quantises_weights: bool


@runtime_checkable
class OnlinePlasticity(Protocol):
    """A network that can run SAL itself, during `run`, at its own event times."""

    def learn_online(self, sal: OnlineSAL) -> None:
        """Start (or, called again, re-parametrise) online SAL; `get_weights` then returns
        the learned weights. The pairing state carries over across calls and `run`s."""
