"""Two populations with a reciprocal SAL projection, in plain PyNN.

Runs unchanged on pyNN.nest, pyNN.neuron and salbench.simulators.bss2: only the imported
backend module changes. Choose it on the command line or with $PYNN_BACKEND:

    python examples/sal_pair.py pyNN.nest
    PYNN_BACKEND=pyNN.neuron python examples/sal_pair.py

Both populations fire under Poisson input; A -> B and B -> A are plastic under SAL
(design.md 1.1). Prints the mean difference and sum of each reciprocal pair of weights before
and after, and (last line) a JSON summary. The script shows the API, not the science: these
plain LIF cells are not in the sampling regime SAL needs (design.md section 4), and with the
recurrent excitation here they fire fast and regularly, so the difference need not shrink.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

import numpy as np

# import salbench.plasticity before the backend: on NEST it lets pyNN.nest find the PyNN
# extension module that `salbench prepare` built
from salbench.plasticity import sal_synapse

name = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PYNN_BACKEND", "pyNN.nest")
sim = importlib.import_module(name)

N = 10
DURATION_MS = 2000.0
# what all three accept: the chip has one delay, one 0.1 ms step, and its correlation sensors
# measure SAL's window with the post neuron's tau_refrac as time constant (design.md 1.1:
# tau = tau_ref), so the SAL window's tau is the cells' tau_refrac
sim.setup(timestep=0.1, min_delay=0.1)
# make the synapse types first: NEST loads the compiled SAL module only into an empty network
sal_ab = sal_synapse(sim, weight=0.006, delay=0.1, tau=10.0, eta=0.0004, w_min=0.0, w_max=0.012)
sal_ba = sal_synapse(sim, weight=0.002, delay=0.1, tau=10.0, eta=0.0004, w_min=0.0, w_max=0.012)

cell = sim.IF_cond_exp(tau_m=10.0, tau_refrac=10.0, tau_syn_E=5.0, tau_syn_I=5.0,
                       v_rest=-65.0, v_thresh=-55.0, v_reset=-65.0)
a = sim.Population(N, cell, label="A")
b = sim.Population(N, cell, label="B")
noise = sim.Population(2 * N, sim.SpikeSourcePoisson(rate=400.0), label="noise")
for k, pop in enumerate((a, b)):
    # each cell its own Poisson source
    sim.Projection(noise[k * N:(k + 1) * N], pop,
                   sim.FromListConnector([(i, i) for i in range(N)]),
                   sim.StaticSynapse(weight=0.008, delay=0.1), receptor_type="excitatory")
ab = sim.Projection(a, b, sim.AllToAllConnector(), sal_ab, receptor_type="excitatory")
ba = sim.Projection(b, a, sim.AllToAllConnector(), sal_ba, receptor_type="excitatory")


def weights() -> tuple[np.ndarray, np.ndarray]:
    w_ab = np.asarray(ab.get("weight", format="array"))  # [pre in A, post in B]
    w_ba = np.asarray(ba.get("weight", format="array"))  # [pre in B, post in A]
    return w_ab, w_ba.T  # both indexed [a, b]: the two weights of each reciprocal pair


w_ab0, w_ba0 = weights()
a.record("spikes")
sim.run(DURATION_MS)
w_ab1, w_ba1 = weights()
rate = sum(len(st) for st in a.get_data().segments[0].spiketrains) / N / DURATION_MS * 1000
w_min, w_max = 0.0, 0.012
sim.end()
summary = {
    "within_bounds": bool(np.all((w_ab1 >= w_min) & (w_ab1 <= w_max)
                                 & (w_ba1 >= w_min) & (w_ba1 <= w_max))),
    "backend": name,
    "rate_A_hz": rate,
    "diff_before": float(np.mean(np.abs(w_ab0 - w_ba0))),
    "diff_after": float(np.mean(np.abs(w_ab1 - w_ba1))),
    "sum_before": float(np.mean(w_ab0 + w_ba0)),
    "sum_after": float(np.mean(w_ab1 + w_ba1)),
}
print(f"{name}: mean |w_AB - w_BA| {summary['diff_before']:.5f} -> {summary['diff_after']:.5f} "
      f"uS, mean sum {summary['sum_before']:.5f} -> {summary['sum_after']:.5f} uS, "
      f"A fires at {rate:.1f} Hz")
print(json.dumps(summary))
