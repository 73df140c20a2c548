"""The two noise models of the LIF sampling unit (salbench.spec.units: "poisson", "white") on
every spiking backend, through the CLI as a user runs them.

`pair` with white current noise, two seeds, on NEST (noise_generator), NEURON (salbench's NMODL
source, one Random123 stream per cell) and bss2-ideal (the emulator's per-cell membrane noise):
each backend calibrates the white-noise unit on first use (its own cache entry), SAL removes
the 3:1 asymmetry and conserves the sum, and every run records the unit it resolved to. The
Poisson unit's `pair` runs are tests/test_pair.py. About a minute on 2 cores.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import shipped_backend

from salbench.store.sqlite import Store

BACKENDS = ("nest", "neuron", "bss2-ideal")


@pytest.fixture(scope="module")
def white_pair_runs(tmp_path_factory):
    pytest.importorskip("pyNN")
    store = tmp_path_factory.mktemp("white") / "runs.sqlite"
    args = [sys.executable, "-m", "salbench", "run", "pair", "--seeds", "2", "--jobs", "2",
            "--store", str(store), "--set", "unit.noise=white"]
    for name in BACKENDS:
        args += ["--backend", name]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = Store.open_existing(store)
    try:
        return list(db.runs())
    finally:
        db.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_sal_aligns_a_pair_of_white_noise_units(white_pair_runs, backend):
    runs = [r for r in white_pair_runs if r.backend == backend]
    assert len(runs) == 2 and all(r.status == "ok" for r in runs)
    for r in runs:
        assert r.final["asymmetry_start"] == pytest.approx(0.5)
        assert r.final["asymmetry"] < 0.1, (r.seed, r.final)
        assert abs(r.final["sum_rel_change"]) < 0.05
        assert 5 < r.final["rate_hz"] < 90  # the sampling regime


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_run_records_the_noise_model_it_used(white_pair_runs, backend):
    for r in (r for r in white_pair_runs if r.backend == backend):
        unit = r.provenance["backend"]["unit"]
        assert unit["noise"] == "white" and unit["translation"] == "calibrated"
        assert unit["noise_std_nA"] == 1.5 and unit["noise_dt_ms"] == 0.1


def test_white_noise_is_refused_where_no_independent_source_exists():
    """The generic PyNN adapter cannot promise independent noise per cell (pyNN.neuron's
    NoisyCurrentSource plays one vector into every cell): a clear refusal, not shared noise."""
    from salbench.backends.pynn import PyNNBackend

    backend = PyNNBackend({"pynn_module": "pyNN.neuron"})
    with pytest.raises(ValueError, match="independent current-noise source"):
        backend.current_noise(object(), 1.5, 0.1)
    assert shipped_backend("nest").current_noise is not PyNNBackend.current_noise
