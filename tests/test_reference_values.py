"""The `reference` backend reproduces the SAL authors' two-neuron demo
(shared/reference-values.json) through the same protocol and CLI as every other backend."""

from __future__ import annotations

import numpy as np
import pytest

from salbench.store import Store

# reference-values.json, two_neuron_demo: epoch -> (w01, w10); "epoch e" is after e+1 updates
REFERENCE = {0: (1.497, 0.503), 100: (1.279, 0.721), 200: (1.165, 0.835),
             300: (1.070, 0.930), 400: (1.045, 0.955), 600: (1.006, 0.994)}


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    from helpers import run_cli

    tmp = tmp_path_factory.mktemp("demo")
    res = run_cli("run", "pair-demo", "--backend", "reference", "--seeds", "8", "--set",
                  "epochs=601", "--store", str(tmp / "s.sqlite"), cwd=tmp)
    assert res.code == 0, res.stderr
    store = Store(tmp / "s.sqlite")
    runs = list(store.runs())
    store.close()
    assert len(runs) == 8 and all(r.status == "ok" for r in runs)
    return runs


def test_sum_is_conserved_to_1e9_at_every_epoch(demo_runs):
    for run in demo_runs:
        total = np.asarray(run.series["sum"])
        assert np.max(np.abs(total - 2.0)) < 1e-9


def _gaps(runs) -> np.ndarray:
    return np.array([np.abs(np.asarray(r.series["w12"]) - np.asarray(r.series["w21"]))
                     for r in runs])


def test_asymmetry_below_0_1_around_epoch_400(demo_runs):
    # The reference is one seed, whose gap crosses 0.1 between epochs 300 and 400; across
    # seeds the crossing epoch spreads by about +-50 (measured: 310-454 over 12 seeds), so
    # the median over 8 seeds is held to 400 with a 10 % allowance.
    first = [int(np.nonzero(gap < 0.1)[0][0]) - 1 for gap in _gaps(demo_runs)]
    assert np.median(first) <= 440, first
    assert min(first) <= 400, first


def test_reference_run_is_a_plausible_draw_of_this_model(demo_runs):
    # at every published epoch the reference's gap lies within 2.5 standard deviations of
    # the seed ensemble, and the ensemble mean is close to it in absolute terms
    gaps = _gaps(demo_runs)
    for epoch, (ref01, ref10) in REFERENCE.items():
        column = gaps[:, epoch + 1]  # series index i holds the weights after i updates
        spread = max(column.std(ddof=1), 0.01)
        assert abs(ref01 - ref10 - column.mean()) < 2.5 * spread, (epoch, column)
        assert abs(ref01 - ref10 - column.mean()) < 0.08, (epoch, column)
    w12 = np.array([r.series["w12"] for r in demo_runs])
    assert np.abs(w12[:, -1].mean() - 1.0) < 0.05  # after epoch 600: around 1.0


def test_reference_runs_are_labelled_as_the_abstract_model(demo_runs):
    prov = demo_runs[0].provenance["backend"]
    assert "abstract" in prov["model"] and prov["timing"] == "authors"
    assert prov["steps_per_tau_ref"] == 25
    assert demo_runs[0].adapter == "reference"
