"""The report's section on SAL's fixed point against the units' rates: hand-worked points from
stored notes, and the `pair-rates` catalogue sweep on the reference model end to end."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from salbench.report import fixed_point as fp
from salbench.report.html import render
from salbench.store import RunRecord, Store


def record(backend: str, weights, rates, *, eta_sal: float | None = 0.5, noise: str = "white",
           adapter: str = "nest", status: str = "ok") -> RunRecord:
    params = {"unit": {"noise": noise}}
    if eta_sal is not None:
        params["eta_sal"] = eta_sal
    return RunRecord(cell_key=f"{backend}{rates}", scenario="sampling", label="", protocol="x",
                     profile="quick", backend=backend, adapter=adapter, seed=0, status=status,
                     config={"adapter": adapter, "params": params},
                     provenance={"backend": {"unit": {"noise": noise}}},
                     notes={"final_weights": weights, "final_unit_rates_hz": rates})


def test_points_are_oriented_towards_the_busier_unit():
    w = [[0.0, 1.5, 0.2], [0.5, 0.0, -0.3], [0.4, -0.1, 0.0]]  # W[post, pre]
    points = fp.pair_points([record("nest", w, [30.0, 80.0, 50.0])])
    got = np.array(sorted((p.rate_diff_hz, p.residual) for p in points))
    # (1 busier than 0): w into 1 = W[1, 0] = 0.5, out = W[0, 1] = 1.5
    # (1 busier than 2): W[1, 2] - W[2, 1] = -0.3 - -0.1; (2 busier than 0): 0.4 - 0.2
    np.testing.assert_allclose(got, [(20.0, 0.2), (30.0, -0.2), (50.0, -1.0)])
    assert all(p.ratio is None for p in points)  # ratios only for two-unit runs
    (two,) = fp.pair_points([record("nest", [[0.0, 0.8], [1.2, 0.0]], [90.0, 40.0])])
    assert two.residual == pytest.approx(0.8 - 1.2) and two.ratio == pytest.approx(0.8 / 1.2)


def test_only_runs_that_learnt_with_sal_count():
    w, r = [[0.0, 1.0], [2.0, 0.0]], [10.0, 20.0]
    assert fp.pair_points([record("nest", w, r, eta_sal=0.0)]) == []  # no SAL: initial weights
    assert fp.pair_points([record("nest", w, r, status="failed")]) == []
    assert len(fp.pair_points([record("nest", w, r, eta_sal=None)])) == 1  # pair: plastic


def test_curves_bin_by_rate_difference_per_backend_and_unit_model():
    runs = [record("nest", [[0.0, 1.0], [1.0 + d / 100, 0.0]], [40.0, 40.0 + d])
            for d in (2.0, 4.0, 25.0)]
    runs.append(record("reference", [[0.0, 1.0], [1.1, 0.0]], [40.0, 45.0], adapter="reference"))
    curves = fp.curves(fp.pair_points(runs))
    (nest,) = curves["nest"]
    assert nest.unit_model == "LIF, white noise"
    assert nest.x == [5.0, 25.0]
    assert nest.y[0].mean == pytest.approx(0.03) and nest.y[0].n == 2
    assert curves["reference"][0].unit_model == "abstract"


def test_pair_rates_sweep_on_the_reference_model(tmp_path):
    """The catalogue sweep end to end: on the abstract neuron the busier unit ends with the
    larger incoming weight (measured ratio 1.38 at biases -0.5 / 1.8), more so the busier it
    is, and the report draws the section."""
    store = tmp_path / "rates.sqlite"
    proc = subprocess.run([sys.executable, "-m", "salbench", "run", "pair-rates", "--backend",
                           "reference", "--seeds", "2", "--set", "sweep.unit.noise=poisson",
                           "--store", str(store)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    db = Store.open_existing(store)
    try:
        runs = list(db.runs())
        html = render(db)
    finally:
        db.close()
    (curve,) = fp.curves(fp.pair_points(runs))["reference"]
    assert curve.unit_model == "abstract"
    assert curve.y[-1].mean > 0.1  # the busiest pair: the weight into the busy unit is larger
    assert curve.y[-1].mean > curve.y[0].mean
    assert np.median(curve.ratios) > 1.0
    assert 'id="fixed-point"' in html and "two-unit ratio" in html
