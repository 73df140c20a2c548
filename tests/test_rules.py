"""Tests of salbench.rules: pairing kernel, SAL, Hebbian coactivation, plasticity noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import truncnorm

from salbench.rules import (
    PairingState,
    SALRule,
    causal_correlation,
    coactivation,
    cutoff,
    exponential,
    mean_activity,
    plasticity_amplitudes,
    sal_update,
    triangular,
)

EPS = 1e-9


def arr(*ts: float) -> np.ndarray:
    return np.array(ts, dtype=np.float64)


def k_exp(s: float, tau: float) -> float:
    return math.exp(-s / tau)


def k_tri(s: float, tau: float) -> float:
    return max(0.0, 1.0 - s / tau)


# ---------------------------------------------------------------------------------------------
# slow pure-Python reference, written from the definition (batch per time, full spike lists)


def reference_C(spikes, *, tau, window="exponential", pairing="nearest", k=10):
    K = {"exponential": k_exp, "triangular": k_tri}[window]
    cut = {"exponential": 10.0, "triangular": 1.0}[window] * tau
    n = len(spikes)
    events = sorted((float(t), i) for i, tr in enumerate(spikes) for t in tr)
    past: list[list[float]] = [[] for _ in range(n)]
    C = np.zeros((n, n))
    g = 0
    while g < len(events):
        t0 = events[g][0]
        h = g
        while h < len(events) and events[h][0] - t0 <= EPS:
            h += 1
        members = [(t, i) for t, i in events[g:h]]
        for t, a in members:  # pair with history before this time
            for b in range(n):
                if b == a or not past[b]:
                    continue
                if pairing == "nearest":
                    s = past[b][-1]
                    prev = past[a][-1] if past[a] else -math.inf
                    if s - prev > EPS:
                        C[a, b] += K(t - s, tau)
                elif pairing == "last_k":
                    for s in past[b][-k:]:
                        C[a, b] += K(t - s, tau)
                else:
                    for s in past[b]:
                        if t - s < cut:
                            C[a, b] += K(t - s, tau)
        for x in range(len(members)):  # tie pairs
            for y in range(x + 1, len(members)):
                a, b = members[x][1], members[y][1]
                if a != b:
                    C[a, b] += K(0.0, tau) / 2
                    C[b, a] += K(0.0, tau) / 2
        for t, a in members:
            past[a].append(t)
        g = h
    return C


def poisson_trains(rng, n, rate_hz, duration_ms, grid=None):
    trains = []
    for _ in range(n):
        ts = np.sort(rng.uniform(0.0, duration_ms, rng.poisson(rate_hz * duration_ms / 1000)))
        if grid is not None:
            ts = np.unique(np.round(ts / grid) * grid)
        trains.append(ts)
    return trains


# ---------------------------------------------------------------------------------------------
# windows


def test_windows_values():
    assert exponential(0.0, 10.0) == 1.0
    assert exponential(10.0, 10.0) == pytest.approx(math.exp(-1))
    np.testing.assert_allclose(triangular(arr(0, 5, 10, 15), 10.0), [1.0, 0.5, 0.0, 0.0])
    assert cutoff("triangular", 4.0) == 4.0
    assert cutoff("exponential", 4.0) == 40.0
    with pytest.raises(ValueError):
        cutoff("gaussian", 1.0)


# ---------------------------------------------------------------------------------------------
# hand-worked patterns (neuron 0 = post i, neuron 1 = pre j unless said otherwise)


@pytest.mark.parametrize("pairing", ["nearest", "last_k", "all"])
def test_one_causal_pair(pairing):
    C, _ = causal_correlation([arr(13.0), arr(10.0)], tau=5.0, pairing=pairing)
    assert C[0, 1] == pytest.approx(k_exp(3.0, 5.0), rel=1e-15, abs=0)
    assert C[1, 0] == 0.0
    assert C[0, 0] == C[1, 1] == 0.0
    # causal lobe depresses w_01 (W[post, pre]) and potentiates the reverse synapse
    dW = sal_update(C, eta=1.0, tau=5.0, duration=100.0)
    assert dW[0, 1] == pytest.approx(-0.05 * k_exp(3.0, 5.0))
    assert dW[1, 0] == -dW[0, 1]


def test_one_acausal_pair():
    C, _ = causal_correlation([arr(10.0), arr(13.0)], tau=5.0, window="triangular")
    assert C[0, 1] == 0.0
    assert C[1, 0] == pytest.approx(k_tri(3.0, 5.0), rel=1e-15, abs=0)
    dW = sal_update(C, eta=2.0, tau=5.0, duration=50.0)
    assert dW[0, 1] == pytest.approx(2.0 * 0.1 * 0.4)  # post before pre: potentiation
    assert dW[1, 0] == pytest.approx(-0.08)


@pytest.mark.parametrize("pairing", ["nearest", "last_k", "all"])
@pytest.mark.parametrize("window", ["exponential", "triangular"])
def test_tie_counts_half_each_way(pairing, window):
    # two earlier spikes of neuron 2 are paired normally; the tie at 10 adds 1/2 both ways
    spikes = [arr(10.0), arr(10.0), arr(8.0)]
    C, _ = causal_correlation(spikes, tau=5.0, window=window, pairing=pairing)
    K = k_exp if window == "exponential" else k_tri
    assert C[0, 1] == C[1, 0] == 0.5
    assert C[0, 2] == pytest.approx(K(2.0, 5.0)) and C[1, 2] == pytest.approx(K(2.0, 5.0))
    assert C[2, 0] == C[2, 1] == 0.0
    assert np.all(sal_update(C[:2, :2], eta=1.0, tau=5.0, duration=10.0) == 0.0)
    Chat, _ = coactivation(spikes[:2], tau=5.0, duration=100.0)
    assert Chat[0, 1] == pytest.approx(0.05)  # counted once: tau/T * K(0)


def test_tie_within_tolerance_and_across_chunks():
    t = 1000.0
    spikes = [arr(990.0, t - 1e-12), arr(995.0, t)]
    C, _ = causal_correlation(spikes, tau=10.0, pairing="last_k", k=1)
    # the near-tie at 1000 is a tie (1/2 each way); each of its spikes pairs with the other
    # neuron's spike before 1000 only: 0@1000 with 1@995, 1@1000 with 0@990 (and 1@995 with 0@990)
    e5, e10 = k_exp(5.0, 10.0), k_exp(10.0, 10.0)
    expected = np.array([[0.0, e5 + 0.5], [e5 + e10 + 0.5, 0.0]])
    np.testing.assert_allclose(C, expected, rtol=1e-12)
    split = [[s[s < t] for s in spikes], [s[s >= t] for s in spikes]]
    C1, st1 = causal_correlation(split[0], tau=10.0, pairing="last_k", k=1)
    C2, _ = causal_correlation(split[1], tau=10.0, pairing="last_k", k=1, state=st1)
    np.testing.assert_allclose(C1 + C2, C, rtol=1e-14)


def test_nearest_exclusion_and_last_k_difference():
    # pre at 0; post at 5 and 8.  The post spike at 8 is not paired with pre@0 under nearest
    # pairing (pre@0 precedes post's own previous spike at 5); last_k with k=1 pairs it.
    spikes = [arr(5.0, 8.0), arr(0.0)]
    Cn, _ = causal_correlation(spikes, tau=10.0, pairing="nearest")
    Ck, _ = causal_correlation(spikes, tau=10.0, pairing="last_k", k=1)
    assert Cn[0, 1] == pytest.approx(k_exp(5.0, 10.0))
    assert Ck[0, 1] == pytest.approx(k_exp(5.0, 10.0) + k_exp(8.0, 10.0))
    assert Cn[1, 0] == Ck[1, 0] == 0.0


def test_last_k_counts_k_most_recent():
    spikes = [arr(10.0), arr(1.0, 2.0, 3.0, 4.0)]
    for k, n_pairs in [(1, 1), (2, 2), (3, 3), (10, 4)]:
        C, _ = causal_correlation(spikes, tau=100.0, window="triangular", pairing="last_k", k=k)
        assert C[0, 1] == pytest.approx(sum(k_tri(10.0 - s, 100.0) for s in [4, 3, 2, 1][:n_pairs]))


def test_all_pairs_counting():
    # pre at 0, 2; post at 3, 4 -> all four causal pairs count, once each
    spikes = [arr(3.0, 4.0), arr(0.0, 2.0)]
    Ca, _ = causal_correlation(spikes, tau=10.0, window="triangular", pairing="all")
    assert Ca[0, 1] == pytest.approx(0.7 + 0.9 + 0.6 + 0.8)
    assert Ca[1, 0] == 0.0
    Cn, _ = causal_correlation(spikes, tau=10.0, window="triangular", pairing="nearest")
    assert Cn[0, 1] == pytest.approx(0.9)  # post@4: pre@2 is before post's previous spike


def test_triangular_cutoff_and_exponential_truncation():
    for pairing in ["nearest", "last_k", "all"]:
        for dt in [10.0, 12.0]:
            C, _ = causal_correlation(
                [arr(dt), arr(0.0)], tau=10.0, window="triangular", pairing=pairing
            )
            assert C[0, 1] == 0.0
    # all-pairs truncates the exponential window at 10 tau; the other schemes do not
    near, far = [arr(99.0), arr(0.0)], [arr(101.0), arr(0.0)]
    assert causal_correlation(near, tau=10.0, pairing="all")[0][0, 1] == pytest.approx(
        k_exp(99.0, 10.0)
    )
    assert causal_correlation(far, tau=10.0, pairing="all")[0][0, 1] == 0.0
    assert causal_correlation(far, tau=10.0, pairing="nearest")[0][0, 1] == pytest.approx(
        k_exp(101.0, 10.0)
    )


@pytest.mark.parametrize("pairing", ["nearest", "last_k", "all"])
def test_epoch_boundary(pairing):
    spikes = [arr(300.0, 1003.0), arr(995.0)]
    whole, _ = causal_correlation(spikes, tau=10.0, pairing=pairing)
    C1, state = causal_correlation([s[s < 1000] for s in spikes], tau=10.0, pairing=pairing)
    C2, _ = causal_correlation(
        [s[s >= 1000] for s in spikes], tau=10.0, pairing=pairing, state=state
    )
    assert C1[0, 1] == 0.0
    assert C2[0, 1] == pytest.approx(k_exp(8.0, 10.0))
    np.testing.assert_allclose(C1 + C2, whole, rtol=1e-15)


def test_state_is_not_modified_and_validation():
    state = PairingState.empty(2, 1)
    _, new = causal_correlation([arr(1.0), arr(2.0)], tau=1.0, state=state)
    assert np.all(np.isneginf(state.history))
    np.testing.assert_array_equal(new.history[:, -1], [1.0, 2.0])
    with pytest.raises(ValueError, match="not sorted"):
        causal_correlation([arr(2.0, 1.0)], tau=1.0)
    with pytest.raises(ValueError, match="before spikes already processed"):
        causal_correlation([arr(0.5), arr()], tau=1.0, state=new)
    with pytest.raises(ValueError, match="state is for 2 neurons, got 3"):
        causal_correlation([arr(5.0)] * 3, tau=1.0, state=new)
    with pytest.raises(ValueError, match="last_k needs"):
        causal_correlation([arr(5.0)] * 2, tau=1.0, pairing="last_k", k=3, state=new)
    C, _ = causal_correlation([], tau=1.0)
    assert C.shape == (0, 0)
    C, _ = causal_correlation([arr(), arr()], tau=1.0)
    assert np.all(C == 0.0)


# ---------------------------------------------------------------------------------------------
# SAL


def test_equal_amplitudes_give_equal_and_opposite_changes():
    rng = np.random.default_rng(1)
    spikes = poisson_trains(rng, 8, 40.0, 2000.0)
    C, _ = causal_correlation(spikes, tau=10.0)
    assert np.any(C != C.T)
    for a in [1.0, 0.37]:
        dW = sal_update(C, eta=0.03, tau=10.0, duration=2000.0, a_causal=a, a_acausal=a)
        np.testing.assert_array_equal(dW, -dW.T)
        assert np.all(dW + dW.T == 0.0)  # w_ij + w_ji is conserved by every update
    assert np.all(np.diag(dW) == 0.0)


def test_sal_amplitude_matrices_and_mask():
    C = np.array([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0], [0.5, 0.0, 0.0]])
    a_c = np.full((3, 3), 2.0)
    a_a = np.full((3, 3), 0.5)
    mask = np.array([[1, 1, 0], [1, 1, 1], [1, 1, 1]], dtype=bool)
    dW = sal_update(C, eta=1.0, tau=1.0, duration=1.0, a_causal=a_c, a_acausal=a_a, mask=mask)
    assert dW[0, 1] == -2.0 * 2.0 + 0.5 * 3.0
    assert dW[1, 0] == -2.0 * 3.0 + 0.5 * 2.0
    assert dW[0, 2] == 0.0  # masked
    assert dW[2, 0] == -2.0 * 0.5 + 0.5 * 1.0
    assert np.all(np.diag(dW) == 0.0)


def test_sal_rule_carries_state_across_epochs():
    rng = np.random.default_rng(2)
    spikes = poisson_trains(rng, 4, 30.0, 3000.0)
    rule = SALRule(eta=0.01, tau=10.0, pairing="last_k", k=3)
    total = sum(
        rule.update([s[(s >= lo) & (s < lo + 1000)] for s in spikes], duration=1000.0)
        for lo in (0.0, 1000.0, 2000.0)
    )
    C, _ = causal_correlation(spikes, tau=10.0, pairing="last_k", k=3)
    np.testing.assert_allclose(total, sal_update(C, eta=0.01, tau=10.0, duration=1000.0))


def test_sal_rule_reset_forgets_the_pairs_straddling_it():
    # neuron 0 = post, 1 = pre; eta = 1, tau = 10 ms, so tau / T = 0.01 for T = 1000 ms.
    # epoch 1 [0, 1000): pre@995 alone -> no pair, dW = 0.
    # epoch 2 [1000, 2000): post@1003, pre@1010.
    #   carried: post@1003 pairs with pre@995 (causal, 8 ms): C[0, 1] = e^-0.8; pre@1010 with
    #     post@1003 (acausal, 7 ms): C[1, 0] = e^-0.7;
    #     dW[0, 1] = 0.01 (-C[0, 1] + C[1, 0]) = 0.01 (e^-0.7 - e^-0.8) = 4.726e-4.
    #   after reset: pre@995 is forgotten, only the acausal pair counts:
    #     dW[0, 1] = 0.01 e^-0.7 = 4.966e-3, dW[1, 0] = -0.01 e^-0.7.
    # epoch 3, reset again, a new run from t = 0 (T = 500 ms, tau / T = 0.02): post@3, pre@0:
    #   C[0, 1] = e^-0.3 -> dW[0, 1] = -0.02 e^-0.3 = -0.01482 (without the reset the spikes
    #   at 1003 and 1010 would still be history: "before spikes already processed").
    epoch1, epoch2 = [arr(), arr(995.0)], [arr(1003.0), arr(1010.0)]
    carried, reset = SALRule(eta=1.0, tau=10.0), SALRule(eta=1.0, tau=10.0)
    for rule in (carried, reset):
        assert np.all(rule.update(epoch1, duration=1000.0) == 0.0)
    reset.reset()
    e7, e8 = math.exp(-0.7), math.exp(-0.8)
    np.testing.assert_allclose(carried.update(epoch2, duration=1000.0),
                               [[0.0, 0.01 * (e7 - e8)], [-0.01 * (e7 - e8), 0.0]], rtol=1e-12)
    np.testing.assert_allclose(reset.update(epoch2, duration=1000.0),
                               [[0.0, 0.01 * e7], [-0.01 * e7, 0.0]], rtol=1e-12)
    epoch3 = [arr(3.0), arr(0.0)]
    with pytest.raises(ValueError, match="before spikes already processed"):
        carried.update(epoch3, duration=500.0)
    reset.reset()
    e3 = math.exp(-0.3)
    np.testing.assert_allclose(reset.update(epoch3, duration=500.0),
                               [[0.0, -0.02 * e3], [0.02 * e3, 0.0]], rtol=1e-12)


def test_sal_shrinks_asymmetry_of_weight_dependent_causal_drive():
    # pre j drives post i at +2 ms more often than the reverse, as if w_ij > w_ji: SAL must
    # lower w_ij and raise w_ji, keeping the sum.
    rng = np.random.default_rng(3)
    pre = np.sort(rng.uniform(0, 10_000, 300))
    post = np.sort(np.concatenate([pre[rng.random(300) < 0.6] + 2.0, rng.uniform(0, 10_000, 100)]))
    C, _ = causal_correlation([post, pre], tau=10.0)
    dW = sal_update(C, eta=1.0, tau=10.0, duration=10_000.0)
    assert dW[0, 1] < 0 < dW[1, 0]
    assert dW[0, 1] + dW[1, 0] == 0.0


# ---------------------------------------------------------------------------------------------
# Hebbian


def _z_overlap(spikes, tau, duration, dt=0.005):
    grid = np.arange(0.0, duration, dt) + dt / 2
    z = []
    for tr in spikes:
        zi = np.zeros(grid.size, dtype=bool)
        for t in tr:
            zi |= (grid >= t) & (grid < t + tau)
        z.append(zi)
    z = np.array(z, dtype=float)
    return (z @ z.T) / grid.size, z.mean(axis=1)


def test_coactivation_of_synchronous_trains():
    tau, T = 10.0, 2000.0
    rng = np.random.default_rng(4)
    base = np.arange(5.0, T - 20.0, 25.0)  # refractory-respecting regular train
    partner = base + rng.uniform(-6.0, 6.0, base.size)  # synchronous-ish, jitter < tau
    spikes = [base, np.sort(partner), base.copy()]
    Chat, _ = coactivation(spikes, tau=tau, duration=T)
    zz, zmean = _z_overlap(spikes, tau, T)
    np.testing.assert_allclose(Chat[0, 1], zz[0, 1], atol=2e-4)
    assert Chat[0, 2] == pytest.approx(tau * base.size / T)  # identical trains: <z z> = <z>
    np.testing.assert_allclose(mean_activity(spikes, tau=tau, duration=T), zmean, atol=2e-4)
    assert np.all(np.diag(Chat) == 0.0)
    np.testing.assert_array_equal(Chat, Chat.T)


def test_coactivation_matches_z_overlap_for_refractory_poisson():
    tau, T = 5.0, 3000.0
    rng = np.random.default_rng(5)
    spikes = []
    for _ in range(3):  # Poisson with dead time tau: at most one spike per tau
        isi = tau + rng.exponential(20.0, 200)
        spikes.append(np.cumsum(isi)[np.cumsum(isi) < T - tau])
    Chat, _ = coactivation(spikes, tau=tau, duration=T)
    zz, _ = _z_overlap(spikes, tau, T)
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(Chat[off], zz[off], atol=3e-4)


# ---------------------------------------------------------------------------------------------
# plasticity noise


def test_plasticity_amplitude_statistics():
    sigma = 0.3
    a = plasticity_amplitudes(np.random.default_rng(6), (200, 200), sigma)
    assert a.shape == (200, 200)
    assert a.min() >= 1 - 1.5 * sigma and a.max() <= 1 + 1.5 * sigma
    assert a.mean() == pytest.approx(1.0, abs=0.005)
    assert a.std() == pytest.approx(truncnorm.std(-1.5, 1.5, scale=sigma), rel=0.02)
    b = plasticity_amplitudes(np.random.default_rng(6), (200, 200), sigma)
    np.testing.assert_array_equal(a, b)  # frozen per seed


def test_plasticity_amplitudes_zero_sigma_and_clip_at_zero():
    rng = np.random.default_rng(7)
    state = rng.bit_generator.state
    np.testing.assert_array_equal(plasticity_amplitudes(rng, (3, 4), 0.0), np.ones((3, 4)))
    assert rng.bit_generator.state == state
    a = plasticity_amplitudes(rng, 10_000, 1.0)
    assert a.min() == 0.0 and a.max() <= 2.5
    assert np.mean(a == 0.0) == pytest.approx(truncnorm.cdf(-1.0, -1.5, 1.5), abs=0.015)
    with pytest.raises(ValueError):
        plasticity_amplitudes(rng, 3, -0.1)


def test_one_amplitude_per_synapse_scales_both_of_its_lobes():
    """The authors' v3 noise model (design.md 1.1), worked by hand on a reciprocal pair:
    a_01 = 2 scales both lobes of synapse 1 -> 0, a_10 = 0.5 both lobes of 0 -> 1."""
    amp = np.array([[1.0, 2.0], [0.5, 1.0]])
    C = np.array([[0.0, 1.0], [3.0, 0.0]])  # C[0, 1]: 1 before 0; C[1, 0]: 0 before 1
    dW = sal_update(C, eta=1.0, tau=1.0, duration=1.0, a_causal=amp, a_acausal=amp)
    assert dW[0, 1] == 2.0 * (-1.0 + 3.0)
    assert dW[1, 0] == 0.5 * (-3.0 + 1.0)
    # chance coincidences (C symmetric) cancel within each synapse, whatever the amplitudes;
    # with independent lobe amplitudes they would not
    a = plasticity_amplitudes(np.random.default_rng(8), (6, 6), 0.8)
    S = np.random.default_rng(9).uniform(0, 5, (6, 6))
    S = S + S.T
    np.testing.assert_allclose(sal_update(S, eta=1.0, tau=1.0, duration=1.0, a_causal=a,
                                          a_acausal=a), 0.0, atol=1e-12)


def test_amplitudes_of_a_pair_and_of_two_rules_are_independent():
    rng = np.random.default_rng(8)
    sal, hebbian = (plasticity_amplitudes(rng, (40, 40), 0.3) for _ in range(2))
    off = ~np.eye(40, dtype=bool)
    assert abs(np.corrcoef(sal[off], sal.T[off])[0, 1]) < 0.1  # a_ij and a_ji
    assert abs(np.corrcoef(sal.ravel(), hebbian.ravel())[0, 1]) < 0.1  # SAL and Hebbian


# ---------------------------------------------------------------------------------------------
# numba kernel vs pure-Python reference


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("window", ["exponential", "triangular"])
@pytest.mark.parametrize("pairing,k", [("nearest", 10), ("last_k", 1), ("last_k", 4), ("all", 0)])
def test_kernel_matches_reference(seed, window, pairing, k):
    rng = np.random.default_rng(seed)
    # on a 0.5 ms grid at high rate, so ties (also 3-way) are common
    spikes = poisson_trains(rng, 6, 80.0, 600.0, grid=0.5)
    kw = dict(tau=4.0, window=window, pairing=pairing, k=max(k, 1))
    C, _ = causal_correlation(spikes, **kw)
    np.testing.assert_allclose(C, reference_C(spikes, **kw), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("window", ["exponential", "triangular"])
def test_nearest_fast_path_accurate_at_late_times(window):
    # the nearest kernel factors exp(-(t - s)/tau) around a moving reference time; check that
    # it stays accurate far from t = 0 and over long silences (rebasing), against the reference
    rng = np.random.default_rng(9)
    spikes = poisson_trains(rng, 5, 60.0, 3000.0)
    spikes = [s + 1e6 + (500.0 if i == 2 else 0.0) * (s > 1500) for i, s in enumerate(spikes)]
    spikes = [s[(s < 1e6 + 1000) | (s > 1e6 + 1400)] for s in spikes]  # a silence of 40 tau
    C, _ = causal_correlation(spikes, tau=10.0, window=window)
    ref = reference_C(spikes, tau=10.0, window=window)
    np.testing.assert_allclose(C, ref, rtol=1e-13, atol=1e-300)


# ---------------------------------------------------------------------------------------------
# property tests

trains_strategy = st.integers(1, 5).flatmap(
    lambda n: st.lists(
        st.lists(st.integers(0, 120), unique=True, max_size=25).map(
            lambda xs: np.array(sorted(xs), dtype=np.float64) * 0.5
        ),
        min_size=n,
        max_size=n,
    )
)
rule_strategy = st.fixed_dictionaries(
    {
        "tau": st.sampled_from([0.7, 3.0, 10.0]),
        "window": st.sampled_from(["exponential", "triangular"]),
        "pairing": st.sampled_from(["nearest", "last_k", "all"]),
        "k": st.integers(1, 3),
    }
)
prop_settings = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@prop_settings
@given(spikes=trains_strategy, kw=rule_strategy, split=st.floats(-1.0, 61.0))
def test_split_into_chunks_gives_same_total(spikes, kw, split):
    whole, _ = causal_correlation(spikes, **kw)
    C1, state = causal_correlation([s[s < split] for s in spikes], **kw)
    C2, _ = causal_correlation([s[s >= split] for s in spikes], **kw, state=state)
    np.testing.assert_allclose(C1 + C2, whole, rtol=1e-12, atol=1e-12)


@prop_settings
@given(spikes=trains_strategy, kw=rule_strategy, data=st.data())
def test_invariant_under_neuron_permutation(spikes, kw, data):
    perm = np.array(data.draw(st.permutations(range(len(spikes)))))
    C, _ = causal_correlation(spikes, **kw)
    Cp, _ = causal_correlation([spikes[p] for p in perm], **kw)
    np.testing.assert_allclose(Cp, C[np.ix_(perm, perm)], rtol=1e-12, atol=1e-12)
    assert np.all(np.diag(C) == 0.0)


@settings(max_examples=60, deadline=None)
@given(spikes=trains_strategy, kw=rule_strategy)
def test_kernel_matches_reference_property(spikes, kw):
    C, _ = causal_correlation(spikes, **kw)
    np.testing.assert_allclose(C, reference_C(spikes, **kw), rtol=1e-12, atol=1e-12)
