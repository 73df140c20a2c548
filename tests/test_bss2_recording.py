"""bss2 recording through PyNN: get_data(clear=True) returns every requested variable, then
clears; clearing one variable's data never touches another's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import salbench.simulators.bss2 as sim

#: a run, get_data(clear=True), a second run, get_data(): what each segment held
_SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    import salbench.simulators.bss2 as sim

    def summary(block):
        seg = block.segments[-1]
        times = [np.asarray(s.magnitude).tolist() for s in seg.spiketrains]
        return {"spikes": times,
                "signals": {s.name: [list(s.shape), float(s.t_start.magnitude)]
                            for s in seg.analogsignals}}

    sim.setup(timestep=0.1, profile="bss2-ideal", rng_seed=3)
    cells = sim.Population(3, sim.IF_cond_exp(tau_refrac=2.0, v_thresh=-55.0))
    noise = sim.Population(3, sim.SpikeSourcePoisson(rate=2000.0))
    sim.Projection(noise, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.002))
    cells.record(["spikes", "v"])
    sim.run(50.0)
    first = summary(cells.get_data(clear=True))
    first_listed = summary(cells.get_data(["spikes", "v"]))
    sim.run(50.0)
    second = summary(cells.get_data())
    sim.end()
    print(json.dumps({"first": first, "after_clear": first_listed, "second": second}))
""")


def _run_with_hash_seed(seed: int) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_get_data_with_clear_returns_every_variable_whatever_the_hash_seed():
    # PyNN reads the recorded variables in the order of a set of their names, which depends
    # on PYTHONHASHSEED; reading spikes with clear must not wipe v before it is read
    results = [_run_with_hash_seed(seed) for seed in range(6)]
    for seed, result in enumerate(results):
        first, after, second = result["first"], result["after_clear"], result["second"]
        assert sum(len(t) for t in first["spikes"]) > 0, seed
        assert first["signals"] == {"v": [[501, 3], 0.0]}, seed
        # cleared: nothing is left of the first run
        assert sum(len(t) for t in after["spikes"]) == 0, seed
        assert after["signals"] == {}, seed
        # the second run returns only its own data
        assert second["signals"] == {"v": [[501, 3], 50.0]}, seed
        assert sum(len(t) for t in second["spikes"]) > 0, seed
        assert min(min(t) for t in second["spikes"] if t) >= 50.0, seed
    assert all(result == results[0] for result in results)


def _recorded_net():
    sim.setup(timestep=0.1, profile="bss2-ideal", rng_seed=3)
    cells = sim.Population(3, sim.IF_cond_exp(tau_refrac=2.0, v_thresh=-55.0))
    noise = sim.Population(3, sim.SpikeSourcePoisson(rate=2000.0))
    sim.Projection(noise, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.002))
    cells.record(["spikes", "v", "gsyn_exc"])
    sim.run(50.0)
    return cells


def _variable(name: str):
    from pyNN.recording import Variable
    return Variable(location=None, name=name, label=None)


@pytest.mark.parametrize("first", ["spikes", "v"])
def test_clearing_one_variable_leaves_the_others(first):
    """The recorder's reads, in either order, each with clear: every read sees its data,
    and clearing one variable leaves the others' (so no hash order can matter)."""
    cells = _recorded_net()
    recorder = cells.recorder
    ids = sorted(cells.all_cells)
    v, ge = _variable("v"), _variable("gsyn_exc")
    full_ids, full_times = recorder._get_spiketimes(ids)
    full_v = recorder._get_all_signals(v, ids)[0]
    full_ge = recorder._get_all_signals(ge, ids)[0]
    assert full_times.size > 0 and full_v.shape == (501, 3)
    if first == "spikes":
        ids_read, times_read = recorder._get_spiketimes(ids, clear=True)
        v_read = recorder._get_all_signals(v, ids, clear=True)[0]
    else:
        v_read = recorder._get_all_signals(v, ids, clear=True)[0]
        ids_read, times_read = recorder._get_spiketimes(ids, clear=True)
    np.testing.assert_array_equal(ids_read, full_ids)
    np.testing.assert_array_equal(times_read, full_times)
    np.testing.assert_array_equal(v_read, full_v)
    # spikes and v are cleared, gsyn_exc (not read with clear) is kept
    assert recorder._get_spiketimes(ids)[1].size == 0
    assert recorder._get_all_signals(v, ids)[0].size == 0
    np.testing.assert_array_equal(recorder._get_all_signals(ge, ids)[0], full_ge)
    sim.end()


def test_get_data_with_clear_reads_before_it_clears_and_clears_everything():
    cells = _recorded_net()
    whole = cells.get_data().segments[-1]
    got = cells.get_data(["spikes", "v"], clear=True).segments[-1]
    assert [list(s.magnitude) for s in got.spiketrains] == \
        [list(s.magnitude) for s in whole.spiketrains]
    assert sorted(s.name for s in got.analogsignals) == ["v"]
    np.testing.assert_array_equal(got.filter(name="v")[0].magnitude,
                                  whole.filter(name="v")[0].magnitude)
    # PyNN's clear discards everything recorded so far, also the variable not asked for
    rest = cells.get_data().segments[-1]
    assert sum(len(s) for s in rest.spiketrains) == 0
    assert len(rest.analogsignals) == 0
    sim.run(20.0)
    new = cells.get_data().segments[-1]
    assert all(np.all(s.magnitude >= 50.0) for s in new.spiketrains)
    for signal in new.analogsignals:
        assert signal.shape == (201, 3)   # pyNN.nest: 200 (no t_stop after a clear), open
        assert float(signal.t_start.magnitude) == 50.0
    sim.end()
