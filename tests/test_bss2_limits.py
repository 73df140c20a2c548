"""Hardware limits of the bss2 emulation raise HardwareLimitError naming the limit, through
the PyNN module and, for a network too large for the chip, through the CLI before any run."""

from __future__ import annotations

import numpy as np
import pytest
from pyNN import errors as pynn_errors

import salbench.simulators.bss2 as sim
from salbench.simulators.bss2 import HardwareConfig, HardwareLimitError, load_profile


@pytest.fixture(autouse=True)
def _setup():
    sim.setup(timestep=0.1, profile="bss2", rng_seed=1)
    yield
    sim.end()


def test_more_than_512_neurons():
    sim.Population(500, sim.IF_cond_exp())
    sim.Population(1000, sim.SpikeSourcePoisson(rate=5.0))      # sources do not count
    with pytest.raises(HardwareLimitError,
                       match=r"513 neurons exceed the chip limit of max_neurons=512") as err:
        sim.Population(13, sim.IF_cond_exp())
    assert isinstance(err.value, ValueError)  # a PyNN script catching ValueError catches it
    # the refused population took no neuron circuits: the chip fills up to exactly 512
    sim.Population(12, sim.IF_cond_exp())
    assert sim.simulator.state.n_neurons == 512


def test_fan_in_above_256_rows():
    src = sim.Population(257, sim.SpikeSourcePoisson(rate=5.0))
    cells = sim.Population(2, sim.IF_cond_exp())
    with pytest.raises(HardwareLimitError,
                       match=r"needs 257 synapse rows, more than the fan-in limit max_fan_in=256"):
        sim.Projection(src, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.001))
    # the refused projection took no rows: 256 of the same sources still fit
    prj = sim.Projection(src[:256], cells, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.001))
    assert len(prj) == 256 * 2


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


# the sign of a synapse is fixed per projection (its row group): conductances are >= 0 on
# both receptors; currents are >= 0 on excitatory and <= 0 (PyNN's convention) on inhibitory
WRONG_SIGN = [(sim.IF_cond_exp, "excitatory", -0.001, "negative"),
              (sim.IF_cond_exp, "inhibitory", -0.001, "negative"),
              (sim.IF_curr_exp, "excitatory", -0.02, "negative"),
              (sim.IF_curr_exp, "inhibitory", 0.02, "positive")]


@pytest.mark.parametrize("celltype,receptor,weight,kind", WRONG_SIGN)
def test_weight_of_the_wrong_sign_for_its_row_group(celltype, receptor, weight, kind):
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(2, celltype())
    message = f"{kind} weight in .*sign is fixed per projection.*{receptor} row group"
    # map connectors are checked by PyNN itself before the chip sees a weight
    with pytest.raises(pynn_errors.ConnectionError, match="Weights must be"):
        sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=weight),
                       receptor_type=receptor)
    # a connection list is not: the chip refuses it
    listed = sim.FromListConnector([(0, 0, weight, 0.1), (1, 1, weight, 0.1)],
                                   column_names=["weight", "delay"])
    with pytest.raises(HardwareLimitError, match=message):
        sim.Projection(a, b, listed, sim.StaticSynapse(), receptor_type=receptor)
    # the right sign is accepted; a later write of the wrong sign is refused, changing nothing
    prj = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=-weight),
                         receptor_type=receptor)
    held = prj.get_weight_matrix()
    with pytest.raises(HardwareLimitError, match=message):
        prj.set(weight=weight)
    with pytest.raises(HardwareLimitError, match=message):
        prj.set_weight_matrix(np.full((2, 2), weight))
    np.testing.assert_array_equal(prj.get_weight_matrix(), held)


def test_current_based_inhibition_keeps_its_negative_sign():
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=-0.04),
                         receptor_type="inhibitory")
    # -0.04 nA is 2 steps of weight_lsb_nA = 0.02: integer weight 2 (-1: no synapse), read
    # back with the projection's sign
    np.testing.assert_array_equal(prj.get_integer_weights(), [[2, -1], [-1, 2]])
    np.testing.assert_allclose(prj.get_weight_matrix(), np.diag([-0.04, -0.04]))


def test_nan_weight_is_refused():
    a = sim.Population(2, sim.SpikeSourcePoisson(rate=5.0))
    b = sim.Population(2, sim.IF_cond_exp())
    listed = sim.FromListConnector([(0, 0, np.nan, 0.1), (1, 1, 0.001, 0.1)],
                                   column_names=["weight", "delay"])
    with pytest.raises(ValueError, match="NaN weight for an existing synapse"):
        sim.Projection(a, b, listed, sim.StaticSynapse())
    prj = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001))
    # NaN where no synapse exists is ignored (get("weight", format="array") marks those NaN)
    prj.set_weight_matrix(np.array([[0.002, np.nan], [np.nan, 0.002]]))
    np.testing.assert_allclose(prj.get_weight_matrix(), np.diag([0.002, 0.002]))
    # on an existing synapse it is refused and the weights stay
    with pytest.raises(ValueError, match="NaN weight for an existing synapse"):
        prj.set_weight_matrix(np.array([[np.nan, 0.0], [0.0, 0.002]]))
    with pytest.raises(ValueError, match="NaN weight for an existing synapse"):
        prj.set(weight=np.nan)
    np.testing.assert_allclose(prj.get_weight_matrix(), np.diag([0.002, 0.002]))


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


# -- through the CLI: refused before any run (the backend's preflight), exit 2, one line --
# the shipped bss2 profile (512 neurons, 256 rows); `feedback` with two layers: every unit of
# one layer receives from every unit of the other, each input in an excitatory and an
# inhibitory row, plus 2 background rows
TOO_LARGE = [
    ("sizes=[600, 1]", "601 sampling units exceed the bss2 chip limit max_neurons=512"),
    ("sizes=[200, 10]", "a unit with 200 inputs needs 402 synapse rows (2 x 200 "
                        "excitatory+inhibitory + 2 background), more than the bss2 fan-in "
                        "limit max_fan_in=256; at most 127 inputs per unit"),
]


@pytest.mark.parametrize("sizes,message", TOO_LARGE, ids=["neurons", "fan-in"])
def test_cli_refuses_a_network_too_large_for_the_chip(cli, tmp_path, sizes, message):
    store = tmp_path / "s.sqlite"
    res = cli("run", "feedback", "--backend", "bss2", "--seeds", "1", "--set", sizes,
              "--store", str(store))
    assert res.code == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("salbench: error: scenario 'feedback' on backend 'bss2': ")
    assert message in lines[0]
    assert not store.exists() and not (tmp_path / "results").exists()
