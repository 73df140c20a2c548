"""Sampling units as PyNN cells with their background noise: the one builder that the
networks and the calibration share (salbench.spec.translation names the models)."""

from __future__ import annotations

from typing import Any

import numpy as np

from salbench.realisation.host import SimulatorHost
from salbench.spec.units import LIFUnitParams


def sampling_cells(host: SimulatorHost, unit: LIFUnitParams, tau_ref_ms: float,
                   v_rest: np.ndarray, v_init: float | None = None,
                   label: str = "sampling units") -> tuple[Any, list[Any]]:
    """IF_cond_exp sampling units (tau_syn = tau_refrac = tau_ref) at rest potentials `v_rest`,
    started at `v_init` (default: their rest potentials), each with its own background of the
    unit's noise model. Returns the population and the objects that must be kept alive."""
    sim = host.sim
    rests = [float(v) for v in np.atleast_1d(v_rest)]
    n = len(rests)
    cells = sim.Population(n, sim.IF_cond_exp(
        cm=unit.cm, tau_m=unit.tau_m, e_rev_E=unit.e_rev_E, e_rev_I=unit.e_rev_I,
        v_thresh=unit.v_thresh, v_reset=unit.v_reset,
        tau_refrac=tau_ref_ms, tau_syn_E=tau_ref_ms, tau_syn_I=tau_ref_ms, v_rest=rests),
        label=label)
    cells.initialize(v=rests if v_init is None else v_init)
    if unit.noise == "white":
        return cells, host.current_noise(cells, unit.noise_std_nA, unit.noise_dt_ms)
    # private Poisson sources, one excitatory and one inhibitory per unit. FromListConnector:
    # OneToOneConnector fails for size-1 populations on numpy 2
    one_to_one = sim.FromListConnector([(i, i, unit.bg_weight_uS, host.delay_ms)
                                        for i in range(n)])
    keep = []
    for receptor in ("excitatory", "inhibitory"):
        source = sim.Population(n, sim.SpikeSourcePoisson(rate=unit.bg_rate_hz),
                                label=f"background {receptor}")
        keep.append(sim.Projection(source, cells, one_to_one, sim.StaticSynapse(),
                                   receptor_type=receptor))
    return cells, keep
