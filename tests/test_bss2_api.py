"""PyNN API of the bss2 backend: get/set, initialize, recording, reproducibility, hardware model."""

from __future__ import annotations

import numpy as np
import pytest

import salbench.simulators.bss2 as sim


def _net(profile="bss2-ideal", seed=3, **setup):
    sim.setup(timestep=0.1, profile=profile, rng_seed=seed, **setup)
    cells = sim.Population(6, sim.IF_cond_exp(tau_refrac=2.0, v_thresh=-55.0))
    noise = sim.Population(6, sim.SpikeSourcePoisson(rate=2000.0))
    prj = sim.Projection(noise, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.002))
    cells.record(["spikes", "v", "gsyn_exc"])
    return cells, noise, prj


def _spikes(pop):
    return [np.asarray(s.magnitude) for s in pop.get_data().segments[-1].spiketrains]


def test_weights_get_set_array_and_list():
    cells, noise, prj = _net()
    w = prj.get("weight", format="array")
    assert w.shape == (6, 6)
    np.testing.assert_allclose(np.diag(w), 0.002)
    assert np.isnan(w[0, 1])
    new = np.where(np.isnan(w), np.nan, np.arange(36).reshape(6, 6) * 1e-4)
    prj.set(weight=new)
    np.testing.assert_allclose(prj.get("weight", format="array"), new)
    prj.set(weight=0.003)
    assert prj.get("weight", format="list", with_address=False) == [0.003] * 6
    assert len(prj) == 6
    # the chip's one delay: bss2-ideal's synaptic_delay_ms (NEST's 1 ms)
    assert prj.get(["weight", "delay"], format="list")[0] == (0, 0, 0.003, 1.0)


def test_quantised_weights_and_integer_interface():
    sim.setup(profile="bss2", rng_seed=1)
    a = sim.Population(3, sim.SpikeSourcePoisson(rate=10.0))
    b = sim.Population(2, sim.IF_cond_exp())
    prj = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.0012))
    lsb = sim.state.config.weight_lsb_uS
    np.testing.assert_allclose(prj.get("weight", format="array"), 2 * lsb)   # rounded
    codes = prj.get_integer_weights()
    assert codes.shape == (2, 3) and np.all(codes == 2)
    prj.set_integer_weights(np.array([[0, 1, 63], [5, 6, 7]]))
    np.testing.assert_array_equal(prj.get_integer_weights(), [[0, 1, 63], [5, 6, 7]])
    np.testing.assert_allclose(prj.get("weight", format="array"),
                               np.array([[0, 1, 63], [5, 6, 7]]).T * lsb)
    inh = sim.Population(2, sim.IF_curr_exp())
    neg = sim.Projection(a, inh, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.1),
                         receptor_type="inhibitory")
    assert np.all(neg.get_integer_weights() == 5)
    assert np.all(neg.get("weight", format="array") < 0)


def test_population_set_get_and_initialize():
    cells, _, _ = _net()
    cells.set(v_rest=-60.0)
    assert cells.get("v_rest") == -60.0
    cells[1:3].set(tau_m=[5.0, 6.0])
    np.testing.assert_allclose(cells.get("tau_m"), [20.0, 5.0, 6.0, 20.0, 20.0, 20.0])
    cells.initialize(v=np.linspace(-70.0, -60.0, 6))
    sim.run(0.2)
    v = cells.get_data().segments[0].filter(name="v")[0]
    np.testing.assert_allclose(v.magnitude[0], np.linspace(-70.0, -60.0, 6))


def test_v_rest_change_takes_effect():
    cells, _, _ = _net()
    sim.run(500.0)
    before = sum(cells.get_spike_counts().values())
    cells.set(v_rest=-50.0)
    sim.run(500.0)
    after = sum(cells.get_spike_counts().values()) - before
    assert after > before + 10


def test_chunked_run_equals_one_run_and_reset_replays():
    cells, _, _ = _net(seed=9)
    sim.run(300.0)
    one = _spikes(cells)
    cells, _, _ = _net(seed=9)
    for _ in range(3):
        sim.run(100.0)
    chunked = _spikes(cells)
    for a, b in zip(one, chunked, strict=True):
        np.testing.assert_array_equal(a, b)
    assert sum(len(s) for s in one) > 10
    sim.reset()
    assert sim.get_current_time() == 0.0
    sim.run(300.0)
    block = cells.get_data()
    assert len(block.segments) == 2


def test_analog_recording_shapes():
    cells, _, _ = _net()
    sim.run(100.0)
    seg = cells.get_data().segments[0]
    v = seg.filter(name="v")[0]
    g = seg.filter(name="gsyn_exc")[0]
    assert v.shape == (1001, 6) and g.shape == (1001, 6)   # t = 0 .. t_stop, as PyNN
    assert float(v.sampling_period.magnitude) == pytest.approx(0.1)
    assert np.all(g.magnitude >= 0) and g.magnitude.max() > 0


def test_fixed_pattern_noise_depends_on_chip_seed_only():
    rates = {}
    for profile, chip_seed in (("bss2-ideal", 1), ("bss2-uncalibrated", 1),
                               ("bss2-uncalibrated", 2)):
        cells, _, _ = _net(profile=profile, seed=4, chip_seed=chip_seed)
        sim.run(1000.0)
        rates[(profile, chip_seed)] = np.array(list(cells.get_spike_counts().values()))
    assert not np.array_equal(rates[("bss2-ideal", 1)], rates[("bss2-uncalibrated", 1)])
    assert not np.array_equal(rates[("bss2-uncalibrated", 1)], rates[("bss2-uncalibrated", 2)])


def test_hardware_time_accounting():
    cells, _, prj = _net(profile="bss2")
    cfg = sim.state.config
    sim.run(1000.0)
    sim.run(1000.0)
    prj.read_correlations()
    prj.set_integer_weights(prj.get_integer_weights().clip(0))
    expected = 2.0 / cfg.acceleration + 2 * cfg.run_overhead_s + 2 * cfg.update_overhead_s
    assert sim.state.hardware_time_s == pytest.approx(expected)
    assert sim.get_hardware_time() == sim.state.hardware_time_s
    assert sim.state.wall_time_s > 0


def test_settings_override_and_env_profile(monkeypatch):
    sim.setup(profile="bss2", settings={"max_neurons": 4})
    with pytest.raises(sim.HardwareLimitError, match="max_neurons=4"):
        sim.Population(5, sim.IF_cond_exp())
    monkeypatch.setenv(sim.PROFILE_ENV, "bss2-ideal")
    sim.setup()
    assert sim.state.config.adc_enabled is False


@pytest.mark.parametrize("profile,delay", [("bss2", 0.1), ("bss2-ideal", 1.0)])
def test_a_spike_acts_after_the_chips_one_delay(profile, delay):
    """A source spike at 10 ms raises the conductance from 10 ms + the delay on (the chip's
    own: one step; bss2-ideal: NEST's 1 ms, synaptic_delay_ms), also when the run is cut while
    the spike is in flight."""
    for chunks in ([20.0], [10.3, 9.7]):
        sim.setup(timestep=0.1, profile=profile)
        assert sim.get_min_delay() == pytest.approx(delay)
        src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
        cell = sim.Population(1, sim.IF_cond_exp(v_thresh=0.0))
        sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
        cell.record("gsyn_exc")
        for chunk in chunks:
            sim.run(chunk)
        g = cell.get_data().segments[0].analogsignals[0]
        onset = g.times.magnitude[np.argmax(np.asarray(g.magnitude).ravel() > 0)]
        assert onset == pytest.approx(10.0 + delay), chunks
        sim.end()


def _last_step_network(profile):
    """Node 0: a silent neuron onto target 0; node 1: a neuron driven by its offset current
    onto target 1.  Returns (silent, driver, targets)."""
    sim.setup(timestep=0.1, profile=profile, rng_seed=5)
    silent = sim.Population(1, sim.IF_cond_exp(v_thresh=0.0), label="silent")
    driver = sim.Population(1, sim.IF_cond_exp(i_offset=2.0, tau_refrac=50.0), label="driver")
    targets = sim.Population(2, sim.IF_cond_exp(v_thresh=0.0), label="targets")
    sim.Projection(silent, targets[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    sim.Projection(driver, targets[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01))
    for pop in (silent, driver):
        pop.record("spikes")
    targets.record("gsyn_exc")
    return silent, driver, targets


@pytest.mark.parametrize("profile", ["bss2", "bss2-ideal"])
def test_a_spike_of_the_last_step_survives_adding_neurons(profile):
    """A neuron that crosses threshold in the last step of a run emits its spike at the next
    run's first step; creating neurons in between keeps it pending, from the right node (not
    from node 0)."""
    silent, driver, _ = _last_step_network(profile)
    sim.run(20.0)
    first = driver.get_data().segments[-1].spiketrains[0].magnitude[0]
    assert int(silent.all_cells[0]) == 0
    sim.end()
    stamp = int(round(first / 0.1))
    silent, driver, targets = _last_step_network(profile)
    sim.run(stamp * 0.1)                    # ends in the step in which the driver crosses
    # reported at t_stop (as pyNN.nest on the grid does), delivered from the next step on
    np.testing.assert_allclose(driver.get_data().segments[-1].spiketrains[0].magnitude, [first])
    assert sim.state.chip.pend_n[0] == 1    # its spike (stamp = t_stop) is pending
    sim.Population(3, sim.IF_cond_exp(), label="added after the run")
    sim.run(5.0 + sim.get_min_delay())
    seg = driver.get_data().segments[-1]
    np.testing.assert_allclose(seg.spiketrains[0].magnitude, [first])
    assert len(silent.get_data().segments[-1].spiketrains[0]) == 0
    g = np.asarray(targets.get_data().segments[-1].filter(name="gsyn_exc")[0].magnitude)
    assert np.all(g[:, 0] == 0.0)           # node 0's target received nothing
    onset = np.argmax(g[:, 1] > 0) * 0.1
    assert onset == pytest.approx(first + sim.get_min_delay())
    sim.end()
