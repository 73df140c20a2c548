"""Online SAL in the reference engine: the same pairs as the host rule library, applied at
each spike instead of at the end of an epoch (engine._sal_spike)."""

from __future__ import annotations

import numpy as np
import pytest

from salbench.backends.reference.engine import DiscreteSamplingNetwork
from salbench.rules.sal import SALRule


def _network(n: int = 5, seed: int = 3) -> DiscreteSamplingNetwork:
    rng = np.random.default_rng(seed)
    weights = rng.uniform(-0.8, 0.8, (n, n))
    np.fill_diagonal(weights, 0.0)
    # t_ref 4 steps at 1 ms: many spikes, and many ties (several units firing in one step)
    return DiscreteSamplingNetwork(weights, rng.uniform(-1.0, 0.5, n), t_ref_steps=4,
                                   dt_ms=1.0, seed=seed)


def _replay(w0: np.ndarray, trains: list[np.ndarray], rule: SALRule) -> np.ndarray:
    """The host rule, one time step at a time: its pairing state carries across calls, so
    each call's dW is what that step's spikes pair to; duration = tau makes its factor 1."""
    weights = w0.copy()
    for t in np.unique(np.concatenate(trains)):
        step = [s[s == t] for s in trains]
        weights = weights + rule.update(step, rule.tau)
    return weights


@pytest.mark.parametrize("amplitudes", ["equal", "per-synapse"])
def test_online_weights_are_the_host_rule_applied_spike_by_spike(amplitudes: str) -> None:
    n, tau, eta = 5, 4.0, 0.01
    net = _network(n)
    w0 = net.get_weights()
    plastic = ~np.eye(n, dtype=bool)
    plastic[0, 1] = False                       # a fixed synapse stays fixed
    rng = np.random.default_rng(11)
    a_c = rng.uniform(0.5, 1.5, (n, n)) if amplitudes == "per-synapse" else 1.0
    a_a = rng.uniform(0.5, 1.5, (n, n)) if amplitudes == "per-synapse" else 1.0
    net.start_online_sal(eta=eta, tau_ms=tau, plastic=plastic, a_causal=a_c, a_acausal=a_a)
    spikes = [net.run(1000.0), net.run(1000.0)]  # learning and pairing carry across run()s
    trains = [np.concatenate([a, b]) for a, b in zip(*spikes, strict=True)]
    ties = sum(np.intersect1d(trains[i], trains[j]).size
               for i in range(n) for j in range(i + 1, n))
    assert ties > 50 and sum(map(len, trains)) > 1000   # the test exercises ties
    rule = SALRule(eta=eta, tau=tau, a_causal=a_c, a_acausal=a_a, mask=plastic)
    expected = _replay(w0, trains, rule)
    learned = net.get_weights()
    assert learned[0, 1] == w0[0, 1]
    assert np.max(np.abs(learned - w0)) > 0.05          # the weights really moved
    np.testing.assert_allclose(learned, expected, rtol=0, atol=1e-12)


def test_hand_worked_pattern_with_clipping() -> None:
    """Two units, spikes forced by biases: unit 0 fires in step 0, unit 1 in step 2, then
    nothing. The pair (0 before 1, 2 steps = 1 ms) depresses W[1, 0] by eta·exp(-1/tau) and
    potentiates W[0, 1] by the same, each clipped to [w_min, w_max]."""
    net = DiscreteSamplingNetwork(np.zeros((2, 2)), np.array([50.0, -50.0]), t_ref_steps=10,
                                  dt_ms=0.5, seed=0)
    net.start_online_sal(eta=0.3, tau_ms=2.0, plastic=~np.eye(2, dtype=bool), w_min=-0.1,
                         w_max=0.2)
    assert [list(s) for s in net.run(1.0)] == [[0.0], []]
    net.set_biases(np.array([-50.0, 50.0]))
    assert [list(s) for s in net.run(1.5)] == [[], [1.0]]
    k = 0.3 * np.exp(-1.0 / 2.0)                # 0.182: W[1, 0] clips at -0.1, W[0, 1] not
    np.testing.assert_allclose(net.get_weights(), [[0.0, k], [-0.1, 0.0]], atol=1e-15)


def test_rejects_bad_parameters() -> None:
    net = _network(2)
    with pytest.raises(ValueError, match="eta"):
        net.start_online_sal(eta=float("nan"), tau_ms=1.0, plastic=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="w_min"):
        net.start_online_sal(eta=1.0, tau_ms=1.0, plastic=np.ones((2, 2), bool), w_min=1,
                             w_max=0)
