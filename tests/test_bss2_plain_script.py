"""A plain PyNN script (no salbench import) runs unchanged on pyNN.nest and on bss2.

Only the import line differs.  bss2 runs with its default (calibrated) hardware model, so
fixed-pattern noise, weight quantisation and membrane noise are on: rates must be similar in
distribution, not equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

pytest.importorskip("pyNN.nest")

SCRIPT = '''
import json
import numpy as np
import {module} as sim

sim.setup(timestep=0.1)
rng = sim.NumpyRNG(seed=42)
exc = sim.Population(60, sim.IF_cond_exp(tau_refrac=2.0, v_thresh=-52.0, tau_syn_E=5.0,
                                          tau_syn_I=10.0), label="exc")
inh = sim.Population(15, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-52.0), label="inh")
exc.initialize(v=sim.RandomDistribution("uniform", (-65.0, -55.0), rng=rng))
noise = sim.Population(75, sim.SpikeSourcePoisson(rate=1500.0), label="noise")
cue = sim.Population(5, sim.SpikeSourceArray(spike_times=np.arange(50.0, 2000.0, 100.0)))
sim.Projection(noise[:60], exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.004),
               receptor_type="excitatory")
sim.Projection(noise[60:], inh, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.3),
               receptor_type="excitatory")
sim.Projection(cue, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
               sim.StaticSynapse(weight=0.01), receptor_type="excitatory")
sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.2, rng=rng),
               sim.StaticSynapse(weight=0.2), receptor_type="excitatory")
sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.2, rng=rng),
               sim.StaticSynapse(weight=0.01), receptor_type="inhibitory")
exc.record(["spikes", "v"])
inh.record("spikes")
sim.run(2000.0)
rates = {{}}
for pop in (exc, inh):
    data = pop.get_data().segments[0]
    rates[pop.label] = [len(st) / 2.0 for st in data.spiketrains]
assert data.spiketrains[0].t_stop.magnitude == 2000.0
v = exc.get_data().segments[0].filter(name="v")[0]
rates["v_mean"] = float(np.nanmean(v.magnitude))
sim.end()
print("RATES" + json.dumps(rates))
'''


def _run(module: str, tmp_path: Path) -> dict:
    path = tmp_path / f"script_{module.replace('.', '_')}.py"
    path.write_text(SCRIPT.format(module=module))
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + \
        env.get("PYTHONPATH", "")
    env.pop("SALBENCH_BSS2_PROFILE", None)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RATES"))
    return json.loads(line[len("RATES"):])


def test_plain_script_runs_on_both_with_similar_rates(tmp_path):
    nest = _run("pyNN.nest", tmp_path)
    bss2 = _run("salbench.simulators.bss2", tmp_path)
    for label in ("exc", "inh"):
        a, b = np.array(nest[label]), np.array(bss2[label])
        p_value = stats.mannwhitneyu(a, b).pvalue
        print(f"{label}: NEST {a.mean():.2f} Hz, bss2 {b.mean():.2f} Hz (Mann-Whitney p = "
              f"{p_value:.3f})")
        assert a.mean() > 3.0
        assert abs(b.mean() - a.mean()) < 0.2 * a.mean()
    assert abs(nest["v_mean"] - bss2["v_mean"]) < 2.0
