"""Tests of the reference backend's engine: the discrete-time sampling neuron."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from salbench.backends.reference.engine import DiscreteSamplingNetwork

BIG = 50.0  # |bias| that makes firing (im)possible: logistic(+-50 - ln t_ref) rounds to 1 / ~1e-22


def logistic(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def net(w, b, *, t_ref=10, seed=1, dt_ms=1.0, **kw) -> DiscreteSamplingNetwork:
    return DiscreteSamplingNetwork(
        np.asarray(w, dtype=float), np.asarray(b, dtype=float),
        t_ref_steps=t_ref, dt_ms=dt_ms, seed=seed, **kw,
    )  # fmt: skip


# -- (a) an isolated unit samples p(z=1) = logistic(b) -------------------------------------


def batch_mean_ci(z: np.ndarray, n_batches: int = 100) -> tuple[float, float]:
    """Mean of an autocorrelated 0/1 series and its standard error from batch means.

    With 100 batches of 20,000 steps (>> the correlation time, a few hundred steps at most)
    the batch means are independent and normal, so mean +- 4 SE is a ~99.99 % interval.
    """
    batches = z[: len(z) // n_batches * n_batches].reshape(n_batches, -1).mean(axis=1)
    return float(batches.mean()), float(batches.std(ddof=1) / math.sqrt(n_batches))


@pytest.mark.parametrize("b", [-2.0, -1.0, 0.0, 1.0, 2.0])
def test_isolated_unit_buesing_samples_logistic(b):
    t_ref = 10
    z = net([[0.0]], [b], t_ref=t_ref, seed=11, timing="buesing").sample_states(2e6, 1)[:, 0]
    mean, se = batch_mean_ci(z)
    assert se < 0.0025  # the test can resolve deviations of 1 %
    assert abs(mean - logistic(b)) < 4 * se


@pytest.mark.parametrize("b", [-2.0, 0.0, 1.0, 2.0])
def test_isolated_unit_authors_timing(b):
    """The authors' timing (min ISI t_ref + 1, z = 1 for t_ref steps) gives
    p(z=1) = t_ref / (t_ref + 1 + t_ref e^-b): logistic(b) only up to O(1/t_ref)."""
    t_ref = 10
    z = net([[0.0]], [b], t_ref=t_ref, seed=12).sample_states(2e6, 1)[:, 0]
    mean, se = batch_mean_ci(z)
    expected = t_ref / (t_ref + 1 + t_ref * math.exp(-b))
    assert abs(mean - expected) < 4 * se
    if b >= 0.0:  # at t_ref = 10 the O(1/t_ref) offset is 0.024-0.05: resolvable
        assert abs(mean - logistic(b)) > 8 * se


# -- (b) refractoriness, PSP and state timing ------------------------------------------------


@pytest.mark.parametrize("timing,min_isi", [("authors", 8), ("buesing", 7)])
def test_refractoriness(timing, min_isi):
    rng = np.random.default_rng(5)
    n = 6
    w = rng.uniform(-2, 2, (n, n))
    np.fill_diagonal(w, 0.0)
    b = np.array([-1.0, 0.0, 1.0, 3.0, BIG, 2.0])
    network = net(w, b, t_ref=7, seed=2, dt_ms=0.5, timing=timing)
    spikes = network.run(20_000 * 0.5)
    for i, s in enumerate(spikes):
        assert s.size > 100
        assert np.all(s >= 0.0) and np.all(s < 10_000.0)
        isi_steps = np.round(np.diff(s) / 0.5).astype(int)
        assert isi_steps.min() >= min_isi, f"unit {i}"
    # a unit that always fires when it may fires exactly every min_isi steps
    assert np.all(np.round(np.diff(spikes[4]) / 0.5) == min_isi)
    assert spikes[4][0] == 0.0


@pytest.mark.parametrize(
    "timing,t_ref,tau_syn,expect_1,expect_2",
    [
        # authors: PSP in steps s+1 .. s+tau_syn-1, min ISI t_ref + 1
        ("authors", 3, 12, [1, 5, 9], [12, 16]),
        ("authors", 4, None, [1], [5, 10, 15]),
        # buesing: PSP in steps s+1 .. s+tau_syn, min ISI t_ref
        ("buesing", 3, 12, [1, 4, 7, 10], [13, 16, 19]),
        ("buesing", 4, None, [1], [5, 9, 13, 17]),
    ],
)
def test_psp_and_state_timing(timing, t_ref, tau_syn, expect_1, expect_2):
    """Unit 0 fires once, in step 0.  Unit 1 fires only while that PSP is on (W = +100),
    unit 2 only while it is off (W = -100): their spike steps show the PSP window exactly,
    and that a spike in step t reaches the others in step t+1 (synchronous update)."""
    w = np.zeros((3, 3))
    w[1, 0], w[2, 0] = 100.0, -100.0
    network = net(w, [BIG, -BIG, BIG], t_ref=t_ref, tau_syn_steps=tau_syn, timing=timing)
    first = network.run(1.0)
    assert [s.tolist() for s in first] == [[0.0], [], [0.0]]
    network.set_biases([-BIG, -BIG, BIG])
    spikes, z = network.run_with_states(19.0, 1)
    assert spikes[0].size == 0
    assert spikes[1].tolist() == expect_1
    assert spikes[2].tolist() == expect_2
    # z_0(t) = 1 exactly for 1 <= t - 0 <= t_ref (the state sampled at the start of step t)
    steps = np.arange(1, 20)
    assert z[:, 0].tolist() == ((steps >= 1) & (steps <= t_ref)).astype(int).tolist()
    assert z.dtype == np.uint8 and z.shape == (19, 3)


# -- (c) determinism and chunking --------------------------------------------------------------


def random_net(n=5, seed=3, **kw):
    rng = np.random.default_rng(0)
    w = rng.uniform(-1.5, 1.5, (n, n))
    np.fill_diagonal(w, 0.0)
    return net(w, rng.uniform(-1, 1, n), t_ref=6, seed=seed, dt_ms=0.1, **kw)


def test_same_seed_same_spikes_other_seed_other_spikes():
    a = random_net(seed=7).run(5000.0)
    b = random_net(seed=7).run(5000.0)
    c = random_net(seed=8).run(5000.0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


@pytest.mark.parametrize("timing", ["authors", "buesing"])
def test_chunking_invariance(timing):
    # 60,001 steps of a 5-unit net cross the engine's internal block (52,428 steps) boundary
    whole = random_net(timing=timing)
    ref = whole.run(6000.1)
    chunked = random_net(timing=timing)
    parts = [chunked.run(d) for d in (0.3, 0.0, 1234.5, 3000.0, 1765.3)]
    for i in range(5):
        joined = np.concatenate([p[i] for p in parts])
        assert np.array_equal(joined, ref[i])
        assert np.all(np.diff(joined) > 0)
    assert whole.t_ms == pytest.approx(6000.1) and chunked.t_ms == pytest.approx(6000.1)
    assert whole.step == chunked.step == 60_001


def test_sample_states_chunking_and_weight_changes():
    def go(durations):
        network = random_net()
        out = []
        for k, d in enumerate(durations):
            network.set_weights(network.get_weights() * (1.0 + 0.01 * k))
            out.append(network.sample_states(d, 3))
        return np.concatenate(out)

    # weight changes at the same steps in both runs -> identical samples
    assert np.array_equal(go([600.0, 600.0, 900.0]), go([600.0, 600.0, 900.0]))
    ref = random_net().sample_states(2100.0, 3)
    alt = random_net()
    chunks = np.concatenate([alt.sample_states(d, 3) for d in (300.0, 1800.0)])
    assert np.array_equal(ref, chunks)
    assert ref.shape == (7000, 5)


def test_parameter_validation():
    with pytest.raises(ValueError):
        net(np.zeros((2, 3)), [0.0, 0.0])
    with pytest.raises(ValueError):
        net(np.zeros((2, 2)), [0.0, 0.0], t_ref=0)
    with pytest.raises(ValueError):
        net(np.zeros((2, 2)), [0.0, 0.0], timing="nest")
    network = net(np.zeros((2, 2)), [0.0, 0.0])
    with pytest.raises(ValueError):
        network.set_biases([0.0])
    with pytest.raises(ValueError):
        network.run(-1.0)
    w = np.array([[0.0, 1.0], [2.0, 0.0]])
    network.set_weights(w)
    got = network.get_weights()
    got[0, 1] = 5.0
    assert np.array_equal(network.get_weights(), w)  # a copy, not a view


# -- (d) a 3-unit Boltzmann machine ------------------------------------------------------------

W3 = np.array([[0.0, 1.0, -0.8], [1.0, 0.0, 0.6], [-0.8, 0.6, 0.0]])
B3 = np.array([-0.3, 0.2, -0.5])
STATES3 = np.array(list(itertools.product([0, 1], repeat=3)))


def boltzmann(w, b):
    log_p = 0.5 * np.einsum("si,ij,sj->s", STATES3, w, STATES3) + STATES3 @ b
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


def dkl_to_target(z: np.ndarray, p: np.ndarray) -> float:
    q = np.bincount(z.astype(int) @ np.array([4, 2, 1]), minlength=8) / len(z)
    return float(np.sum(p * np.log(p / q)))


@pytest.mark.parametrize("timing,threshold", [("buesing", 5e-4), ("authors", 2e-3)])
def test_boltzmann_machine_dkl(timing, threshold):
    """D_KL(p* || p_sampled) over the 8 states, t_ref = 50 steps as in the paper's sampling
    runs, states sampled every t_ref / 2 = 25 steps, 800,000 samples (2e7 steps, ~1 s).

    Threshold justification (measured with 4 seeds each, see the engine's docstring):
    - sampling noise: E[D_KL] ~ (8 - 1) / (2 n_eff) ~ 2e-5 for n_eff ~ 2e5;
    - synchronous update (two units may switch in the same step) is exact only for
      t_ref -> oo; the bias scales like 1/t_ref^2: D_KL = 1.9e-3 / 5e-4 / 0.8e-4 at
      t_ref = 10 / 20 / 50 with timing="buesing";
    - the authors' timing adds an O(1/t_ref) parameter offset: 1.4e-2 / 3.8e-3 / 6.4e-4.
    5e-4 (buesing) and 2e-3 (authors) leave a >= 3x margin at t_ref = 50 and are far below
    what a wrong model gives: independent units (W = 0) 0.116, the ln t_ref offset missing
    > 0.05, weights 10 % too small 1.1e-3 (> 5e-4).
    """
    p = boltzmann(W3, B3)
    assert dkl_to_target(STATES3[[0] * 9 + list(range(8))], p) > 0.05  # the metric discriminates
    assert np.sum(p * np.log(p / boltzmann(0 * W3, B3))) > 50 * threshold
    t_ref = 50
    network = net(W3, B3, t_ref=t_ref, seed=21, timing=timing)
    z = network.sample_states(t_ref * 400_000, t_ref // 2)
    assert z.shape == (800_000, 3)
    d = dkl_to_target(z, p)
    assert d < threshold, d


# -- (e) the two-neuron SAL demo ---------------------------------------------------------------


def _authors_sal_dw(spikes: list[np.ndarray], tau: float, k: int = 10) -> np.ndarray:
    """SAL correlation of one epoch as in the authors' ``pairbased_stdp`` with the exponential
    window (a_causal = -1, a_acausal = +1): each spike (in time order, ties by unit index) is
    paired with the last k spikes of every other unit; dW[post, pre]."""
    n = len(spikes)
    events = sorted((t, i) for i in range(n) for t in spikes[i])
    history: list[list[float]] = [[] for _ in range(n)]
    dw = np.zeros((n, n))
    for t, i in events:
        for j in range(n):
            if j == i:
                continue
            for s in history[j][-k:]:
                if t > s:  # K(0) = 0 for the antisymmetric window
                    kern = math.exp(-(t - s) / tau)
                    dw[i, j] -= kern  # pre j before post i: depression
                    dw[j, i] += kern  # post j before pre i: potentiation
        history[i].append(t)
    return dw


def _sal_updater(eta: float, tau: float, epoch: float):
    """The project's SAL rule if it is there, else the helper above (same scaling)."""
    try:
        from salbench.rules.sal import SALRule

        rule = SALRule(eta=eta, tau=tau, window="exponential", pairing="last_k", k=10)
        return lambda spikes: rule.update(spikes, epoch), "salbench.rules.sal.SALRule"
    except ImportError:
        return lambda spikes: eta * _authors_sal_dw(spikes, tau) * tau / epoch, "test helper"


def run_two_neuron_demo(n_epochs: int, seed: int = 2024):
    t_ref, epoch, eta = 25, 1500, 0.03
    w = np.array([[0.0, 1.5], [0.5, 0.0]])
    network = net(w, [-0.5, -0.2], t_ref=t_ref, seed=seed)
    update, source = _sal_updater(eta, float(t_ref), float(epoch))
    traj = []
    for _ in range(n_epochs):
        spikes = network.run(float(epoch))
        w = w + update(spikes)
        network.set_weights(w)
        traj.append((w[0, 1], w[1, 0]))
    return np.array(traj), source


REFERENCE_TRAJECTORY = {  # reference-values.json: epoch -> (w01, w10), authors' code, one seed
    0: (1.497, 0.503), 100: (1.279, 0.721), 200: (1.165, 0.835),
    300: (1.070, 0.930), 400: (1.045, 0.955), 600: (1.006, 0.994),
}  # fmt: skip


def test_two_neuron_sal_demo():
    """Both weights plastic: the sum is conserved exactly, the difference decays to 0.

    Single seeds scatter: over 7 seeds the first epoch with |w01 - w10| < 0.1 ranged from
    310 to 543 (the reference run: between 300 and 400), so the epoch-400 criterion is
    checked on the median of 4 fixed seeds, and the decay rate against the reference's.
    """
    trajs = []
    for seed in range(4):
        traj, source = run_two_neuron_demo(601, seed=seed)
        s = traj.sum(axis=1)
        assert np.all(np.abs(s - 2.0) < 1e-9), np.abs(s - 2.0).max()  # conserved at every epoch
        trajs.append(traj)
    trajs = np.array(trajs)  # (seed, epoch, [w01, w10])
    d = np.abs(trajs[:, :, 0] - trajs[:, :, 1])
    first_below = [int(np.argmax(row < 0.1)) if np.any(row < 0.1) else 10**9 for row in d]
    assert np.median(first_below) <= 400, first_below
    assert d[:, 390:411].mean() < 0.12
    assert d[:, 600:].mean() < 0.05
    assert np.all(trajs[:, 0, 0] < 1.5)  # the larger weight shrinks from the first epoch on
    # decay time constant (epochs) of the mean difference vs the reference's
    # (0.558 -> 0.090 over epochs 100 -> 400: 165 epochs)
    mean_d = d.mean(axis=0)
    tau_decay = 300.0 / math.log(mean_d[100] / mean_d[400])
    ref_tau = 300.0 / math.log((1.279 - 0.721) / (1.045 - 0.955))
    assert 0.75 * ref_tau < tau_decay < 1.33 * ref_tau, (tau_decay, ref_tau)
    print(
        f"\ntwo-neuron SAL demo ({source}); decay tau {tau_decay:.0f} epochs "
        f"(reference {ref_tau:.0f}); first epoch |d| < 0.1 per seed: {first_below}"
    )
    print("epoch: seed 0 w01 w10 | mean of 4 seeds w01 w10 | reference w01 w10")
    for e, (r01, r10) in REFERENCE_TRAJECTORY.items():
        m = trajs[:, e].mean(axis=0)
        print(
            f"  {e:4d}: {trajs[0, e, 0]:.3f} {trajs[0, e, 1]:.3f} | {m[0]:.3f} {m[1]:.3f}"
            f" | {r01:.3f} {r10:.3f}"
        )
