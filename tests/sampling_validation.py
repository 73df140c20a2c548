"""Validation of a realisation: a static network of sampling units realising a random
Boltzmann machine must sample it.

The figure of merit is D_KL(p*‖p) between the target and the distribution of the states read
off the spikes (z = 1 for tau_ref after a spike, sampled every tau_ref/2). Two yardsticks put it
in context: the D_KL of the product of the target's marginals (what ignoring all correlations
costs), and the D_KL of the paper's abstract model on the same target (`reference` backend).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salbench.protocols.base import NetworkFactory
from salbench.spec.boltzmann import (
    StateReader,
    all_states,
    boltzmann_distribution,
    empirical_distribution,
    kl_divergence,
    moments,
    random_target,
)
from salbench.spec.network import NetworkSpec
from salbench.spec.units import LIFUnitParams


@dataclass
class ValidationResult:
    dkl: float
    #: D_KL(p* ‖ product of the target's marginals): the cost of ignoring all correlations
    dkl_independent: float
    n_samples: int
    rate_hz: float
    target_weights: np.ndarray
    target_biases: np.ndarray


def independent_dkl(weights: np.ndarray, biases: np.ndarray) -> float:
    """D_KL(p* ‖ q) for q the product of p*'s marginals."""
    p = boltzmann_distribution(weights, biases)
    mean, _ = moments(weights, biases)
    z = all_states(len(biases)).astype(float)
    q = np.prod(np.where(z == 1, mean, 1 - mean), axis=1)
    return kl_divergence(p, q)


def validate_static(backend: NetworkFactory, *, n_units: int = 5, seed: int = 0,
                    duration_ms: float = 200_000.0, tau_ref_ms: float = 10.0,
                    unit: dict | None = None, steps_per_tau_ref: int | None = 50,
                    chunk_ms: float = 10_000.0) -> ValidationResult:
    """Realise a random Boltzmann machine (W* symmetric U(−1, 1), b* U(−1, 1), drawn from
    `seed`) as a static network on `backend` and measure how well it samples it."""
    w, b = random_target(np.random.default_rng(seed), n_units)
    spec = NetworkSpec(weights=w, biases=b, mask=~np.eye(n_units, dtype=bool),
                       tau_ref_ms=tau_ref_ms,
                       unit=LIFUnitParams(**(unit or {})),
                       steps_per_tau_ref=steps_per_tau_ref)
    net = backend.build(spec)
    net.run(10 * tau_ref_ms)  # burn-in from the arbitrary initial state
    reader = StateReader(n_units, tau_ref_ms)
    t = 10 * tau_ref_ms
    chunks, spikes_total = [], 0
    while t < duration_ms + 10 * tau_ref_ms - 1e-9:
        spikes = net.run(chunk_ms)
        chunks.append(reader.states(spikes, t, chunk_ms, tau_ref_ms / 2))
        spikes_total += sum(len(s) for s in spikes)
        t += chunk_ms
    states = np.concatenate(chunks)
    p = boltzmann_distribution(w, b)
    return ValidationResult(
        dkl=kl_divergence(p, empirical_distribution(states), len(states)),
        dkl_independent=independent_dkl(w, b), n_samples=len(states),
        rate_hz=spikes_total / n_units / (len(chunks) * chunk_ms / 1000.0),
        target_weights=w, target_biases=b,
    )
