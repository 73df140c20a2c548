"""Correlation sensors: exact on bss2-ideal, noisy but strongly correlated on bss2."""

from __future__ import annotations

import numpy as np
import pytest

import salbench.simulators.bss2 as sim
from salbench.simulators.bss2.plasticity import exact_correlations, nearest_neighbour_sums

TAU_REF = 10.0


def _network(profile, seed=5, t_stop=2000.0):
    sim.setup(timestep=0.1, profile=profile, rng_seed=seed)
    cells = sim.Population(8, sim.IF_cond_exp(
        cm=0.2, tau_m=1.0, e_rev_E=0.0, e_rev_I=-100.0, v_thresh=-50.0, v_reset=-53.0,
        v_rest=-54.0, tau_refrac=TAU_REF, tau_syn_E=TAU_REF, tau_syn_I=TAU_REF))
    exc = sim.Population(8, sim.SpikeSourcePoisson(rate=3000.0))
    inh = sim.Population(8, sim.SpikeSourcePoisson(rate=3000.0))
    sim.Projection(exc, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="excitatory")
    sim.Projection(inh, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="inhibitory")
    inputs = sim.Population(10, sim.SpikeSourcePoisson(rate=20.0))
    ff = sim.Projection(inputs, cells, sim.FixedProbabilityConnector(0.6, rng=sim.NumpyRNG(3)),
                        sim.StaticSynapse(weight=0.004), receptor_type="excitatory")
    rec = sim.Projection(cells, cells, sim.AllToAllConnector(allow_self_connections=False),
                         sim.StaticSynapse(weight=0.001), receptor_type="excitatory")
    cells.record("spikes")
    inputs.record("spikes")
    sim.run(t_stop / 2)
    sim.run(t_stop / 2)                          # sensors integrate across run() calls
    trains = {p.label: [np.asarray(s.magnitude) for s in p.get_data().segments[0].spiketrains]
              for p in (cells, inputs)}
    return ff, rec, trains[inputs.label], trains[cells.label]


def _exact_for(prj, pre_trains, post_trains):
    causal, acausal = exact_correlations(pre_trains, post_trains, TAU_REF)
    mask = np.isnan(prj.get("weight", format="array").T)
    causal[mask] = np.nan
    acausal[mask] = np.nan
    return causal, acausal


def test_nearest_neighbour_rule_by_hand():
    pre = np.array([1.0, 3.0, 4.0, 10.0])
    post = np.array([5.0, 6.0, 12.0])
    tau = 2.0
    # causal: post 5 <- pre 4; post 6: last pre 4 is before post 5 -> none; post 12 <- pre 10
    # acausal: pre 10 <- post 6 (after pre 4); pre 1, 3, 4: no earlier post
    causal, acausal = nearest_neighbour_sums(pre, post, tau)
    assert causal == pytest.approx(np.exp(-1 / tau) + np.exp(-2 / tau))
    assert acausal == pytest.approx(np.exp(-4 / tau))


def test_ideal_sensors_equal_exact_rule():
    ff, rec, inp, out = _network("bss2-ideal")
    assert min(len(t) for t in out) > 10
    for prj, pre in ((ff, inp), (rec, out)):
        causal, acausal = prj.read_correlations()
        exact_c, exact_a = _exact_for(prj, pre, out)
        assert causal.shape == (prj.post.size, prj.pre.size)
        np.testing.assert_array_equal(np.isnan(causal), np.isnan(exact_c))
        np.testing.assert_allclose(causal, exact_c, rtol=1e-9, atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(acausal, exact_a, rtol=1e-9, atol=1e-12, equal_nan=True)
        assert np.nansum(causal) > 1.0 and np.nansum(acausal) > 1.0
    # reset=True cleared the sensors
    causal, acausal = rec.read_correlations()
    assert np.nansum(causal) == 0 and np.nansum(acausal) == 0


def test_hardware_sensors_deviate_but_correlate():
    ff, rec, inp, out = _network("bss2")
    for prj, pre in ((ff, inp), (rec, out)):
        causal, acausal = prj.read_correlations(reset=False)
        exact_c, exact_a = _exact_for(prj, pre, out)
        for measured, exact in ((causal, exact_c), (acausal, exact_a)):
            ok = ~np.isnan(exact)
            r = np.corrcoef(measured[ok], exact[ok])[0, 1]
            deviation = np.abs(measured[ok] - exact[ok]).mean()
            print(f"{prj.label}: r = {r:.3f}, mean |deviation| = {deviation:.3f}")
            assert r > 0.9
            assert deviation > 1e-3
        again, _ = prj.read_correlations(reset=False)      # read noise: a fresh draw per read
        assert not np.array_equal(again, causal)


def test_adc_codes_convert_back_with_nominal_gain():
    from salbench.simulators.bss2.hardware import HardwareConfig
    from salbench.simulators.bss2.plasticity import adc_read

    cfg = HardwareConfig.from_settings({"adc_read_noise_codes": 0.0})
    values = np.array([0.0, 1.0, 2.5, 1000.0])
    read = adc_read(values, np.zeros(4), np.zeros(4), cfg, np.random.default_rng(0))
    step = 1.0 / cfg.adc_codes_per_unit
    assert np.all(np.abs(read[:3] - values[:3]) <= step / 2 + 1e-12)
    assert read[3] == pytest.approx((cfg.max_adc_code - cfg.adc_offset_codes) * step)
