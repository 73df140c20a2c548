"""Online SAL on the bss2 emulation: the plasticity processor during the run, ADC clipping,
the ADC's per-column mismatch.

The exactness tests pin the chip's semantics (salbench/plasticity/bss2.py): on bss2-ideal
(exact sensors, no ADC, no quantisation) the weights after every processor execution equal an
event-driven reference computed from the spike steps alone (reference_trajectory), bit for
bit: nearest-neighbour pairs of strictly earlier partners, summed since the last read and
applied at the period boundaries.
"""

from __future__ import annotations

import numpy as np
import pytest

import salbench.simulators.bss2 as sim
from salbench.plasticity import sal_synapse
from salbench.plasticity.bss2 import reference_trajectory

DT = 0.1
TAU = 10.0
LSB = 0.0005
POST = dict(cm=0.2, tau_m=10.0, e_rev_E=0.0, e_rev_I=-100.0, v_thresh=-50.0, v_reset=-60.0,
            v_rest=-55.0, tau_refrac=TAU, tau_syn_E=5.0, tau_syn_I=5.0)
# pre trains: coincident source spikes (one sensor event), close pairs, long gaps
PRE = [[2.0, 15.0, 15.3, 30.0, 41.0, 55.5, 70.0, 70.0, 88.8, 120.0, 133.3, 150.0],
       [1.0, 7.2, 18.0, 19.0, 44.4, 46.0, 90.0, 111.1, 140.0, 141.0],
       [9.9, 10.0, 35.0, 64.0, 65.0, 99.0, 101.0, 126.0, 155.0]]
DRIVE = [5.0, 14.0, 33.0, 40.0, 60.0, 71.0, 85.0, 100.0, 118.0, 131.0, 147.0]


def _run(pre_trains, *, settings=None, profile="bss2-ideal", t_stop=160.0, chunks=(1.0,),
         period=10.0, eta=0.002, w0=0.01, a_causal=(1.0, 0.6, 1.3), a_acausal=(0.7, 1.0, 1.2),
         **synapse):
    sim.setup(timestep=DT, profile=profile, rng_seed=1, settings=settings)
    post = sim.Population(1, sim.IF_cond_exp(**POST))
    pre = sim.Population(len(pre_trains), sim.SpikeSourceArray(spike_times=pre_trains))
    drive = sim.Population(1, sim.SpikeSourceArray(spike_times=DRIVE))
    sim.Projection(drive, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.0315),
                   receptor_type="excitatory")
    # per-synapse amplitudes as PyNN takes arrays: (n_pre, n_post)
    synapse_type = sal_synapse(sim, weight=w0, tau=TAU, eta=eta,
                               a_causal=np.array(a_causal)[:, None],
                               a_acausal=np.array(a_acausal)[:, None], period=period,
                               observables=["weight"], **synapse)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type,
                         receptor_type="excitatory")
    post.record("spikes")
    for part in chunks:
        sim.run(part * t_stop)
    post_times = post.get_data().segments[0].spiketrains[0].magnitude
    data = synapse_type.plasticity_rule.get_data()
    return prj, post_times, data


def _reference(pre_trains, post_times, data, *, period=10.0, eta=0.002, w0=0.01,
               a_causal=(1.0, 0.6, 1.3), a_acausal=(0.7, 1.0, 1.2), w_min=0.0,
               w_max=63 * LSB, start=None, lsb=None):
    steps = round(period / DT)
    first = steps if start is None else round(start / DT)
    post_steps = np.rint(np.asarray(post_times) / DT)
    return np.stack([reference_trajectory(
        np.rint(np.asarray(train) / DT), post_steps, dt=DT, w0=w0, eta=eta, tau=TAU,
        a_causal=a_causal[k], a_acausal=a_acausal[k], w_min=w_min, w_max=w_max,
        start_step=first, period_step=steps, n_executions=len(data["t_ms"]), lsb=lsb)
        for k, train in enumerate(pre_trains)], axis=1)


def test_processor_runs_during_one_run_and_equals_the_event_driven_reference():
    prj, post, data = _run(PRE)
    assert len(post) >= 8                                   # the drive forces the post cell
    np.testing.assert_array_equal(data["t_ms"], np.arange(1, 17) * 10.0)  # 16 in one run()
    expected = _reference(PRE, post, data)
    np.testing.assert_array_equal(data["weight"], expected)                # exactly
    assert np.ptp(expected, axis=0).min() > 1e-4            # every synapse learnt something
    # get('weight') is what the chip holds, in uS (the connection order is the pre index)
    np.testing.assert_array_equal(prj.get("weight", format="array")[:, 0], expected[-1])
    assert sim.state.processor_executions == 16


def test_ties_are_not_paired_and_delays_do_not_change_the_pairing():
    # plastic weights of about one step barely move the post cell: the drive decides its
    # spikes, so pre trains built from them tie with them (the same step, one step either side)
    small = dict(w0=0.0005, eta=0.0002)
    results = {}
    for delay in (1.0, 0.0):                   # the ideal profile's 1 ms; 0: one time step
        settings = {"synaptic_delay_ms": delay}
        _, post, _ = _run(PRE, settings=settings, **small)
        ties = [list(post), list(post - DT), list(post + DT)]
        _, post_d, data = _run(ties, settings=settings, **small)
        assert np.isin(np.rint(post_d / DT), np.rint(post / DT)).sum() >= 5    # real ties
        np.testing.assert_array_equal(data["weight"], _reference(ties, post_d, data, **small))
        results[delay] = post_d
    # the delay moved the post spikes (the drive's PSPs start earlier), the rule still holds
    assert not np.array_equal(results[1.0], results[0.0])


def test_chunked_runs_equal_one_run_and_bounds_clip():
    # a large eta drives synapses into w_min / w_max: the clip is the reference's too
    kwargs = dict(eta=0.01, w_min=0.002, w_max=0.012)
    _, post1, one = _run(PRE, **kwargs)
    _, post2, chunked = _run(PRE, chunks=(0.3, 0.25, 0.45), **kwargs)
    np.testing.assert_array_equal(post1, post2)
    np.testing.assert_array_equal(one["weight"], chunked["weight"])
    expected = _reference(PRE, post1, one, eta=0.01, w_min=0.002, w_max=0.012)
    np.testing.assert_array_equal(one["weight"], expected)
    assert (expected == 0.002).any() or (expected == 0.012).any()


def test_quantised_weights_are_rounded_to_the_six_bit_grid():
    settings = {"quantise_weights": True, "processor_rounding": "nearest"}
    prj, post, data = _run(PRE, settings=settings, eta=0.004, period=5.0)
    expected = _reference(PRE, post, data, eta=0.004, period=5.0, lsb=LSB)
    np.testing.assert_array_equal(data["weight"], expected)
    codes = data["weight"] / LSB
    np.testing.assert_allclose(codes, np.rint(codes), atol=1e-9)
    assert len(np.unique(data["weight"])) > 3
    np.testing.assert_allclose(prj.get_integer_weights()[0], np.rint(expected[-1] / LSB))


def test_timer_start_and_num_periods():
    _, post, data = _run(PRE, start=25.0, num_periods=5)
    np.testing.assert_array_equal(data["t_ms"], [25.0, 35.0, 45.0, 55.0, 65.0])
    np.testing.assert_array_equal(data["weight"], _reference(PRE, post, data, start=25.0))


def test_unsupported_values_name_themselves():
    sim.setup(timestep=DT, profile="bss2-ideal")
    with pytest.raises(ValueError, match="window='triangular'"):
        sal_synapse(sim, window="triangular")
    with pytest.raises(ValueError, match="eta=-1"):
        sal_synapse(sim, eta=-1.0)
    with pytest.raises(ValueError, match="a_causal"):
        sal_synapse(sim, a_causal=[1.0, -0.5])
    with pytest.raises(ValueError, match="w_min=0.02 > w_max=0.01"):
        sal_synapse(sim, w_min=0.02, w_max=0.01)
    with pytest.raises(ValueError, match="unknown parameters \\['tau_plus'\\]"):
        sal_synapse(sim, tau_plus=20.0)
    with pytest.raises(ValueError, match="period=0"):
        sal_synapse(sim, period=0.0)
    post = sim.Population(2, sim.IF_cond_exp(**POST))              # tau_refrac 10 ms
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
    with pytest.raises(ValueError, match="tau=20 ms.*sensors"):
        sim.Projection(pre, post, sim.AllToAllConnector(), sal_synapse(sim, tau=20.0))
    with pytest.raises(ValueError, match="w_max=0.05 uS outside"):
        sim.Projection(pre, post, sim.AllToAllConnector(), sal_synapse(sim, tau=TAU,
                                                                        w_max=0.05))
    with pytest.raises(ValueError, match="delay 2 ms"):                 # HardwareLimitError
        sim.Projection(pre, post, sim.AllToAllConnector(), sal_synapse(sim, tau=TAU,
                                                                        delay=2.0))
    with pytest.raises(ValueError, match="0.25 ms is not a multiple of the time step"):
        sim.Projection(pre, post, sim.AllToAllConnector(), sal_synapse(sim, tau=TAU,
                                                                        period=0.25))


def test_per_synapse_amplitudes_from_a_random_distribution():
    sim.setup(timestep=DT, profile="bss2-ideal")
    post = sim.Population(3, sim.IF_cond_exp(**POST))
    pre = sim.Population(4, sim.SpikeSourceArray(spike_times=[[1.0]] * 4))
    amp = sim.RandomDistribution("uniform", (0.5, 1.5), rng=sim.NumpyRNG(3))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(),
                         sal_synapse(sim, tau=TAU, a_causal=amp, a_acausal=1.0))
    values = prj.get("a_causal", format="array")
    assert values.shape == (4, 3) and len(np.unique(values)) == 12
    assert np.all((values >= 0.5) & (values <= 1.5))
    np.testing.assert_array_equal(prj.program.params["a_causal"], prj.get("a_causal",
                                                                           format="list",
                                                                           with_address=False))


# -- the ADC: clipping is counted, offset and gain belong to the column ----------------------
def _saturating(profile="bss2", period=None, t_stop=2000.0):
    """Two synapses onto one post cell: pre 0 fires ~2 ms before every forced post spike (50
    Hz: a causal nearest-neighbour sum of ~100 pairs of K ~ 0.8, twice the ADC's ~41-unit full
    scale; the acausal pairs, ~18 ms apart, sum to ~16 and fit), pre 1 never fires (its
    sensors read the offset only)."""
    sim.setup(timestep=DT, profile=profile, rng_seed=2)
    post = sim.Population(1, sim.IF_cond_exp(**{**POST, "tau_refrac": TAU}))
    drive_t = np.arange(20.0, t_stop, 20.0)
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[list(drive_t - 0.5), []]))
    drive = sim.Population(1, sim.SpikeSourceArray(spike_times=list(drive_t)))
    sim.Projection(drive, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.0315),
                   receptor_type="excitatory")
    synapse = (sim.StaticSynapse(weight=0.001) if period is None else
               sal_synapse(sim, weight=0.001, tau=TAU, eta=0.0, period=period))
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), synapse,
                         receptor_type="excitatory")
    post.record("spikes")
    sim.run(t_stop)
    return prj, post


def test_clipped_readings_are_counted_per_read_and_in_total():
    prj, post = _saturating()
    assert len(post.get_data().segments[0].spiketrains[0]) >= 95
    causal, acausal = prj.read_correlations()
    top = (sim.state.config.max_adc_code - sim.state.config.adc_offset_codes) / 6.0
    assert causal[0, 0] == top                                   # saturated
    assert 8.0 < acausal[0, 0] < top - 5                         # fits
    assert causal[0, 1] < 1.0 and acausal[0, 1] < 1.0            # the silent synapse
    read = prj.last_adc_read
    assert (read.readings, read.clipped_causal, read.clipped_acausal) == (4, 1, 0)
    assert (prj.adc.readings, prj.adc.clipped, prj.adc.clipped_high) == (4, 1, 1)
    assert sim.state.adc_clipped == 1 and sim.state.adc_readings == 4
    prj.read_correlations()                                      # cleared: nothing clips
    assert prj.last_adc_read.clipped == 0 and prj.adc.clipped == 1 and prj.adc.reads == 2


def test_online_processor_counts_its_clipped_readings():
    prj, _ = _saturating(period=2000.0)             # one read of 2 s of pairs: clips
    assert prj.program.executions == 1
    assert prj.adc.clipped == 1 and prj.program.adc is prj.adc
    prj, _ = _saturating(period=10.0)               # a read every 10 ms: never clips
    assert prj.program.executions == 200 and prj.adc.readings == 800
    assert prj.adc.clipped == 0


def test_ideal_profile_never_clips():
    prj, _ = _saturating(profile="bss2-ideal")
    causal, _ = prj.read_correlations()
    assert causal[0, 0] > 60                           # exact: beyond what the ADC could show
    assert prj.adc.clipped == 0 and prj.adc.readings == 4


def test_adc_offset_and_gain_are_shared_along_a_column():
    # no spikes: every sensor is 0, so a reading is the column's offset error alone
    sim.setup(timestep=DT, profile="bss2", rng_seed=3, settings={"adc_read_noise_codes": 0.0,
                                                                 "adc_offset_spread_codes": 3.0})
    post = sim.Population(12, sim.IF_cond_exp(**{**POST, "v_rest": -70.0}))
    pre = sim.Population(5, sim.SpikeSourceArray(spike_times=[[]] * 5))
    a = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001),
                       receptor_type="excitatory")
    b = sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001),
                       receptor_type="inhibitory")         # another group, the same columns
    sim.run(10.0)
    chip = sim.state.chip
    slots = chip.neuron_slots(np.asarray(post.all_cells))
    mismatch = chip.adc_column_mismatch(slots)
    expected = (np.clip(np.rint(8.0 + mismatch["c_off"]), 0, 255) - 8.0) / 6.0
    for prj in (a, b):
        causal, acausal = prj.read_correlations()         # (n_post, n_pre)
        assert np.all(causal == causal[:, :1])             # one value along each column
        np.testing.assert_array_equal(causal[:, 0], expected)
        assert np.all(acausal == acausal[:, :1])
    assert len(np.unique(expected)) >= 4                   # and the columns differ
    assert len(np.unique(mismatch["c_gain"])) == 12 and np.ptp(mismatch["c_gain"]) > 0
    # causal and acausal are separate channels of the column
    assert not np.array_equal(mismatch["c_off"], mismatch["a_off"])
