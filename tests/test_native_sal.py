"""SAL as a native synapse of NEST and NEURON (salbench.plasticity), against the event-driven
reference (salbench.plasticity.reference), itself checked by hand and against the rule
library's epoch update (salbench.rules.sal).

Both pair the cells' emission times (design.md 1.1), whatever the delay, so a reciprocal
pair with equal amplitudes conserves w_12 + w_21 (test_reciprocal_sum_is_conserved).

Simulations run in subprocesses (tests/native_sal_case.py): NEST and NEURON must not share a
process. One case takes about 1 s per simulator once `salbench prepare` built the modules
(otherwise the first NEST case builds it: about 10 s).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from salbench.plasticity import sal_synapse
from salbench.plasticity.params import parse
from salbench.plasticity.reference import sal_trajectory, weight_at
from salbench.rules.pairing import causal_correlation
from salbench.rules.sal import sal_update

CASE = Path(__file__).parent / "native_sal_case.py"
ROOT = Path(__file__).parents[1]
SIMS = [pytest.param(m, marks=pytest.mark.skipif(
    find_spec("pyNN") is None or find_spec(m.split(".")[1]) is None,
    reason=f"{m} not installed")) for m in ("pyNN.nest", "pyNN.neuron")]
RTOL = 1e-9


# -- the reference, by hand and against the rule library --------------------------------
def test_reference_hand_worked() -> None:
    """pre 11, 31, 51; post 12, 16, 32, 41, 52 (emission times, whatever the delay):
    post 12 pairs with pre 11 (-e^-0.1); post 16 has no pre after post 12; pre 31 pairs with
    post 16 (+e^-1.5); post 32 with pre 31 (-e^-0.1); pre 51 with post 41 (+e^-1.0); post 52
    comes after the last pre, so nothing has applied it yet."""
    times, w = sal_trajectory([11, 31, 51], [12, 16, 32, 41, 52], w0=0.0, tau=10.0, eta=1.0)
    e = math.exp
    expected = [0.0, -e(-0.1) + e(-1.5), -e(-0.1) + e(-1.5) - e(-0.1) + e(-1.0)]
    np.testing.assert_allclose(w, expected, rtol=1e-15)
    assert times.tolist() == [11, 31, 51]


def test_reference_tie_and_clip() -> None:
    """post 20 = the second pre: the post pairs with pre 10 (-a_c e^-1), the pre pairs with
    no post before 20, and the tie adds eta (a_a - a_c) / 2; clipping at w_min."""
    _, w = sal_trajectory([10, 20], [20], w0=0.5, tau=10.0, eta=0.1, a_causal=2.0,
                          a_acausal=0.5)
    assert w[1] == pytest.approx(0.5 - 0.2 * math.exp(-1) + 0.05 * (0.5 - 2.0), rel=1e-15)
    _, w = sal_trajectory([10, 20], [20], w0=0.5, tau=10.0, eta=0.1, a_causal=2.0,
                          a_acausal=0.5, w_min=0.45)
    assert w[1] == 0.45


def test_reference_is_the_rule_library() -> None:
    """Unclipped, the online total is salbench.rules.sal's epoch update over the same pairs
    (both on emission times), ties included."""
    rng = np.random.default_rng(3)
    pre = np.unique(np.round(rng.uniform(0, 500, 60), 1))
    post = np.unique(np.round(rng.uniform(0, 480, 50), 1))
    post = np.unique(np.concatenate([post, pre[::7]]))  # ties
    post = post[post < pre[-1]]  # all before the last pre, so all applied
    _, w = sal_trajectory(pre, post, w0=0.0, tau=8.0, eta=0.01, a_causal=1.2, a_acausal=0.8)
    C, _ = causal_correlation([pre, post], tau=8.0)
    dW = sal_update(C, eta=0.01, tau=8.0, duration=8.0, a_causal=1.2, a_acausal=0.8)
    assert w[-1] == pytest.approx(dW[1, 0], rel=1e-12)


def test_reference_reciprocal_sum() -> None:
    """Equal amplitudes, no clipping: the two synapses of a reciprocal pair change by opposite
    amounts once every pair is applied (the trains end on a common spike, a tie of zero)."""
    rng = np.random.default_rng(8)
    a = np.unique(np.round(rng.uniform(0, 300, 40), 1).tolist() + [310.0])
    b = np.unique(np.round(rng.uniform(0, 300, 35), 1).tolist() + [310.0])
    _, w_ab = sal_trajectory(a, b, w0=0.0, tau=10.0, eta=0.01)
    _, w_ba = sal_trajectory(b, a, w0=0.0, tau=10.0, eta=0.01)
    assert abs(w_ab[-1]) > 1e-3
    assert w_ab[-1] + w_ba[-1] == pytest.approx(0.0, abs=1e-15)


# -- parameters -----------------------------------------------------------------------
def test_unsupported_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="'window'=|window='triangular'"):
        parse(window="triangular")
    with pytest.raises(ValueError, match="'tau_plus'"):
        parse(tau_plus=3.0)
    with pytest.raises(ValueError, match="a_causal"):
        parse(a_causal=-1.0)
    with pytest.raises(ValueError, match="w_min"):
        parse(w_min=2.0, w_max=1.0)
    with pytest.raises(ValueError, match="no SAL synapse for PyNN backend 'pyNN.brian2'"):
        sal_synapse(type(sys)("pyNN.brian2"))


# -- the simulators against the reference ---------------------------------------------
def run_python(*args: str) -> subprocess.CompletedProcess:
    """This Python on `args` (a script, or "-c" and code) in a subprocess that imports this
    checkout's salbench."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # nrnivmodl and friends sit beside the venv's python
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=600, env=env)


def run_case(sim: str, case: dict) -> dict:
    proc = run_python(str(CASE), json.dumps({**case, "sim": sim}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def _lag(sim: str, delay: float, cell: str = "IF_cond_exp") -> float:
    """When a pre spike is processed after its emission (reference.weight_at): NEST at its
    delivery, one min_delay (0.1 ms in native_sal_case.py) later; NEURON's SALExpSyn (onto
    an ExpSyn receptor) when the spike arrives, one delay later; its weight adjuster (onto
    any other receptor, e.g. IF_cond_alpha's AlphaSyn) at once."""
    if sim == "pyNN.nest":
        return 0.1
    return delay if cell == "IF_cond_exp" else 0.0


def _near(t: np.ndarray, readouts: list[float]) -> np.ndarray:
    """Times within 2 ms of a read-out (a pre spike is processed up to one delay, at most
    1.5 ms here, after it): kept free of pre spikes, so the lag does not change which
    spikes a read-out sees."""
    return np.any([(t > r - 2.0) & (t < r + 2.0) for r in readouts], axis=0)


def spike_pattern(seed: int, readouts: list[float]) -> tuple[list, list]:
    """Two pre trains and a drive train on the 0.1 ms grid, no pre spike near a read-out."""
    rng = np.random.default_rng(seed)
    pre = []
    for _ in range(2):
        t = np.unique(np.round(rng.uniform(1, readouts[-1] - 5, 25), 1))
        pre.append(t[~_near(t, readouts)].tolist())
    drive = np.unique(np.round(rng.uniform(1, readouts[-1] - 5, 30), 1)).tolist()
    return pre, drive


def check(sim: str, case: dict, out: dict) -> list[float]:
    """Relative errors of every weight read, against the reference from the recorded spikes
    (emission times: the delay is no argument of the reference)."""
    p = case["params"]
    errors = []
    for i, pre in enumerate(out["pre"]):
        amp_c = np.broadcast_to(np.ravel(p["a_causal"]), (len(out["pre"]),))[i]
        times, traj = sal_trajectory(pre, out["post"], w0=p["weight"], tau=p["tau"],
                                     eta=p["eta"], a_causal=float(amp_c),
                                     a_acausal=p["a_acausal"], w_min=p["w_min"],
                                     w_max=p["w_max"])
        assert len(times) > 5  # the case exercises the rule
        for t, read in zip(case["readouts"], out["weights"], strict=True):
            ref = weight_at(times, traj, t, p["weight"],
                            _lag(sim, p["delay"], case.get("cell", "IF_cond_exp")))
            errors.append(abs(read[i] - ref) / abs(ref))
    return errors


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("delay", [0.1, 1.5])
@pytest.mark.parametrize("cell", ["IF_cond_exp", "IF_cond_alpha"])
def test_weights_match_reference(sim: str, delay: float, cell: str) -> None:
    """Per-connection a_causal, clipping at both bounds, several read-outs; the same
    reference for either delay. On NEURON, onto IF_cond_exp the SALExpSyn synapse, onto
    IF_cond_alpha (an AlphaSyn receptor) the weight adjuster StdwaSAL."""
    readouts = [100.0, 200.0, 300.0, 400.0]
    pre, drive = spike_pattern(1, readouts)
    # a_causal per connection, [pre, post] as PyNN takes arrays
    params = dict(weight=0.004, delay=delay, tau=10.0, eta=0.0008, a_causal=[[1.4], [0.5]],
                  a_acausal=0.9, w_min=0.0015, w_max=0.0055)
    case = {"pre": pre, "drive": drive, "readouts": readouts, "params": params, "cell": cell}
    out = run_case(sim, case)
    errors = check(sim, case, out)
    print(f"max relative error {max(errors):.2e}")
    assert max(errors) < RTOL, errors
    if sim == "pyNN.neuron":
        assert out["target"] == ("SALExpSyn" if cell == "IF_cond_exp" else "AlphaSyn")
    w = np.asarray(out["weights"])
    assert np.ptp(w) > 1e-4  # the weights moved
    if cell == "IF_cond_exp":  # the pattern drives this cell's weights to a bound
        assert np.any(w == params["w_min"]) or np.any(w == params["w_max"])


@pytest.mark.parametrize("connector", ["pynn", "salbench"])
@pytest.mark.parametrize("sim", SIMS)
def test_connection_made_mid_run_pairs_its_own_spikes(sim: str, connector: str) -> None:
    """A SAL projection made after its sources have spiked (between two runs, onto the same
    post cell as one made at the start, with the same synapse type): each of its synapses
    pairs only the pre spikes it carried, its first pairing with the post cell's last spike
    before it (as any new synapse's), while the first projection's synapses go on as
    before. (NEURON runs the INITIAL block of the NetCons that exist at the start only: a
    later NetCon's zeroed state read as a pre spike at t = 0, a causal pair 1e-7 of the
    weight off; salbench.plasticity.neuron.start_mid_run sets it.) The late projection is
    made with PyNN's all-to-all connector and with salbench's dense one, whose NEURON path
    makes its NetCons by a HOC loop (connect_all) and sets their state itself."""
    readouts = [100.0, 200.0, 300.0, 400.0]
    pre, drive = spike_pattern(5, readouts)
    connect_at = 150.0
    assert all(not np.any(np.abs(np.asarray(t) - connect_at) < 2.0) for t in pre)
    params = dict(weight=0.004, delay=1.0, tau=10.0, eta=0.0008, a_causal=1.2,
                  a_acausal=0.9, w_min=0.0, w_max=0.01)
    case = {"pre": pre, "drive": drive, "readouts": readouts, "params": params,
            "connect_at": connect_at, "late_connector": connector}
    out = run_case(sim, case)
    errors = check(sim, case, out)  # the first projection
    late_readouts = [r for r in readouts if r > connect_at]
    assert len(out["late_weights"]) == len(late_readouts)
    for i, train in enumerate(out["pre"]):
        own = [t for t in train if t > connect_at]
        assert len(own) < len(train)  # the source spiked before the synapse existed
        times, traj = sal_trajectory(own, out["post"], w0=params["weight"], tau=params["tau"],
                                     eta=params["eta"], a_causal=params["a_causal"],
                                     a_acausal=params["a_acausal"], w_min=params["w_min"],
                                     w_max=params["w_max"])
        assert len(times) > 5
        for t, read in zip(late_readouts, out["late_weights"], strict=True):
            ref = weight_at(times, traj, t, params["weight"], _lag(sim, params["delay"]))
            errors.append(abs(read[i] - ref) / abs(ref))
    print(f"max relative error {max(errors):.2e}")
    assert max(errors) < RTOL, errors
    # the two projections' synapses of one pre cell differ (the first paired earlier spikes)
    assert np.all(np.abs(np.subtract(out["weights"][-1], out["late_weights"][-1])) > 1e-6)


#: pre spikes placed at a post spike's time plus these (ms): a tie, one step before and
#: after, and off the grid within the step before and after (NEST: a pre at t_post - 0.05 is
#: stamped t_post, in the post's step, but must leave that post to the next pre spike, as the
#: lazy reference does; a pre at t_post + 0.05 is stamped t_post + 0.1 and reads that post
#: before itself)
OFFSETS = (0.0, -0.1, 0.1, -0.05, 0.05)


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("delay", [0.1, 1.5])
def test_ties_and_neighbours_match_reference(sim: str, delay: float) -> None:
    """Pre spikes exactly at post spikes (emission times), and within a step before and
    after: a first run finds the post spikes, the second puts one pre train per offset on
    them; the patterns must be there and match."""
    readouts = [150.0, 300.0]
    _, drive = spike_pattern(5, readouts)
    # weak SAL synapses (a tenth of test_weights_match_reference's): five pre trains at the
    # post spikes must not move those post spikes
    params = dict(weight=0.0003, delay=delay, tau=7.0, eta=0.00005, a_causal=1.5,
                  a_acausal=0.6, w_min=0.0001, w_max=0.001)
    first = run_case(sim, {"pre": [[]], "drive": drive, "readouts": readouts,
                           "params": {**params, "eta": 0.0}})
    posts = np.asarray(first["post"])
    # keep 2 ms from a read-out, and the posts used 3 ms apart (clear nearest neighbours)
    posts = posts[~_near(posts, readouts) & ~_near(posts + 1.0, readouts)
                  & ~_near(posts - 1.0, readouts)]
    posts = posts[np.concatenate([[True], np.diff(posts) > 3.0])][::2]
    pre = [np.round(posts + off, 2).tolist() for off in OFFSETS]
    case = {"pre": pre, "drive": drive, "readouts": readouts, "params": params}
    out = run_case(sim, case)
    if sim == "pyNN.neuron":  # one a_causal, a_acausal and delay for all synapses
        assert out["target"] == "SALExpSynHom"
    post = np.asarray(out["post"])
    for off, train in zip(OFFSETS, out["pre"], strict=True):
        hits = np.sum(np.abs(np.subtract.outer(np.asarray(train) - off, post)) < 1e-6)
        assert hits >= 3, f"offset {off}: the SAL weights changed the post spikes"
    errors = check(sim, case, out)
    print(f"max relative error {max(errors):.2e}")
    assert max(errors) < RTOL, errors


@pytest.mark.parametrize("sim", SIMS)
def test_reciprocal_sum_is_conserved(sim: str) -> None:
    """SAL's antisymmetry on the simulators: A <-> B with SAL both ways, equal amplitudes,
    delay 1 ms, no clipping. A pair with A before B by dt changes w_AB by -K(dt) and w_BA by
    +K(dt), so w_AB + w_BA is constant once both synapses applied the pair (lazily, at their
    next pre spike). Each read-out follows a pulse that fires A and B in the same step, which
    applies every pending pair (a tie adds K(0)/2 (a_a - a_c) = 0); in between, the cells
    fire from their own drives. (Pairing t_pre with t_post + d, as NEST's STDP synapses do,
    makes the sum drift: see the header of models/salbench_sal_synapse.cpp.)"""
    rng = np.random.default_rng(11)
    readouts = [102.0, 202.0, 302.0, 402.0]
    # the pulse's spikes are processed one delay (1 ms) after them on NEURON
    pulses = [r - 2.0 for r in readouts]

    def drive() -> list[float]:
        t = np.unique(np.round(rng.uniform(1, readouts[-1] - 5, 50), 1))
        # no own drive within 25 ms before a pulse (a drive spike makes its cell fire a burst
        # over ~15 ms): neither cell is refractory at the pulse
        return t[~np.any([(t > p - 25.0) & (t < p + 1.0) for p in pulses], axis=0)].tolist()

    params = dict(weight=0.02, delay=1.0, tau=10.0, eta=0.001, a_causal=1.0, a_acausal=1.0,
                  w_min=0.0, w_max=0.1)
    out = run_case(sim, {"reciprocal": True, "drives": [drive(), drive()], "pulses": pulses,
                         "readouts": readouts, "params": params})
    a, b = (np.asarray(s) for s in out["spikes"])
    for p in pulses:  # the pulses fired both cells at the same time
        assert np.any(np.abs(a - p) < 1.0) and np.any(np.abs(b - p) < 1.0)
        assert np.abs(a[np.abs(a - p) < 1.0] - b[np.abs(b - p) < 1.0]).max() < 1e-6
    assert len(a) > 20 and len(b) > 20
    w = np.asarray(out["weights"])
    total = w.sum(axis=1)
    rel = np.abs(total - 2 * params["weight"]) / (2 * params["weight"])
    print(f"w_AB, w_BA at the read-outs {w.tolist()}; max relative change of the sum "
          f"{rel.max():.2e}")
    assert rel.max() < RTOL, rel
    # the weights did move: by over 1 % of w0, 1e7 times the sum's tolerance
    assert np.abs(w[:, 0] - params["weight"]).max() > 0.01 * params["weight"]
    # and the reference agrees with each synapse (emission-time pairing)
    for k, (pre, post) in enumerate([(a, b), (b, a)]):
        times, traj = sal_trajectory(pre, post, w0=params["weight"], tau=params["tau"],
                                     eta=params["eta"], w_min=params["w_min"],
                                     w_max=params["w_max"])
        for t, read in zip(readouts, w[:, k], strict=True):
            assert read == pytest.approx(
                weight_at(times, traj, t, params["weight"], _lag(sim, params["delay"])),
                rel=RTOL)


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("a_causal", [1.0, [[1.0], [1.3]]], ids=["shared", "per-synapse"])
def test_pre_silent_through_a_long_post_train(sim: str, a_causal: Any) -> None:
    """A pre cell silent while its post cell fires over 64 times (NEURON's SALExpSyn keeps
    only the last 64 post spikes: a flush must settle the one causal pair of the first post
    after the pre, and hold it until the next pre, as NEST does), beside a pre that keeps
    spiking. Both weights match the reference at every read-out. Amplitudes shared by the
    projection (NEST: salbench_sal_synapse_hom, NEURON: SALExpSynHom) or per synapse."""
    readouts = [300.0, 500.0, 700.0]
    drive = np.round(np.arange(8.0, 640.0, 7.0), 1).tolist()
    steady = np.round(np.arange(3.05, 690.0, 23.0), 2)
    pre = [[5.0, 650.0], steady[~_near(steady, readouts)].tolist()]
    params = dict(weight=0.004, delay=1.0, tau=20.0, eta=0.0008, a_causal=a_causal,
                  a_acausal=0.7, w_min=0.0, w_max=0.01)
    out = run_case(sim, {"pre": pre, "drive": drive, "readouts": readouts, "params": params})
    if sim == "pyNN.neuron":
        assert out["target"] == ("SALExpSynHom" if a_causal == 1.0 else "SALExpSyn")
    amplitudes = np.broadcast_to(np.ravel(a_causal), (2,))
    post = np.asarray(out["post"])
    assert np.sum((post > 5.0) & (post < 650.0)) > 64  # the history overflowed
    first = post[post > 5.0][0]
    for i, train in enumerate(out["pre"]):
        times, traj = sal_trajectory(train, post, w0=params["weight"], tau=params["tau"],
                                     eta=params["eta"], a_causal=float(amplitudes[i]),
                                     a_acausal=params["a_acausal"], w_min=params["w_min"],
                                     w_max=params["w_max"])
        for t, read in zip(readouts, out["weights"], strict=True):
            ref = weight_at(times, traj, t, params["weight"], _lag(sim, params["delay"]))
            assert read[i] == pytest.approx(ref, rel=RTOL), (i, t)
    # the silent pre's causal pair (the first post after it, applied at its next pre) is in
    # there: without it the weight at the last read-out would be another
    w_silent = np.asarray(out["weights"])[:, 0]
    assert w_silent[0] == w_silent[1] == params["weight"]
    times, traj = sal_trajectory(out["pre"][0], post, w0=params["weight"], tau=params["tau"],
                                 eta=params["eta"], a_causal=0.0, a_acausal=params["a_acausal"],
                                 w_min=params["w_min"], w_max=params["w_max"])
    without = weight_at(times, traj, readouts[-1], params["weight"], _lag(sim, params["delay"]))
    causal = params["eta"] * amplitudes[0] * math.exp(-(first - 5.0) / params["tau"])
    assert without - w_silent[2] == pytest.approx(causal, rel=1e-6)


INHIBITORY_SCRIPT = """
from salbench.plasticity import sal_synapse
import pyNN.nest as sim
sim.setup(timestep=0.1, min_delay=0.1)
syn = sal_synapse(sim, weight=0.004, delay=0.1, w_min=0.0, w_max=0.012)
a = sim.Population(2, sim.IF_cond_exp())
b = sim.Population(1, sim.IF_cond_exp())
sim.Projection(a, b, sim.AllToAllConnector(), syn, receptor_type="inhibitory")
"""


@pytest.mark.skipif(find_spec("pyNN") is None or find_spec("nest") is None,
                    reason="pyNN.nest not installed")
def test_nest_refuses_inhibitory_sal_onto_conductances() -> None:
    """pyNN.nest negates inhibitory conductances, which would run SAL backwards: the
    synapse model refuses a weight outside [w_min, w_max] (checked against the model copy's
    common properties) instead of clipping it silently."""
    proc = run_python("-c", INHIBITORY_SCRIPT)
    assert proc.returncode != 0
    assert "weight outside [w_min, w_max]" in proc.stderr


GSYN_SCRIPT = """
import json
import numpy as np
from salbench.plasticity import sal_synapse
import pyNN.{module} as sim
sim.setup(timestep=0.1, min_delay=0.1)
syn = sal_synapse(sim, weight=0.004, delay=1.0, w_min=0.0, w_max=0.01)
pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
post = sim.Population(1, sim.IF_cond_exp(tau_syn_E=5.0))
sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=syn,
               receptor_type="excitatory")
post.record("gsyn_exc")
sim.run(30.0)
g = post.get_data().segments[0].filter(name="gsyn_exc")[0]
print(json.dumps({{"peak": float(np.max(g.magnitude)), "units": str(g.units)}}))
"""


@pytest.mark.parametrize("sim", SIMS)
def test_recorded_conductance_includes_sal(sim: str) -> None:
    """PyNN's gsyn_exc recording shows a SAL synapse's conductance: one pre spike of weight
    w onto an exponential synapse (tau_syn 5 ms), no post spike (so no pair: w stays), peaks
    at w when it arrives; the recording samples it within two steps of that, so at least
    w exp(-2 dt / tau_syn). On NEURON the SAL point process adds its weight to the cell's
    own ExpSyn, which PyNN records (it used to keep a conductance of its own: 0 recorded)."""
    proc = run_python("-c", GSYN_SCRIPT.format(module=sim.split(".")[1]))
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["units"] == "1.0 uS"
    w = 0.004
    assert w * math.exp(-2 * 0.1 / 5.0) <= out["peak"] <= w * (1 + 1e-9)


RECEPTOR_SCRIPT = """
import json
import nest
from salbench.plasticity.nest_build import SYNAPSE_MODEL, install_sal_module
nest.set_verbosity("M_ERROR")
install_sal_module(nest)
pre = nest.Create("spike_generator", params={"spike_times": [10.0]})
parrot = nest.Create("parrot_neuron")
post = nest.Create("iaf_psc_exp_multisynapse", params={"tau_syn": [2.0, 5.0, 8.0]})
meter = nest.Create("multimeter", params={"record_from": ["I_syn_1", "I_syn_2", "I_syn_3"],
                                          "interval": 0.1})
nest.Connect(pre, parrot)
nest.Connect(parrot, post, syn_spec={"synapse_model": SYNAPSE_MODEL, "receptor_type": 2,
                                     "weight": 50.0, "delay": 1.0})
nest.Connect(meter, post)
nest.Simulate(20.0)
conn = nest.GetConnections(synapse_model=SYNAPSE_MODEL)[0].get()
ev = meter.get("events")
peak = {k: max(abs(v) for v in ev[k]) for k in ("I_syn_1", "I_syn_2", "I_syn_3")}
print(json.dumps({"receptor": conn["receptor"], "target": conn["target"],
                  "post": post.global_id, "peak": peak}))
"""


@pytest.mark.skipif(find_spec("nest") is None, reason="nest not installed")
def test_nest_sal_keeps_the_receptor_port() -> None:
    """The SAL connection packs its target's thread-local index and its receptor port into 32
    bits (TargetIndexRport): onto a multisynapse cell the spike reaches the port it was
    connected to, and the connection reports that port and the target's node id."""
    proc = run_python("-c", RECEPTOR_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["receptor"] == 2
    assert out["target"] == out["post"]
    assert out["peak"]["I_syn_2"] > 1.0
    assert out["peak"]["I_syn_1"] == out["peak"]["I_syn_3"] == 0.0


TWO_TYPES_SCRIPT = """
import json
import nest
import pyNN.nest as sim
from salbench.plasticity import sal_synapse, set_eta
out = []
for round_ in range(2):  # a second setup() resets the kernel: the models are made again
    sim.setup(timestep=0.1, min_delay=0.1)
    fast = sal_synapse(sim, weight=0.004, delay=0.1, tau=10.0, eta=0.0004, w_min=0.0,
                       w_max=0.012)
    slow = sal_synapse(sim, weight=0.004, delay=0.1, tau=20.0, eta=0.0008, w_min=0.0,
                       w_max=0.012)
    a = sim.Population(2, sim.IF_cond_exp())
    b = sim.Population(2, sim.IF_cond_exp())
    p1 = sim.Projection(a, b, sim.AllToAllConnector(), fast, receptor_type="excitatory")
    p2 = sim.Projection(b, a, sim.AllToAllConnector(), slow, receptor_type="excitatory")
    p3 = sim.Projection(a, a, sim.OneToOneConnector(), fast, receptor_type="excitatory")
    per_synapse = sal_synapse(sim, weight=0.004, delay=0.1, tau=30.0, eta=0.0002, w_min=0.0,
                              w_max=0.012, a_causal=[[1.0, 2.0], [3.0, 4.0]])
    p4 = sim.Projection(b, b, sim.AllToAllConnector(), per_synapse,
                        receptor_type="excitatory")
    set_eta(p2, 0.0016)
    models = [p.nest_synapse_model for p in (p1, p2, p3, p4)]
    out.append({"models": models,
                "tau": [nest.GetDefaults(m, "tau") for m in models],
                "eta": [nest.GetDefaults(m, "eta") for m in models],
                "a_causal": sorted(p4.get("a_causal", format="list", with_address=False)),
                "sizeof": [nest.GetConnections(synapse_model=m)[0].get("sizeof")
                           for m in models],
                "n_models": len([m for m in nest.synapse_models if m.startswith("salbench")])})
print(json.dumps(out))
"""


@pytest.mark.skipif(find_spec("pyNN") is None or find_spec("nest") is None,
                    reason="pyNN.nest not installed")
def test_nest_synapse_types_keep_their_parameters() -> None:
    """tau, eta, w_min and w_max are common properties of a NEST model, and so are the
    amplitudes if one value each is given for all synapses: the first such SAL synapse type
    takes salbench's _hom model, a second one a copy, a projection reusing a type its model,
    a type with per-synapse amplitudes the per-synapse model (48 bytes a connection, not 32);
    each set_eta changes its own; after a kernel reset the same again."""
    proc = run_python("-c", TWO_TYPES_SCRIPT)
    assert proc.returncode == 0, proc.stderr
    for kernel in json.loads(proc.stdout.strip().splitlines()[-1]):
        first, second, again, per_synapse = kernel["models"]
        assert first == "salbench_sal_synapse_hom" and second not in (first, per_synapse)
        assert again == first and per_synapse == "salbench_sal_synapse"
        assert kernel["tau"] == [10.0, 20.0, 10.0, 30.0]
        assert kernel["eta"] == pytest.approx([0.4, 1.6, 0.4, 0.2])  # NEST units: nS
        assert kernel["a_causal"] == [1.0, 2.0, 3.0, 4.0]
        assert kernel["sizeof"] == [32, 32, 32, 48]
        assert kernel["n_models"] == 3


SHARED_SCRIPT = """
import json
import pyNN.neuron as sim
from salbench.plasticity import sal_synapse
sim.setup(timestep=0.1, min_delay=0.1)
a = sim.Population(2, sim.IF_cond_exp())
b = sim.Population(2, sim.IF_cond_exp())
out = {}
for name, a_causal in (("shared", 1.5), ("per_synapse", [[1.0, 2.0], [3.0, 4.0]])):
    syn = sal_synapse(sim, weight=0.004, delay=0.5, a_causal=a_causal, a_acausal=0.7,
                      w_min=0.0, w_max=0.01)
    prj = sim.Projection(a, b, sim.AllToAllConnector(), syn)
    conn = next(iter(prj.connections))
    entry = {"target": str(conn.nc.syn().hname()).split("[")[0],
             "weights": len(conn.nc.weight),
             "a_causal": sorted(prj.get("a_causal", format="list", with_address=False)),
             "delay": sorted(prj.get("delay", format="list", with_address=False))}
    prj.set(a_acausal=0.7, delay=0.5)  # the values it has: accepted
    for change in ({"a_causal": 2.5}, {"delay": 1.0}):
        try:
            prj.set(**change)
            entry[f"set {next(iter(change))}"] = "ok"
        except ValueError as err:
            entry[f"set {next(iter(change))}"] = str(err)
    entry["after"] = sorted(prj.get("a_causal", format="list", with_address=False))
    out[name] = entry
print("RESULT " + json.dumps(out))
"""


@pytest.mark.skipif(find_spec("pyNN") is None or find_spec("neuron") is None,
                    reason="pyNN.neuron not installed")
def test_neuron_shared_parameters_stay_shared() -> None:
    """A SAL projection with one a_causal, a_acausal and delay for all synapses gets
    SALExpSynHom, which keeps them per post cell and each NetCon's weight vector at the rule
    state (3 doubles, not 6): Projection.get reads them; setting one synapse's alone is
    refused with an error naming it, setting the value it has is accepted. Per-synapse
    amplitudes get SALExpSyn, where each synapse's can change."""
    proc = run_python("-c", SHARED_SCRIPT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])
    shared, per_synapse = out["shared"], out["per_synapse"]
    assert (shared["target"], shared["weights"]) == ("SALExpSynHom", 3)
    assert (per_synapse["target"], per_synapse["weights"]) == ("SALExpSyn", 6)
    assert shared["a_causal"] == [1.5] * 4 and shared["delay"] == [0.5] * 4
    assert per_synapse["a_causal"] == [1.0, 2.0, 3.0, 4.0]
    for name in ("a_causal", "delay"):
        assert f"{name} of this SAL projection is one value for all its synapses" in \
            shared[f"set {name}"]
    assert shared["after"] == [1.5] * 4  # the refused set changed nothing
    assert per_synapse["set a_causal"] == per_synapse["set delay"] == "ok"
    assert per_synapse["after"] == [2.5] * 4
