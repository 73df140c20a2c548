"""The two noise models of the LIF sampling unit (salbench.spec.units: "poisson", "white") on
every spiking backend, through the CLI as a user runs them.

`pair` with white current noise, two seeds, on NEST (noise_generator), NEURON (salbench's NMODL
source, one Random123 stream per cell) and bss2-ideal (the emulator's per-cell membrane noise):
each backend calibrates the white-noise unit on first use (its own cache entry), SAL removes
the 3:1 asymmetry and conserves the sum, and every run records the unit it resolved to. The
Poisson unit's `pair` runs are tests/test_pair.py. About a minute on 2 cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import backend_installed, backend_params, shipped_backend

from salbench.store.sqlite import Store

BACKENDS = ("nest", "neuron", "bss2-ideal")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def white_pair_runs(tmp_path_factory):
    pytest.importorskip("pyNN")
    store = tmp_path_factory.mktemp("white") / "runs.sqlite"
    args = [sys.executable, "-m", "salbench", "run", "pair", "--seeds", "2", "--jobs", "2",
            "--store", str(store), "--set", "unit.noise=white"]
    for name in filter(backend_installed, BACKENDS):  # the tests of others skip
        args += ["--backend", name]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = Store.open_existing(store)
    try:
        return list(db.runs())
    finally:
        db.close()


@pytest.mark.parametrize("backend", backend_params(*BACKENDS))
def test_sal_aligns_a_pair_of_white_noise_units(white_pair_runs, backend):
    runs = [r for r in white_pair_runs if r.backend == backend]
    assert len(runs) == 2 and all(r.status == "ok" for r in runs)
    for r in runs:
        assert r.final["asymmetry_start"] == pytest.approx(0.5)
        assert r.final["asymmetry"] < 0.1, (r.seed, r.final)
        assert abs(r.final["sum_rel_change"]) < 0.05
        assert 5 < r.final["rate_hz"] < 90  # the sampling regime


@pytest.mark.parametrize("backend", backend_params(*BACKENDS))
def test_each_run_records_the_noise_model_it_used(white_pair_runs, backend):
    for r in (r for r in white_pair_runs if r.backend == backend):
        unit = r.provenance["backend"]["unit"]
        assert unit["noise"] == "white" and unit["translation"] == "calibrated"
        assert unit["noise_std_nA"] == 1.5 and unit["noise_dt_ms"] == 0.1


@pytest.mark.parametrize("backend", backend_params(*BACKENDS))
def test_each_run_records_the_calibration_it_used(white_pair_runs, backend):
    for r in (r for r in white_pair_runs if r.backend == backend):
        cal = r.provenance["backend"]["calibration"]
        assert len(cal["key"]) == 16 and int(cal["key"], 16) >= 0
        assert cal["v0_mV"] < -50.0 < cal["v0_mV"] + 10  # white noise: p = 0.5 below threshold
        assert cal["alpha_mV"] > 0 and cal["exc_uS_per_unit"] > 0


def test_white_noise_is_refused_where_no_independent_source_exists():
    """The generic PyNN adapter cannot promise independent noise per cell (pyNN.neuron's
    NoisyCurrentSource plays one vector into every cell): a clear refusal, not shared noise."""
    from salbench.backends.pynn import PyNNBackend
    from salbench.spec.units import LIFUnitParams

    backend = PyNNBackend({"pynn_module": "pyNN.neuron"})
    with pytest.raises(ValueError, match="independent current-noise source"):
        backend.current_noise(object(), 1.5, 0.1)
    # refused before anything is calibrated or built
    with pytest.raises(ValueError, match="unit.noise"):
        backend.check_unit(LIFUnitParams(noise="white"))
    backend.check_unit(LIFUnitParams())
    for name in BACKENDS:
        shipped_backend(name).check_unit(LIFUnitParams(noise="white"))


def test_the_generic_adapter_keys_calibrations_by_its_simulator_version():
    """A simulator upgrade behind the generic adapter must invalidate its calibrations."""
    from salbench.backends.pynn import PyNNBackend

    versions = PyNNBackend({"pynn_module": "pyNN.neuron"}).versions()
    assert set(versions) == {"PyNN", "neuron"} and versions["neuron"] != "not installed"
    named = PyNNBackend({"pynn_module": "pyNN.nest", "simulator_dist": "nest-simulator"})
    assert "nest-simulator" in named.calibration_identity()["versions"]


def test_calibrate_refuses_white_noise_on_the_generic_adapter_in_one_line(cli, tmp_path):
    profile = tmp_path / "plain-neuron.toml"
    profile.write_text('[backend]\nadapter = "pynn"\n[settings]\npynn_module = "pyNN.neuron"\n')
    res = cli("calibrate", "--backend", str(profile), "--set", "noise=white",
              env={**os.environ, "SALBENCH_CACHE": str(tmp_path / "cache")})
    assert res.code == 2 and "Traceback" not in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "current-noise" in res.stderr
    assert not (tmp_path / "cache").exists()


def test_a_backend_profile_with_a_bad_unit_default_is_refused_before_any_run(cli, tmp_path):
    profile = tmp_path / "odd.toml"
    text = (ROOT / "backends" / "bss2-ideal.toml").read_text()
    profile.write_text(text + '\n[settings.unit]\nnoise = "pink"\n')
    store = tmp_path / "s.sqlite"
    res = cli("run", "pair", "--backend", str(profile), "--seeds", "1", "--store", str(store))
    assert res.code == 2 and "Traceback" not in res.stderr, res.stderr
    assert "settings.unit" in res.stderr and "noise" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not store.exists()


def test_a_plain_dict_unit_still_builds_a_spec():
    """Plugins written against salbench 0.1 pass NetworkSpec a dict."""
    import numpy as np

    from salbench.spec.network import NetworkSpec
    from salbench.spec.units import LIFUnitParams

    spec = NetworkSpec(weights=np.zeros((2, 2)), biases=np.zeros(2), mask=~np.eye(2, dtype=bool),
                       unit={"noise": "white", "translation": "linear"})
    assert spec.unit == LIFUnitParams(noise="white", translation="linear")
