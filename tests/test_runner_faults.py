"""A run that raises, dies by a signal, diverges or hangs is stored with its status; the
other runs of the sweep are kept."""

from __future__ import annotations

from helpers import stored_runs


def test_every_fault_is_recorded_and_the_sweep_goes_on(cli, plugin_env, tmp_path):
    store = tmp_path / "s.sqlite"
    res = cli("run", "faulty", "--backend", "reference", "--seeds", "1", "--set",
              "sweep.fault=none,raise,signal,diverge,hang", "--timeout", "20", "--jobs", "2",
              "--store", str(store), env=plugin_env)
    assert res.code == 1, res.stderr  # some runs failed, the others are stored
    runs = {r["sweep"]["fault"]: r for r in stored_runs(store)}
    assert set(runs) == {"none", "raise", "signal", "diverge", "hang"}
    assert runs["none"]["status"] == "ok" and runs["none"]["final"] == {"w": 1.0}
    assert runs["raise"]["status"] == "failed"
    assert runs["raise"]["error"] == "RuntimeError: injected failure"
    assert runs["signal"]["status"] == "failed" and "SIGKILL" in runs["signal"]["error"]
    assert runs["diverge"]["status"] == "diverged" and "NaN" in runs["diverge"]["error"]
    assert runs["hang"]["status"] == "timeout" and "20 s" in runs["hang"]["error"]
    assert "Traceback" not in res.stderr
