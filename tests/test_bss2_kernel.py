"""The bss2 emulator's kernel (salbench.simulators.bss2.kernel) on its own, without PyNN:
event timing (a PSP starts after the chip's one delay), the refractory clamp, sensors against
the exact nearest-neighbour rule, chunked runs, reset, the fan-in limit, and the structured
records (one compiled engine for every network, loaded from numba's cache)."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from salbench.simulators.bss2.hardware import HardwareConfig, HardwareLimitError
from salbench.simulators.bss2.kernel import Chip, engine
from salbench.simulators.bss2.plasticity import exact_correlations

KERNEL = Path(__file__).resolve().parents[1] / "salbench" / "simulators" / "bss2" / "kernel"
H = 0.1
#: the ideal chip: no mismatch, noise, quantisation or ADC
IDEAL = dict(
    synapse_gain_spread=0.0, fpn_v_rest_mV=0.0, fpn_v_thresh_mV=0.0, fpn_v_reset_mV=0.0,
    fpn_e_rev_mV=0.0, fpn_tau_m_rel=0.0, fpn_tau_syn_rel=0.0, fpn_tau_refrac_rel=0.0,
    fpn_cm_rel=0.0, membrane_noise_mV_per_sqrt_ms=0.0, sensor_amp_spread=0.0,
    sensor_tau_spread=0.0, adc_enabled=False, adc_offset_spread_codes=0.0,
    adc_gain_spread=0.0, adc_read_noise_codes=0.0)
LIF = dict(v_rest=-65.0, cm=0.25, tau_m=10.0, tau_refrac=2.0, tau_syn_E=5.0, tau_syn_I=5.0,
           i_offset=0.0, v_reset=-70.0, v_thresh=-50.0)
COND = dict(LIF, e_rev_E=0.0, e_rev_I=-80.0)


def _chip(**hardware) -> Chip:
    return Chip(HardwareConfig.from_settings({**IDEAL, **hardware}), H, rng_seed=1)


def test_the_kernel_imports_no_pynn_and_no_shell_module():
    shell = {"populations", "projections", "recording", "simulator", "standardmodels", "noise"}
    for path in sorted(KERNEL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "pyNN", (path.name, name)
                assert name.split(".")[-1] not in shell, (path.name, name)


@pytest.mark.parametrize("delay_ms", [0.0, 0.5, 1.0])
def test_a_psp_starts_after_the_chips_one_delay(delay_ms):
    chip = _chip(synaptic_delay_ms=delay_ms)
    d = chip.delay_steps
    assert d == max(1, round(delay_ms / H))
    _, (slot,) = chip.create_neurons(1, LIF, conductance_based=False)
    (src,) = chip.create_spike_arrays([[1.0]])                    # stamp 10
    w = 0.5
    chip.connect([src], [slot], w, "excitatory")
    chip.record_analog([slot], "v", 1)
    chip.record_analog([slot], "ge", 1)
    chip.record_spikes([src])
    new = chip.run(100)
    np.testing.assert_array_equal(new.spike_node, [src])
    np.testing.assert_array_equal(new.spike_step, [10])
    v, ge = new.samples[:, 0], new.samples[:, 1]
    onset = 10 + d                      # the current acts from t_{10 + D} on
    assert np.all(ge[:onset] == 0.0) and ge[onset] == w
    decay = np.exp(-H / LIF["tau_syn_E"])
    np.testing.assert_allclose(ge[onset:onset + 20], w * decay ** np.arange(20), rtol=1e-12)
    assert np.all(v[:onset + 1] == LIF["v_rest"]) and v[onset + 1] > LIF["v_rest"]
    np.testing.assert_array_equal(chip.trace(slot, "v"), v)


def test_the_refractory_clamp_holds_v_reset_for_tau_refrac():
    chip = _chip()
    _, (slot,) = chip.create_neurons(1, dict(COND, i_offset=2.0), conductance_based=True)
    node = int(chip.neuron_node[slot])
    chip.record_spikes([node])
    chip.record_analog([slot], "v", 1)
    new = chip.run(600)
    stamps = new.spike_step
    assert stamps.size >= 5 and np.all(new.spike_node == node)
    ref = round(COND["tau_refrac"] / H)
    v = new.samples[:, 0]
    for s in stamps[stamps + ref + 1 < v.size]:
        assert np.all(v[s:s + ref + 1] == COND["v_reset"])         # clamped ref + 1 samples
        assert v[s + ref + 1] > COND["v_reset"]                   # then free again
    assert np.all(np.diff(stamps) > ref + 1)


def _sensor_network(chip: Chip):
    _, slots = chip.create_neurons(3, dict(COND, i_offset=0.3, tau_refrac=5.0),
                                   conductance_based=True)
    rng = np.random.default_rng(0)
    times = [np.sort(rng.uniform(0.0, 400.0, 40)).round(1) for _ in range(4)]
    sources = chip.create_spike_arrays(times)
    pre = np.repeat(sources, 3)
    post = np.tile(slots, 4)
    syn = chip.connect(pre, post, 0.004, "excitatory")
    nodes = np.concatenate([chip.neuron_node[slots], sources])
    chip.record_spikes(nodes)
    return slots, sources, pre, post, syn, nodes


def test_sensors_equal_the_exact_nearest_neighbour_rule():
    chip = _chip(sensor_tau_ms=5.0)
    slots, sources, pre, post, syn, nodes = _sensor_network(chip)
    chip.run(2000)
    spike_node, spike_step = chip.recorded_spikes()
    trains = {int(n): spike_step[spike_node == n] * H for n in nodes}
    post_trains = [trains[int(chip.neuron_node[s])] for s in slots]
    assert min(len(t) for t in post_trains) > 5
    causal, acausal = exact_correlations([trains[int(s)] for s in sources], post_trains, 5.0)
    read_c, read_a = chip.read_sensors(syn)
    col = np.searchsorted(sources, pre)
    np.testing.assert_allclose(read_c, causal[post, col], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(read_a, acausal[post, col], rtol=1e-9, atol=1e-12)
    assert read_c.sum() > 1.0 and read_a.sum() > 1.0
    again = chip.read_sensors(syn)                                 # read with reset cleared
    assert not np.any(again[0]) and not np.any(again[1])


def _noisy_network(chip: Chip):
    _, slots = chip.create_neurons(5, dict(COND, tau_m=1.0, cm=0.2, v_rest=-52.0),
                                   conductance_based=True)
    bg = chip.create_poisson_sources(np.full(5, 3000.0), 0.0, 1e10)
    chip.connect(bg, slots, 0.001, "excitatory")
    chip.connect(chip.neuron_node[slots], slots[::-1], 0.002, "inhibitory")
    chip.set_membrane_noise(slots, 0.5)
    chip.record_spikes(chip.neuron_node[slots])
    chip.record_analog(slots, "v", 2)
    return slots


def test_a_run_in_chunks_equals_one_run():
    whole = _chip(synaptic_delay_ms=0.3)
    parts = _chip(synaptic_delay_ms=0.3)
    for chip in (whole, parts):
        slots = _noisy_network(chip)
    whole.run(3001)
    for n in (1000, 1, 777, 1223):
        parts.run(n)
    for a, b in zip(whole.recorded_spikes(), parts.recorded_spikes(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert whole.recorded_spikes()[0].size > 20
    for slot in slots:
        np.testing.assert_array_equal(whole.trace(slot, "v"), parts.trace(slot, "v"))
    assert whole.trace(slots[0], "v").size == 1501


def test_reset_returns_to_the_initial_state_and_keeps_the_network():
    chip = _chip()
    slots = _noisy_network(chip)
    chip.initialize(slots, "v", np.linspace(-60.0, -56.0, 5))
    chip.run(500)
    assert chip.step == 500 and chip.recorded_spikes()[0].size
    chip.reset()
    assert chip.step == 0 and chip.recorded_spikes()[0].size == 0
    np.testing.assert_array_equal(chip.v, np.linspace(-60.0, -56.0, 5))
    assert not np.any(chip.ge) and not np.any(chip.gi) and not np.any(chip.refr)
    chip.run(500)                                   # the random streams continue
    assert chip.recorded_spikes()[0].size and chip.n_runs == 2


def test_connect_refuses_beyond_the_fan_in_limit_and_changes_nothing():
    chip = _chip(max_fan_in=4)
    _, slots = chip.create_neurons(2, LIF, conductance_based=False)
    src = chip.create_poisson_sources(np.full(3, 10.0), 0.0, 100.0)
    chip.connect(src, np.zeros(3, np.int64), 0.1, "excitatory")
    with pytest.raises(HardwareLimitError, match="'late' needs 5 synapse rows"):
        chip.connect(src[:2], np.zeros(2, np.int64), 0.1, "inhibitory", label="late")
    assert chip.n_synapses == 3 and chip.causal.size == 3
    # distinct (source, receptor) rows count, not synapses
    chip.connect(src[:1], np.zeros(1, np.int64), 0.2, "inhibitory")
    chip.connect(src, np.zeros(3, np.int64), 0.1, "excitatory")
    assert chip.n_synapses == 7


def test_parameters_weights_and_sources_round_trip():
    chip = _chip()
    nodes, slots = chip.create_neurons(3, dict(COND, tau_m=[5.0, 6.0, 7.0]),
                                       conductance_based=True)
    assert list(nodes) == [0, 1, 2] and list(slots) == [0, 1, 2]
    src = chip.create_poisson_sources([5.0, 6.0], [0.0, 1.0], [10.0, 20.0])
    arr = chip.create_spike_arrays([[3.0, 1.0], []])
    assert list(chip.neuron_slots(np.concatenate([src, arr, nodes]))) == [-1] * 4 + [0, 1, 2]
    chip.set_neuron_params(slots[1:], tau_m=9.0)
    np.testing.assert_array_equal(chip.neuron_params(slots, "tau_m")["tau_m"], [5.0, 9.0, 9.0])
    chip.set_poisson_params(src[1:], rate=50.0)
    np.testing.assert_array_equal(chip.poisson_params(src, "rate")["rate"], [5.0, 50.0])
    chip.set_spike_times(arr[1:], [[2.0]])
    assert [list(t) for t in chip.spike_times(arr)] == [[3.0, 1.0], [2.0]]
    syn = chip.connect(src, slots[:2], [0.01, 0.02], "excitatory")
    chip.set_weights(syn[1:], 0.03)
    np.testing.assert_array_equal(chip.weights(syn), [0.01, 0.03])
    with pytest.raises(ValueError, match="missing"):
        chip.create_neurons(1, LIF, conductance_based=True)     # no reversal potentials
    with pytest.raises(ValueError, match="not all nodes"):
        chip.set_poisson_params(arr, rate=1.0)
    with pytest.raises(ValueError, match="not a neuron"):
        chip.connect(src, [-1, 0], 0.01, "excitatory")


def test_every_network_runs_one_compiled_engine():
    """The packed records keep their numba types (dtype, dimension, layout) whatever the
    network: no recompilation for sources, delays, recordings or an empty chip."""
    _chip().run(10)
    for hardware in ({}, {"synaptic_delay_ms": 0.5}):
        chip = _chip(**hardware)
        _noisy_network(chip)
        chip.run(50)
        _sensor_network(chip)
        chip.run(50)
    assert len(engine.advance.signatures) == 1


_CACHE_PROBE = """
import numpy as np
from salbench.simulators.bss2.hardware import HardwareConfig
from salbench.simulators.bss2.kernel import Chip, engine
chip = Chip(HardwareConfig(), 0.1, 1)
chip.create_neurons(1, dict(v_rest=-65.0, cm=0.25, tau_m=10.0, tau_refrac=2.0,
    tau_syn_E=5.0, tau_syn_I=5.0, i_offset=0.0, v_reset=-70.0, v_thresh=-50.0,
    e_rev_E=0.0, e_rev_I=-80.0), conductance_based=True)
chip.run(10)
print(sum(engine.advance.stats.cache_hits.values()))
"""


def test_the_engine_is_loaded_from_numbas_cache():
    runs = [subprocess.run([sys.executable, "-c", _CACHE_PROBE], capture_output=True,
                           text=True, timeout=600, check=True) for _ in range(2)]
    assert int(runs[1].stdout.split()[-1]) == 1, runs[1].stderr


def test_psc_propagator_is_safe_at_equal_time_constants():
    p = engine.psc_propagators(H, [5.0, 5.0 + 1e-12], [5.0, 5.0], [0.25, 0.25])
    assert p[0] == pytest.approx(H / 0.25 * math.exp(-H / 5.0))
    assert p[1] == pytest.approx(p[0], rel=1e-6)
