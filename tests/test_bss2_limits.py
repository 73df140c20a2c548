"""Hardware limits of the bss2 emulation raise HardwareLimitError naming the limit."""

from __future__ import annotations

import numpy as np
import pytest

import salbench.simulators.bss2 as sim
from salbench.simulators.bss2 import HardwareConfig, HardwareLimitError, load_profile


@pytest.fixture(autouse=True)
def _setup():
    sim.setup(timestep=0.1, profile="bss2", rng_seed=1)
    yield
    sim.end()


def test_hardware_limit_error_is_value_error():
    assert issubclass(HardwareLimitError, ValueError)


def test_more_than_512_neurons():
    sim.Population(500, sim.IF_cond_exp())
    sim.Population(1000, sim.SpikeSourcePoisson(rate=5.0))      # sources do not count
    with pytest.raises(HardwareLimitError, match="max_neurons=512"):
        sim.Population(13, sim.IF_cond_exp())


def test_fan_in_above_256_rows():
    src = sim.Population(257, sim.SpikeSourcePoisson(rate=5.0))
    cells = sim.Population(2, sim.IF_cond_exp())
    with pytest.raises(HardwareLimitError, match="max_fan_in=256"):
        sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001))


def test_fan_in_counts_rows_over_projections_and_signs():
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=5.0))
    cells = sim.Population(2, sim.IF_cond_exp())
    sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="excitatory")
    sim.Projection(src[:56], cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="inhibitory")                   # exactly 256 rows: fine
    with pytest.raises(HardwareLimitError, match="fan-in"):
        sim.Projection(src[56:57], cells, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.001), receptor_type="inhibitory")


def test_non_default_delay():
    a = sim.Population(3, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(3, sim.IF_cond_exp())
    sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001, delay=0.1))
    with pytest.raises(HardwareLimitError, match="delay 1 ms"):
        sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001, delay=1.0))
    prj = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001))
    with pytest.raises(HardwareLimitError, match="delay"):
        prj.set(delay=2.0)


def test_non_default_min_delay():
    with pytest.raises(HardwareLimitError, match="min_delay"):
        sim.setup(timestep=0.1, min_delay=1.0)


@pytest.mark.parametrize("celltype,weight,unit", [(sim.IF_cond_exp, 0.05, "uS"),
                                                   (sim.IF_curr_exp, 2.0, "nA")])
def test_weight_beyond_range(celltype, weight, unit):
    cfg = load_profile("bss2")
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(2, celltype())
    top = cfg.max_weight_code * cfg.weight_lsb(unit == "uS")
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=top))
    with pytest.raises(HardwareLimitError, match=f"6-bit range.*weight_lsb_{unit}"):
        sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=weight))
    prj = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=top / 2))
    with pytest.raises(HardwareLimitError, match="6-bit range"):
        prj.set(weight=weight)


def test_weight_range_also_checked_on_ideal_profile():
    sim.setup(profile="bss2-ideal")
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(2, sim.IF_cond_exp())
    with pytest.raises(HardwareLimitError, match="range"):
        sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))


def test_integer_weights_out_of_range():
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(3, sim.IF_cond_exp())
    prj = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001))
    with pytest.raises(HardwareLimitError, match="0..63"):
        prj.set_integer_weights(np.full((3, 2), 64))
    with pytest.raises(HardwareLimitError, match="0..63"):
        prj.set_integer_weights(np.full((3, 2), -1))


def test_unsupported_features_name_themselves():
    with pytest.raises(NotImplementedError, match="bss2: STDPMechanism is not supported"):
        sim.STDPMechanism()
    with pytest.raises(NotImplementedError, match="IF_cond_alpha"):
        sim.IF_cond_alpha()
    with pytest.raises(NotImplementedError, match="DCSource"):
        sim.DCSource(amplitude=1.0)
    from pyNN.standardmodels.synapses import TsodyksMarkramSynapse

    a = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(2, sim.IF_cond_exp())
    with pytest.raises(NotImplementedError, match="TsodyksMarkramSynapse is not supported"):
        sim.Projection(a, b, sim.AllToAllConnector(), TsodyksMarkramSynapse(delay=0.1))


def test_settings_are_validated():
    with pytest.raises(ValueError, match="unknown hardware setting"):
        HardwareConfig.from_settings({"max_neuron": 3})
    with pytest.raises(ValueError, match="acceleration"):
        HardwareConfig.from_settings({"acceleration": 0})
    with pytest.raises(ValueError, match="integer"):
        HardwareConfig.from_settings({"max_neurons": 1.5})
    with pytest.raises(ValueError, match="sensor_tau_ms"):
        HardwareConfig.from_settings({"sensor_tau_ms": "tau_m"})


def test_profiles_load_and_differ_as_documented():
    cal, uncal, ideal = (load_profile(n) for n in ("bss2", "bss2-uncalibrated", "bss2-ideal"))
    assert cal == HardwareConfig()                  # field defaults = calibrated profile
    for name in ("fpn_v_rest_mV", "fpn_v_thresh_mV", "fpn_tau_m_rel", "fpn_cm_rel"):
        assert getattr(cal, name) == pytest.approx(0.3 * getattr(uncal, name))
    assert not ideal.quantise_weights and not ideal.adc_enabled
    for field, value in ideal.as_dict().items():
        if field.startswith("fpn_") and field != "fpn_clip_sigma" or "spread" in field \
                or "noise" in field:
            assert value == 0, field
    assert ideal.max_neurons == 512 and ideal.max_fan_in == 256 and ideal.weight_bits == 6
