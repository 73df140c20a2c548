"""Every run records where it came from and how long each phase took."""

from __future__ import annotations

import platform
import sqlite3

from helpers import requires_backend

import salbench
from salbench.store import Store


@requires_backend("nest")
def test_run_records_full_provenance(cli, tmp_path):
    store_path = tmp_path / "s.sqlite"
    res = cli("run", "pair", "--backend", "nest", "--backend", "reference", "--seeds", "1",
              "--set", "epochs=3", "--set", "eta=0.5", "--store", str(store_path))
    assert res.code == 0, res.stderr
    store = Store(store_path)
    runs = {r.backend: r for r in store.runs()}
    nest, ref = runs["nest"], runs["reference"]
    for run in (nest, ref):
        prov = run.provenance
        assert prov["salbench"] == salbench.__version__
        assert len(prov["git_commit"].split("+")[0]) in (40, 7) or prov["git_commit"] == "unknown"
        assert prov["python"] == platform.python_version()
        assert prov["machine"]["cores"] >= 1 and prov["machine"]["memory_gb"] > 0
        assert prov["machine"]["cpu_model"]
        assert run.seed == 0
        assert run.config["params"]["eta"] == 0.5 and run.config["params"]["epochs"] == 3
        assert run.config["params"]["w12"] == 1.5  # the full resolved configuration
        for phase in ("import", "build", "simulate", "learn", "write", "total"):
            assert phase in run.timings
        assert run.timings["simulate"] > 0 and run.timings["total"] >= run.timings["simulate"]
        assert run.peak_mem_mb > 10
        assert run.bio_time_ms == 3 * 1000.0
        assert len(run.series["t_ms"]) == 4 and run.notes["main_metric"] == "asymmetry"
    assert nest.provenance["simulators"]["PyNN"] == "0.13.0"
    assert nest.provenance["simulators"]["nest-simulator"].startswith("3.")
    assert nest.provenance["backend"]["delay_ms"] == 1.0
    assert nest.provenance["backend"]["simulator_seed"] > 0
    assert "numba" in ref.provenance["simulators"]
    store.close()
    # the store is plain SQLite any tool can read
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT COUNT(*) FROM runs WHERE status='ok'").fetchone()[0] == 2
    conn.close()
