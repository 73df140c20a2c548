"""Boltzmann-machine helpers of the sampling scenario: exact moments, states from spikes, D_KL.

Fast (< 5 s): the one engine run compiles numba once.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from salbench.backends.reference.engine import DiscreteSamplingNetwork
from salbench.spec.boltzmann import (
    StateReader,
    all_states,
    asymmetry,
    boltzmann_distribution,
    empirical_distribution,
    kl_divergence,
    moments,
    random_target,
    state_index,
    symmetric_normal,
)


def test_all_states_order_and_index_roundtrip():
    z = all_states(3)
    assert z.tolist()[:3] == [[0, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert np.array_equal(state_index(z), np.arange(8))


def test_distribution_matches_brute_force():
    rng = np.random.default_rng(1)
    w, b = random_target(rng, 4)
    p = boltzmann_distribution(w, b)
    brute = []
    for z in itertools.product((0, 1), repeat=4):
        z = np.array(z, dtype=float)
        brute.append(np.exp(0.5 * z @ w @ z + b @ z))
    brute = np.array(brute) / np.sum(brute)
    assert np.allclose(p, brute, rtol=1e-12)
    mean, coact = moments(w, b)
    zs = all_states(4).astype(float)
    assert np.allclose(mean, p @ zs)
    assert coact[0, 1] == pytest.approx(np.sum(p * zs[:, 0] * zs[:, 1]))
    assert np.all(np.diag(coact) == 0)


def test_single_unit_is_logistic():
    p = boltzmann_distribution(np.zeros((1, 1)), np.array([0.7]))
    assert p[1] == pytest.approx(1 / (1 + np.exp(-0.7)))


def test_random_target_is_symmetric_uniform():
    w, b = random_target(np.random.default_rng(0), 40)
    assert np.array_equal(w, w.T) and np.all(np.diag(w) == 0)
    upper = w[np.triu_indices(40, 1)]
    assert upper.min() >= -1 and upper.max() <= 1 and abs(upper.mean()) < 0.05
    assert b.shape == (40,) and np.all(np.abs(b) <= 1)


def test_asymmetry():
    s = symmetric_normal(np.random.default_rng(0), 5, 0.3)
    assert asymmetry(s) == 0.0
    w = np.array([[0.0, 1.0], [0.0, 0.0]])
    assert asymmetry(w) == 0.0  # one pair: variance of a single difference
    w3 = np.zeros((3, 3))
    w3[0, 1] = 1.0  # differences (1, 0, 0) over the three pairs
    assert asymmetry(w3) == pytest.approx(np.var([1.0, 0.0, 0.0]))


def test_states_from_spikes_convention():
    # z = 1 iff a spike s with s < t <= s + tau
    r = StateReader(1, tau_ms=10.0)
    st = r.states([np.array([5.0])], 0.0, 20.0, 5.0)  # samples at 0, 5, 10, 15
    assert st[:, 0].tolist() == [0, 0, 1, 1]
    # carried into the next chunk: on at 15 (5 < 15 <= 15), off at 20
    st = r.states([np.array([])], 20.0, 10.0, 5.0)
    assert st[:, 0].tolist() == [0, 0]
    r = StateReader(1, tau_ms=10.0)
    r.states([np.array([18.0])], 0.0, 20.0, 5.0)
    assert r.states([np.array([])], 20.0, 10.0, 5.0)[:, 0].tolist() == [1, 1]  # 20, 25 <= 28


def test_states_from_spikes_equal_the_engines_own_states():
    rng = np.random.default_rng(3)
    w, b = random_target(rng, 5)
    net = DiscreteSamplingNetwork(w, b, t_ref_steps=50, dt_ms=0.2, seed=7)
    reader = StateReader(5, 10.0)
    for _ in range(3):  # chunk boundaries included
        t0 = net.t_ms
        spikes, states = net.run_with_states(2000.0, 25)
        assert np.array_equal(reader.states(spikes, t0, 2000.0, 5.0), states)


def test_kl_divergence():
    p = np.array([0.5, 0.5])
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(p, np.array([0.25, 0.75])) == pytest.approx(
        0.5 * np.log(2) + 0.5 * np.log(0.5 / 0.75))
    assert kl_divergence(p, np.array([1.0, 0.0])) == np.inf
    assert np.isfinite(kl_divergence(p, np.array([1.0, 0.0]), n_samples=100))
    st = np.array([[0, 1], [0, 1], [1, 1], [0, 0]])
    assert empirical_distribution(st).tolist() == [0.25, 0.5, 0.0, 0.25]


def test_abstract_network_samples_its_boltzmann_machine():
    """The reference engine (Buesing timing) samples the target: D_KL far below that of the
    product of marginals. A sanity check of the whole chain spikes -> states -> D_KL."""
    w, b = random_target(np.random.default_rng(0), 4)
    net = DiscreteSamplingNetwork(w, b, t_ref_steps=20, dt_ms=0.5, seed=1, timing="buesing")
    spikes = net.run(100_000.0)
    states = StateReader(4, 10.0).states(spikes, 0.0, 100_000.0, 5.0)
    p = boltzmann_distribution(w, b)
    dkl = kl_divergence(p, empirical_distribution(states), len(states))
    assert dkl < 0.01
