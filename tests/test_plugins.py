"""A third-party package adds a backend and a scenario through entry points alone."""

from __future__ import annotations

import json

from helpers import installed, requires_backend, stored_runs

#: the plugin backend nestalias is pyNN.nest: usable exactly where NEST is installed
NEST_HERE = installed("pyNN", "nest")


def test_plugin_backend_and_scenario_are_listed(cli, plugin_env):
    res = cli("list", "--json", env=plugin_env)
    assert res.code == 0, res.stderr
    data = json.loads(res.stdout)
    backends = {b["name"]: b for b in data["backends"]}
    scenarios = {s["name"]: s for s in data["scenarios"]}
    assert backends["nestalias"]["usable"] == NEST_HERE, backends["nestalias"]
    assert backends["nestalias"]["description"] == "pyNN.nest wrapped by a third-party package"
    assert scenarios["faulty"]["ok"] and scenarios["faulty"]["source"] == "entry point"
    # without the package installed, neither exists
    plain = json.loads(cli("list", "--json").stdout)
    assert "nestalias" not in {b["name"] for b in plain["backends"]}


@requires_backend("nest")
def test_plugin_backend_runs_pair(cli, plugin_env, tmp_path):
    store = tmp_path / "s.sqlite"
    res = cli("run", "pair", "--backend", "nestalias", "--seeds", "1", "--set", "epochs=3",
              "--store", str(store), env=plugin_env)
    assert res.code == 0, res.stderr
    [run] = stored_runs(store)
    assert run["backend"] == "nestalias" and run["status"] == "ok"
    assert 0 < run["final"]["asymmetry"] <= 0.6


def test_a_plugin_that_fails_to_import_breaks_nothing_else(cli, plugin_env, tmp_path):
    res = cli("list", "--json", env=plugin_env)
    assert res.code == 0, res.stderr
    data = json.loads(res.stdout)
    backends = {b["name"]: b for b in data["backends"]}
    scenarios = {s["name"]: s for s in data["scenarios"]}
    assert not backends["brokensim"]["usable"]
    assert "salbench_testplugins_not_installed" in backends["brokensim"]["reason"]
    assert not scenarios["brokenscenario"]["ok"]
    assert backends["nestalias"]["usable"] == NEST_HERE and scenarios["faulty"]["ok"]
    store = tmp_path / "s.sqlite"
    ok = cli("run", "pair-demo", "--backend", "reference", "--seeds", "1", "--set", "epochs=2",
             "--store", str(store), env=plugin_env)
    assert ok.code == 0, ok.stderr
    bad = cli("run", "pair", "--backend", "brokensim", "--store", str(store), env=plugin_env)
    assert bad.code == 2 and "brokensim" in bad.stderr and "Traceback" not in bad.stderr
