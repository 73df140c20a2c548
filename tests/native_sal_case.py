"""One native-SAL simulation, run as a script in its own process (NEST and NEURON must not
share one): `python native_sal_case.py '<json>'` prints the recorded spikes and the weights
read at each read-out time, as JSON. Used by test_native_sal.py.

The network: `n_pre` SpikeSourceArrays (pre) project with SAL onto one IF_cond_exp cell (post;
"cell" in the case names another PyNN cell type), which a strong static synapse from another
SpikeSourceArray (drive) makes fire; with "connect_at", a second SAL projection pre -> post
made at that time, between two runs ("late_connector": "salbench" makes it with the
adapters' dense connector instead of PyNN's all-to-all). With
"reciprocal" in the case: two IF_cond_exp cells A and B, each made to fire by its own drive,
plus "pulses" that drive both at once, joined by SAL both ways (A -> B and B -> A).
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np


def _setup(case: dict) -> tuple:
    """The PyNN backend module, set up, and salbench's sal_synapse."""
    from salbench.plasticity.nest_build import use_pynn_extensions

    use_pynn_extensions()  # before pyNN.nest's first import: no cmake at import time
    sim = importlib.import_module(case["sim"])
    from salbench.plasticity import sal_synapse

    sim.setup(timestep=0.1, min_delay=0.1)
    return sim, sal_synapse


def main(case: dict) -> dict:
    if "reciprocal" in case:
        return reciprocal(case)
    sim, sal_synapse = _setup(case)
    synapse = sal_synapse(sim, **case["params"])  # NEST: loads the module, before any cell
    pre = sim.Population(len(case["pre"]), sim.SpikeSourceArray(
        spike_times=[sim.Sequence(t) for t in case["pre"]]))
    drive = sim.Population(1, sim.SpikeSourceArray(spike_times=case["drive"]))
    post = sim.Population(1, getattr(sim, case.get("cell", "IF_cond_exp"))(tau_refrac=2.0))
    pre.record("spikes")
    post.record("spikes")
    sim.Projection(drive, post, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.2, delay=0.1), receptor_type="excitatory")
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), synapse,
                         receptor_type="excitatory")
    weights = []
    late, late_weights = None, []
    for t in case["readouts"]:
        if "connect_at" in case and late is None and t > case["connect_at"]:
            # "connect_at": a second SAL projection, pre -> post again, made mid-run (its
            # connections join the first one's sources, which have spiked already)
            sim.run_until(case["connect_at"])
            late = sim.Projection(pre, post, _late_connector(case), synapse,
                                  receptor_type="excitatory")
        sim.run_until(t)
        weights.append(np.asarray(prj.get("weight", format="array"))[:, 0].tolist())
        if late is not None:
            late_weights.append(np.asarray(late.get("weight", format="array"))[:, 0].tolist())
    data_pre = pre.get_data().segments[0].spiketrains
    data_post = post.get_data().segments[0].spiketrains
    out = {
        "pre": [np.asarray(st.magnitude).tolist()
                for st in sorted(data_pre, key=lambda st: st.annotations["source_index"])],
        "post": np.asarray(data_post[0].magnitude).tolist(),
        "weights": weights,
        "late_weights": late_weights,
    }
    if case["sim"] == "pyNN.neuron":  # which NEURON mechanism the SAL NetCons target
        out["target"] = str(next(iter(prj.connections)).nc.syn().hname()).split("[")[0]
    sim.end()
    return out


def _late_connector(case: dict) -> object:
    """The mid-run projection's connector: PyNN's all-to-all, or with "late_connector":
    "salbench" the adapters' dense one (salbench.backends.nest / neuron), which makes the
    SAL synapses through its own path (NEURON: SALExpSynHom NetCons by a HOC loop)."""
    n = len(case["pre"])
    if case.get("late_connector", "pynn") == "pynn":
        import pyNN.connectors

        return pyNN.connectors.AllToAllConnector()
    pre, post = np.arange(n), np.zeros(n, dtype=int)
    weights = np.full(n, case["params"]["weight"])
    if case["sim"] == "pyNN.nest":
        from salbench.backends.nest import _array_connector

        return _array_connector(pre, post, weights, case["params"]["delay"])
    from salbench.backends.neuron import _list_connector

    return _list_connector(pre, post, weights, case["params"]["delay"])


def reciprocal(case: dict) -> dict:
    """A <-> B with SAL both ways; the weights w_AB, w_BA at each read-out."""
    sim, sal_synapse = _setup(case)
    synapse = sal_synapse(sim, **case["params"])
    cells = [sim.Population(1, sim.IF_cond_exp(tau_refrac=2.0)) for _ in range(2)]
    pulses = sim.Population(1, sim.SpikeSourceArray(spike_times=case["pulses"]))
    for cell, drive in zip(cells, case["drives"], strict=True):
        cell.record("spikes")
        own = sim.Population(1, sim.SpikeSourceArray(spike_times=drive))
        sim.Projection(own, cell, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.2, delay=0.1), receptor_type="excitatory")
        # strong enough that both cells cross threshold within the step after the pulse
        sim.Projection(pulses, cell, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=20.0, delay=0.1), receptor_type="excitatory")
    ab = sim.Projection(cells[0], cells[1], sim.AllToAllConnector(), synapse,
                        receptor_type="excitatory")
    ba = sim.Projection(cells[1], cells[0], sim.AllToAllConnector(), synapse,
                        receptor_type="excitatory")
    weights = []
    for t in case["readouts"]:
        sim.run_until(t)
        weights.append([float(np.asarray(prj.get("weight", format="array"))[0, 0])
                        for prj in (ab, ba)])
    spikes = [np.asarray(c.get_data().segments[0].spiketrains[0].magnitude).tolist()
              for c in cells]
    sim.end()
    return {"spikes": spikes, "weights": weights}


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(json.loads(sys.argv[1]))))
