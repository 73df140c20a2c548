"""One native-SAL simulation, run as a script in its own process (NEST and NEURON must not
share one): `python native_sal_case.py '<json>'` prints the recorded spikes and the weights
read at each read-out time, as JSON. Used by test_native_sal.py.

The network: `n_pre` SpikeSourceArrays (pre) project with SAL onto one IF_cond_exp cell (post),
which a strong static synapse from another SpikeSourceArray (drive) makes fire.
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np


def main(case: dict) -> dict:
    from salbench.plasticity.nest_build import use_pynn_extensions

    use_pynn_extensions()  # before pyNN.nest's first import: no cmake at import time
    sim = importlib.import_module(case["sim"])
    from salbench.plasticity import sal_synapse

    sim.setup(timestep=0.1, min_delay=0.1)
    synapse = sal_synapse(sim, **case["params"])  # NEST: loads the module, before any cell
    pre = sim.Population(len(case["pre"]), sim.SpikeSourceArray(
        spike_times=[sim.Sequence(t) for t in case["pre"]]))
    drive = sim.Population(1, sim.SpikeSourceArray(spike_times=case["drive"]))
    post = sim.Population(1, sim.IF_cond_exp(tau_refrac=2.0))
    pre.record("spikes")
    post.record("spikes")
    sim.Projection(drive, post, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.2, delay=0.1), receptor_type="excitatory")
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), synapse,
                         receptor_type="excitatory")
    weights = []
    for t in case["readouts"]:
        sim.run_until(t)
        weights.append(np.asarray(prj.get("weight", format="array"))[:, 0].tolist())
    data_pre = pre.get_data().segments[0].spiketrains
    data_post = post.get_data().segments[0].spiketrains
    out = {
        "pre": [np.asarray(st.magnitude).tolist()
                for st in sorted(data_pre, key=lambda st: st.annotations["source_index"])],
        "post": np.asarray(data_post[0].magnitude).tolist(),
        "weights": weights,
    }
    sim.end()
    return out


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(json.loads(sys.argv[1]))))
