"""Every run records which way SAL was computed (notes['learning_path']); the report shows it."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from helpers import run_cli
from synthetic_runs import synthetic_run

from salbench.protocols.learning import LEARNING_PATHS, learning_path, sal_step
from salbench.report.html import render
from salbench.rules.sal import SALRule
from salbench.store import Store


class _Sensing:
    """A network with correlation sensors that counts its reads."""

    def __init__(self) -> None:
        self.reads = 0

    def read_correlations(self) -> tuple[np.ndarray, np.ndarray]:
        self.reads += 1
        return np.array([[0.0, 2.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 0.0]])


def test_the_path_sal_step_takes_is_the_one_recorded():
    spikes = [np.array([1.0, 30.0]), np.array([5.0, 40.0])]
    net = _Sensing()
    exp = SALRule(eta=1.0, tau=10.0, window="exponential", pairing="nearest")
    tri = SALRule(eta=1.0, tau=10.0, window="triangular", pairing="nearest")
    assert learning_path(net, exp) == "sensors-epoch"
    sal_step(net, spikes, exp, 100.0)
    assert net.reads == 1                                     # it did read the sensors
    assert learning_path(net, tri) == "host-rule"             # sensors measure exp only
    sal_step(net, spikes, tri, 100.0)
    assert net.reads == 1                                     # the host rule: no read
    assert learning_path(object(), exp) == "host-rule"        # no sensors at all
    assert learning_path(net, None) == "none"
    assert set(LEARNING_PATHS) == {"host-rule", "sensors-epoch", "online", "none"}


@pytest.mark.parametrize(("window", "path"), [("exponential", "sensors-epoch"),
                                              ("triangular", "host-rule")])
def test_pair_on_bss2_records_its_path(window, path):
    from salbench.backends.bss2 import Bss2Backend
    from salbench.protocols.pair import PairParams, PairProtocol
    from salbench.runner.backend_sources import resolve_backend

    backend = Bss2Backend(resolve_backend("bss2-ideal").settings)
    backend.setup(0)
    result = PairProtocol(PairParams(epochs=1, epoch_ms=200.0, window=window), seed=1
                          ).run(backend)
    backend.end()
    assert result.notes["learning_path"] == path


@pytest.mark.parametrize(("scenario", "sets", "path"), [
    ("feedback", ["feedback=fixed"], "none"),              # B fixed: no SAL at all
    ("feedback", [], "host-rule"),
    ("sampling", [], "host-rule"),
])
def test_feedback_and_sampling_record_their_path(scenario, sets, path):
    import importlib

    from salbench.backends.reference.backend import ReferenceBackend

    module = importlib.import_module(f"salbench.protocols.{scenario}")
    cls = {"feedback": "FeedbackProtocol", "sampling": "SamplingProtocol"}[scenario]
    protocol_cls = getattr(module, cls)
    small = {"feedback": {"epochs": 1, "sizes": [3, 3]},
             "sampling": {"iterations": 2, "n_units": 3}}[scenario]
    overrides = dict(small)
    for item in sets:
        key, value = item.split("=")
        overrides[key] = value
    params = protocol_cls.Params(**{k: v for k, v in overrides.items()
                                    if k in protocol_cls.Params.model_fields})
    backend = ReferenceBackend({})
    backend.setup(0)
    result = protocol_cls(params, seed=0).run(backend)
    assert result.notes["learning_path"] == path


def test_runs_store_the_path_in_notes_and_provenance(tmp_path):
    store = tmp_path / "s.sqlite"
    out = run_cli("run", "pair-demo", "--backend", "reference", "--seeds", "1", "--set",
                  "epochs=3", "--store", str(store), cwd=tmp_path)
    assert out.code == 0, out.stderr
    with sqlite3.connect(store) as db:
        names = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
        row = dict(zip(names, db.execute("SELECT * FROM runs").fetchone(), strict=True))
    assert json.loads(row["notes"])["learning_path"] == "host-rule"
    assert json.loads(row["provenance"])["learning_path"] == "host-rule"


def test_report_shows_the_path_per_backend_and_run(tmp_path):
    store = Store(tmp_path / "r.sqlite")
    for seed in range(2):
        for backend, path in (("bss2", "sensors-epoch"), ("nest", "host-rule")):
            run = synthetic_run("pair", backend, seed)
            run.notes["learning_path"] = path
            store.add(run)
    old = synthetic_run("pair", "neuron", 0)                 # stored before paths existed
    store.add(old)
    html = render(store)
    final = html[html.index('class="sortable final"'):]
    final = final[:final.index("</table>")]
    assert final.count("<td class=\"l\">sensors-epoch</td>") == 1     # one row per backend
    assert final.count("<td class=\"l\">host-rule</td>") == 1
    assert final.count("<td class=\"l\">–</td>") == 1
    runs = html[html.index('id="runs-table"'):]
    runs = runs[:runs.index("</table>")]
    assert runs.count(">sensors-epoch<") == 2 and runs.count(">host-rule<") == 2
