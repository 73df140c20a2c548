"""Plain PyNN networks shared by tests that compare simulators (no salbench inside)."""

from __future__ import annotations


def sampling_units(sim, n: int):
    """n IF_cond_exp units in the high-conductance state, each driven by its own excitatory
    and inhibitory 3 kHz Poisson background; spikes recorded. Returns the population."""
    cells = sim.Population(n, sim.IF_cond_exp(
        cm=0.2, tau_m=1.0, e_rev_E=0.0, e_rev_I=-100.0, v_thresh=-50.0, v_reset=-50.001,
        v_rest=-52.0, tau_refrac=10.0, tau_syn_E=10.0, tau_syn_I=10.0))
    exc = sim.Population(n, sim.SpikeSourcePoisson(rate=3000.0))
    inh = sim.Population(n, sim.SpikeSourcePoisson(rate=3000.0))
    sim.Projection(exc, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="excitatory")
    sim.Projection(inh, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="inhibitory")
    cells.record("spikes")
    return cells
