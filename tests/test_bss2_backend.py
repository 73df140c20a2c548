"""The bss2 adapter: limits before any run, SAL through the chip's sensors, quantised weights
that the protocol continues from, and hardware time recorded through the CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from salbench.backends.bss2 import Bss2Backend, Bss2SamplingNetwork, hardware_settings
from salbench.protocols.learning import sal_step, sensors_apply, write_weights
from salbench.protocols.pair import PairParams, PairProtocol
from salbench.rules.pairing import causal_correlation
from salbench.rules.sal import SALRule
from salbench.runner.backend_sources import resolve_backend
from salbench.spec.network import CorrelationSensors, NetworkSpec
from salbench.spec.units import LIFUnitParams

ROOT = Path(__file__).resolve().parents[1]
TAU = 10.0


def _settings(profile: str, **hardware) -> dict:
    """A shipped profile's resolved settings, some [settings.hardware] numbers changed."""
    settings = resolve_backend(profile).settings
    return {**settings, "hardware": {**settings["hardware"], **hardware}}


def _backend(profile: str, seed: int = 0, **over) -> Bss2Backend:
    backend = Bss2Backend(_settings(profile, **over))
    backend.setup(seed)
    return backend


def _pair_spec(w12: float = 1.5, w21: float = 0.5) -> NetworkSpec:
    return NetworkSpec(weights=np.array([[0.0, w12], [w21, 0.0]]), biases=np.zeros(2),
                       mask=~np.eye(2, dtype=bool), tau_ref_ms=TAU,
                       unit=LIFUnitParams(translation="linear"))  # one unit = weight_uS


def _salbench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "salbench", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


# -- preflight --------------------------------------------------------------------------
def test_preflight_counts_neurons_but_not_background_sources():
    settings = _settings("bss2")
    assert Bss2Backend.preflight(settings, 512, 1) is None     # 1024 Poisson sources on top
    message = Bss2Backend.preflight(settings, 513, 1)
    assert "max_neurons=512" in message and "\n" not in message


def test_preflight_counts_exc_inh_and_background_rows():
    settings = _settings("bss2")
    assert Bss2Backend.preflight(settings, 200, 127) is None   # 2 * 127 + 2 = 256 rows
    message = Bss2Backend.preflight(settings, 200, 128)
    assert "258 synapse rows" in message and "max_fan_in=256" in message
    assert "at most 127 inputs" in message


def test_preflight_agrees_with_the_emulator_row_count():
    """The rows preflight plans are the rows the emulator counts when the network is built."""
    backend = _backend("bss2-ideal", max_fan_in=6)               # pair: 2 * 1 + 2 = 4 rows
    assert Bss2Backend.preflight(backend.settings, 2, 1) is None
    backend.build(_pair_spec())
    backend.end()
    assert Bss2Backend.preflight(_settings("bss2-ideal", max_fan_in=3), 2, 1) is not None
    tight = _backend("bss2-ideal", max_fan_in=3)
    with pytest.raises(tight.sim.HardwareLimitError, match="max_fan_in=3"):
        tight.build(_pair_spec())
    tight.end()


def test_cli_refuses_too_large_network_with_exit_2_and_stores_nothing(tmp_path):
    profile = (ROOT / "backends" / "bss2.toml").read_text()
    profile = profile.replace("max_fan_in = 256", "max_fan_in = 3")
    (tmp_path / "tiny-chip.toml").write_text(profile)
    store = tmp_path / "runs.sqlite"
    done = _salbench("run", "pair", "--backend", str(tmp_path / "tiny-chip.toml"),
                     "--seeds", "1", "--set", "epochs=2", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "max_fan_in=3" in lines[0], done.stderr
    if store.exists():
        assert sqlite3.connect(store).execute("select count(*) from runs").fetchone()[0] == 0


# -- weights ----------------------------------------------------------------------------
def test_initial_weight_beyond_6_bit_range_fails_at_build_in_abstract_units():
    backend = _backend("bss2")
    message = r"weight 12 \(abstract.*6-bit range.*= 9.459 abstract units"
    with pytest.raises(backend.sim.HardwareLimitError, match=message):
        backend.build(_pair_spec(w12=12.0))
    backend.end()


def test_protocol_continues_from_the_quantised_weights():
    backend = _backend("bss2", processor_rounding="nearest")
    net = backend.build(_pair_spec())
    assert net.quantises_weights
    realised = write_weights(net, np.array([[0.0, 1.234], [0.777, 0.0]]))
    steps = realised * net.unit.weight_uS / backend.settings["hardware"]["weight_lsb_uS"]
    np.testing.assert_allclose(steps, np.rint(steps), atol=1e-9)
    np.testing.assert_allclose(steps[[0, 1], [1, 0]], [8.0, 5.0])   # 8.22 and 5.17 steps
    backend.end()


def test_pair_protocol_series_lie_on_the_integer_grid():
    backend = _backend("bss2")
    # the linear translation: one abstract unit is weight_uS, whatever the calibration says
    params = PairParams(epochs=3, epoch_ms=500.0, eta=2.0, unit={"translation": "linear"})
    result = PairProtocol(params, seed=0).run(backend)
    # one step, in abstract units
    lsb = backend.settings["hardware"]["weight_lsb_uS"] / LIFUnitParams().weight_uS
    for key in ("w12", "w21"):
        steps = np.asarray(result.series[key][1:]) / lsb
        np.testing.assert_allclose(steps, np.rint(steps), atol=1e-6)
    backend.end()


# -- SAL through the sensors ------------------------------------------------------------
def test_ideal_sensors_equal_the_exact_nearest_rule():
    backend = _backend("bss2-ideal", seed=3)
    net = backend.build(_pair_spec(1.0, 1.0))
    assert isinstance(net, CorrelationSensors)
    state = None
    for _ in range(2):                                            # pairs across run() calls
        spikes = net.run(1000.0)
        exact, state = causal_correlation(spikes, tau=TAU, window="exponential",
                                          pairing="nearest", state=state)
        causal, acausal = net.read_correlations()
        assert min(len(s) for s in spikes) > 5
        off = ~np.eye(2, dtype=bool)
        np.testing.assert_allclose(causal[off], exact[off], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(acausal[off], exact.T[off], rtol=1e-9, atol=1e-12)
    backend.end()


def test_sal_on_bss2_uses_the_sensors_not_the_spike_rule(monkeypatch):
    def forbidden(self, spikes, duration):
        raise AssertionError("the exact spike-train rule ran on bss2")

    monkeypatch.setattr(SALRule, "update", forbidden)
    reads = []
    original = Bss2SamplingNetwork.read_correlations

    def spy(self):
        reads.append(1)
        return original(self)

    monkeypatch.setattr(Bss2SamplingNetwork, "read_correlations", spy)
    backend = _backend("bss2")
    result = PairProtocol(PairParams(epochs=4, epoch_ms=500.0, eta=2.0), seed=1).run(backend)
    assert len(reads) == 4 and len(result.series["w12"]) == 5
    backend.end()


def test_sensor_reading_goes_through_the_adc():
    """On bss2 the sensors read through the 8-bit ADC: values on the code grid (1/6 per code),
    close to but not equal to the exact rule."""
    # this chip's threshold/rest mismatch silences unit 0 (a 1.3 mV bias offset); zero it
    backend = _backend("bss2", seed=2, fpn_v_rest_mV=0.0, fpn_v_thresh_mV=0.0)
    net = backend.build(_pair_spec(1.0, 1.0))
    rule = SALRule(eta=1.0, tau=TAU, mask=~np.eye(2, dtype=bool))
    assert sensors_apply(net, rule)
    spikes = net.run(2000.0)
    exact, _ = causal_correlation(spikes, tau=TAU, window="exponential", pairing="nearest")
    causal, _ = net.read_correlations()
    off = ~np.eye(2, dtype=bool)
    # mean of two reads
    codes = 2 * causal[off] * backend.settings["hardware"]["adc_codes_per_unit"]
    np.testing.assert_allclose(codes, np.rint(codes), atol=1e-9)
    # both row groups of a synapse sit in the post unit's column: they share its ADC channel,
    # whose frozen offset and gain the average does not remove; read noise, rounding and the
    # sensors' own 5 % amplitude mismatch are what is left
    chip = backend.sim.simulator.state.chip
    column = chip.adc_column_mismatch(chip.neuron_slots(np.asarray(net.cells.all_cells)))
    codes_per_unit = backend.settings["hardware"]["adc_codes_per_unit"]
    post = np.array([0, 1])     # causal[off] is [w01, w10]: post 0, then post 1
    expected = exact[off] * (1 + column["c_gain"][post]) + column["c_off"][post] / codes_per_unit
    np.testing.assert_allclose(causal[off], expected, rtol=0.15, atol=0.35)
    dW = sal_step(net, spikes, rule, 2000.0)
    assert np.all(np.isfinite(dW)) and np.all(np.diag(dW) == 0)
    backend.end()


# -- provenance and the CLI ---------------------------------------------------------------
def test_hardware_time_survives_a_rebuild():
    backend = _backend("bss2-ideal")
    backend.build(_pair_spec()).run(1000.0)
    first = backend.counters()["hardware_time_s"]
    # 1 s biological = 1 ms on chip, + 20 ms per run, + 0.5 ms per projection weight write
    assert first == pytest.approx(0.001 + 0.02 + 2 * 0.0005, rel=1e-6)
    backend.reset(1)                                               # a new network
    backend.build(_pair_spec()).run(1000.0)
    provenance = backend.extra_provenance()
    assert provenance["hardware_time_s"] == pytest.approx(2 * first, rel=1e-6)
    assert provenance["profile"] == "bss2-ideal" and provenance["hardware_runs"] == 2
    backend.end()


def test_hardware_settings_leave_adapter_keys_out():
    settings = hardware_settings(_settings("bss2"))
    assert "unit" not in settings and "profile" not in settings and "max_neurons" in settings
    assert Bss2Backend.check_settings(_settings("bss2")) is None


CHECKS = [
    ({"max_neurons": 512}, "hardware setting 'max_neurons' belongs in [settings.hardware]"),
    ({"delay_ms": 1.0}, "unknown setting 'delay_ms' in [settings]"),
    ({"hardware": {"synapse_gain_sprd": 0.1}},
     "unknown hardware setting 'synapse_gain_sprd' in [settings.hardware]; did you mean "
     "'synapse_gain_spread'?"),
    ({"hardware": {"acceleration": -1.0}}, "setting acceleration in [settings.hardware]"),
    ({"hardware": {"max_fan_in": 2.5}}, "valid integer"),
    ({"hardware": 3}, "must be a table"),
]


@pytest.mark.parametrize(("settings", "needle"), CHECKS, ids=[n for _, n in CHECKS])
def test_check_settings_names_a_key_in_the_wrong_place(settings, needle):
    problem = Bss2Backend.check_settings(settings)
    assert problem is not None and needle in problem and "\n" not in problem


def test_cli_refuses_a_hardware_typo_in_one_line_naming_the_profile(tmp_path):
    profile = (ROOT / "backends" / "bss2.toml").read_text()
    (tmp_path / "typo-chip.toml").write_text(
        profile.replace("synapse_gain_spread =", "synapse_gain_sprd ="))
    store = tmp_path / "runs.sqlite"
    done = _salbench("run", "pair", "--backend", str(tmp_path / "typo-chip.toml"),
                     "--seeds", "1", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "typo-chip.toml" in lines[0], done.stderr
    assert "unknown hardware setting 'synapse_gain_sprd'" in lines[0]
    assert not store.exists()


def test_pair_runs_on_all_three_profiles_through_the_cli(tmp_path):
    store = tmp_path / "runs.sqlite"
    done = _salbench("run", "pair", "--backend", "bss2-ideal", "--backend", "bss2",
                     "--backend", "bss2-uncalibrated", "--seeds", "1",
                     "--set", "epochs=3", "--set", "epoch_ms=500",
                     "--store", str(store), "--jobs", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = sqlite3.connect(store).execute(
        "select backend, status, error, provenance, final from runs").fetchall()
    assert sorted(r[0] for r in rows) == ["bss2", "bss2-ideal", "bss2-uncalibrated"]
    for backend, status, error, provenance, final in rows:
        assert status == "ok", (backend, error)
        info = json.loads(provenance)["backend"]
        # 3 runs of 0.5 ms hardware time + 20 ms overhead, plus host accesses
        assert info["hardware_time_s"] >= 3 * 0.0205
        assert info["emulator_wall_time_s"] > 0 and info["profile"] == backend
        # the chips reset below threshold (fixed-pattern noise); the ideal profile is NEST's unit
        chip = backend != "bss2-ideal"
        assert info["unit_defaults"] == ({"v_reset": -54.0} if chip else {})
        assert info["unit"]["v_reset"] == (-54.0 if chip else -50.001)
        assert 0 <= json.loads(final)["asymmetry"] <= 1
