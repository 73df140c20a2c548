"""bss2-ideal agrees with pyNN.nest: spike for spike on deterministic input, in rate on Poisson.

NEST is run with ``spike_precision="on_grid"`` (the grid-based models, like the emulation).
pyNN.nest realises SpikeSourceArray with parrot neurons and shifts the given times by
min_delay, which moves a few grid times by one step through float rounding; the emulation is
therefore fed the spike times NEST's sources actually emitted (recorded), so both simulators see
identical input.
"""

from __future__ import annotations

import numpy as np
import pytest
from pynn_networks import sampling_units
from scipy import stats

import salbench.simulators.bss2 as bss2

nest_sim = pytest.importorskip("pyNN.nest")

N_CELLS = 4
N_EXC, N_INH = 30, 10


def _input_trains(seed=1, n=N_EXC + N_INH, per_train=25, t_stop=1000.0):
    rng = np.random.default_rng(seed)
    return [np.unique(np.round(np.sort(rng.uniform(1.0, t_stop, per_train)), 1))
            for _ in range(n)]


def _deterministic_run(sim, kind, trains, w_exc, w_inh):
    src = sim.Population(len(trains), sim.SpikeSourceArray(spike_times=trains))
    params = dict(tau_refrac=2.0, tau_m=10.0, cm=0.2, tau_syn_E=3.0, tau_syn_I=5.0,
                  v_thresh=[-55.0, -54.0, -53.0, -56.0])
    celltype = sim.IF_cond_exp(**params) if kind == "cond" else sim.IF_curr_exp(**params)
    cells = sim.Population(N_CELLS, celltype)
    sim.Projection(src[:N_EXC], cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_exc), receptor_type="excitatory")
    sim.Projection(src[N_EXC:], cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_inh), receptor_type="inhibitory")
    cells.record(["spikes", "v"])
    src.record("spikes")
    sim.run(1000.0)
    out = [np.asarray(s.magnitude) for s in cells.get_data().segments[0].spiketrains]
    emitted = [np.asarray(s.magnitude) for s in src.get_data().segments[0].spiketrains]
    return out, emitted


def _matched_fraction(reference, test, tolerance):
    """Fraction of reference spikes with a test spike within ``tolerance``."""
    hits = total = 0
    for ref, other in zip(reference, test, strict=True):
        total += len(ref)
        if len(ref) and len(other):
            idx = np.clip(np.searchsorted(other, ref), 1, len(other) - 1)
            nearest = np.minimum(np.abs(other[idx - 1] - ref), np.abs(other[idx] - ref))
            hits += int(np.sum(nearest <= tolerance))
    return hits / max(total, 1)


@pytest.mark.parametrize("kind,w_exc,w_inh", [("cond", 0.02, 0.02), ("curr", 0.6, -0.6)])
def test_deterministic_input_matches_nest(kind, w_exc, w_inh):
    trains = _input_trains()
    nest_sim.setup(timestep=0.1, min_delay=1.0, spike_precision="on_grid")
    ref, emitted = _deterministic_run(nest_sim, kind, trains, w_exc, w_inh)
    nest_sim.end()
    bss2.setup(timestep=0.1, profile="bss2-ideal")
    out, _ = _deterministic_run(bss2, kind, emitted, w_exc, w_inh)
    n_ref = np.array([len(s) for s in ref])
    n_out = np.array([len(s) for s in out])
    assert n_ref.min() >= 50, "the input must make every neuron fire tens of times"
    assert sum(len(s) for s in emitted) >= 500
    np.testing.assert_allclose(n_out, n_ref, rtol=0.02)
    fraction = _matched_fraction(ref, out, 0.5)
    print(f"{kind}: NEST counts {n_ref.tolist()}, bss2 {n_out.tolist()}, "
          f"{100 * fraction:.1f}% of spikes within 0.5 ms")
    assert fraction >= 0.9


def _poisson_rates(sim, n=20, t_stop=5000.0):
    cells = sampling_units(sim, n)
    sim.run(t_stop)
    counts = cells.get_spike_counts()
    return np.array([counts[i] for i in cells.all_cells]) / (t_stop / 1000.0)


def test_poisson_driven_rates_match_nest():
    nest_sim.setup(timestep=0.1, min_delay=1.0, spike_precision="on_grid", rng_seed=11)
    ref = _poisson_rates(nest_sim)
    nest_sim.end()
    bss2.setup(timestep=0.1, profile="bss2-ideal", rng_seed=11)
    out = _poisson_rates(bss2)
    t_stat, p_value = stats.ttest_ind(ref, out, equal_var=False)
    print(f"Poisson: NEST {ref.mean():.2f} +- {ref.std():.2f} Hz, bss2-ideal "
          f"{out.mean():.2f} +- {out.std():.2f} Hz, Welch p = {p_value:.3f}")
    assert ref.mean() > 5.0
    assert p_value > 0.01
    assert abs(out.mean() - ref.mean()) < 0.1 * ref.mean()
