"""The command line: listing, and bad input that must be refused with one line, exit 2,
no traceback and nothing written."""

from __future__ import annotations

import json

import pytest
from helpers import installed


def test_list_shows_scenarios_and_backends(cli):
    res = cli("list", "--json")
    assert res.code == 0, res.stderr
    data = json.loads(res.stdout)
    scenarios = {s["name"]: s for s in data["scenarios"]}
    backends = {b["name"]: b for b in data["backends"]}
    assert {"pair", "pair-one-fixed", "pair-demo"} <= set(scenarios)
    assert scenarios["pair"]["protocol"] == "pair"
    assert {"quick", "paper"} <= set(scenarios["pair"]["profiles"])
    # usable exactly where the simulator is installed (reference needs none); else the reason
    for name, modules in (("nest", ("pyNN", "nest")), ("neuron", ("pyNN", "neuron")),
                          ("reference", ())):
        assert backends[name]["usable"] == installed(*modules), backends[name]
        assert backends[name]["description"]
        if not installed(*modules):
            assert "is not installed" in backends[name]["reason"], backends[name]
    # the generic adapter is not usable without a profile naming a PyNN module
    assert not backends["pynn"]["usable"]
    assert "pynn_module" in backends["pynn"]["reason"]
    table = cli("list")
    assert table.code == 0 and "reference" in table.stdout and "Backends" in table.stdout


BAD_INPUT = [
    (["run", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),
    (["run", "pair", "--backend", "no-such-backend"], "unknown backend 'no-such-backend'"),
    (["run", "pair", "--set", "epoch_ms=-5"], "epoch_ms"),
    (["run", "pair", "--set", "epochs=0"], "epochs"),
    (["run", "pair", "--set", "epochs=abc"], "epochs"),
    (["run", "pair", "--set", "w12=nan"], "w12"),
    (["run", "pair", "--set", "no_such_param=1"], "unknown parameter 'no_such_param'"),
    (["run", "pair", "--set", "unit.no_such=1"], "no_such"),
    (["run", "pair", "--set", "unit.noise=pink"], "unit.noise"),
    (["run", "feedback", "--set", "unit.translation=exact"], "unit.translation"),
    (["run", "pair", "--profile", "huge"], "no profile 'huge'"),
    (["run", "pair", "--seeds", "0"], "--seeds"),
    (["run", "pair", "--jobs", "0"], "--jobs"),
    (["run", "pair", "--timeout", "-1"], "--timeout"),
    (["run", "pair", "--set", "epochs"], "key=value"),
    (["run", "pair", "--set", "params=5"], "params.epochs=20"),
    (["run", "pair", "--set", "timeout_s=abc"], "timeout_s"),
    (["run", "pair", "--set", "timeout_s=0"], "timeout_s"),
    (["run", "pair", "--bogus-flag"], "unrecognized arguments"),
    (["show"], "no store"),
    (["run", "feedback", "--backend", "nest", "--set", "plasticity=online"],
     "conductance synapses cannot"),
    (["report"], "no store"),
]


@pytest.mark.parametrize(("args", "needle"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_exit_2_nothing_written(cli, tmp_path, args, needle):
    if args[0] == "run" and "--backend" not in args:
        args = [*args, "--backend", "reference"]
    res = cli(*args, "--store", str(tmp_path / "s.sqlite"))
    assert res.code == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("salbench: error: ")
    assert needle in lines[0]
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "s.sqlite").exists()
    assert not (tmp_path / "results").exists()


def test_malformed_toml_is_refused(cli, tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[scenario\nprotocol = 'pair'\n")
    res = cli("run", str(bad), "--backend", "reference", "--store", str(tmp_path / "s.sqlite"))
    assert res.code == 2
    assert "not valid TOML" in res.stderr and str(bad) in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.sqlite").exists()


def test_scenario_file_that_is_not_utf8_is_refused(cli, tmp_path):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[scenario]\nprotocol = "pair"\nlabel = "Übung"\n'.encode("latin-1"))
    res = cli("run", str(bad), "--backend", "reference", "--store", str(tmp_path / "s.sqlite"))
    assert res.code == 2 and "Traceback" not in res.stderr
    assert "not UTF-8" in res.stderr and str(bad) in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.sqlite").exists()


def test_store_under_a_path_that_cannot_be_a_folder_is_refused(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    store = blocker / "sub" / "s.sqlite"
    res = cli("run", "pair-demo", "--backend", "reference", "--seeds", "1", "--store", str(store))
    assert res.code == 2 and "Traceback" not in res.stderr
    assert "cannot create the folder of store" in res.stderr and "--store" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert blocker.read_text() == "not a folder"


def test_scenario_file_with_unknown_table_key_is_refused(cli, tmp_path):
    bad = tmp_path / "odd.toml"
    bad.write_text('[scenario]\nprotocol = "pair"\nlabl = "typo"\n')
    res = cli("run", str(bad), "--backend", "reference", "--store", str(tmp_path / "s.sqlite"))
    assert res.code == 2 and "unknown key 'labl'" in res.stderr


def test_run_then_show_then_report(cli, tmp_path):
    store = tmp_path / "s.sqlite"
    res = cli("run", "pair-demo", "--backend", "reference", "--seeds", "2", "--set",
              "epochs=20", "--store", str(store), "--report", str(tmp_path / "r.html"))
    assert res.code == 0, res.stderr
    assert res.stdout.strip().endswith("r.html")
    html = (tmp_path / "r.html").read_text()
    assert "pair-demo" in html and "<svg" in html
    shown = cli("show", "--store", str(store), "--json")
    runs = json.loads(shown.stdout)
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert {r["seed"] for r in runs} == {0, 1}
    assert all("asymmetry" in r["final"] for r in runs)
    assert "pair-demo" in cli("show", "--store", str(store)).stdout


def test_show_fits_an_80_column_terminal(cli, tmp_path):
    """`salbench show` at COLUMNS=80: one row per run with its headline metrics, no line
    wider than the terminal, no value cut off with an ellipsis; --json keeps every metric."""
    import os

    from salbench.cli.common import fmt

    store = str(tmp_path / "s.sqlite")
    for scenario in ("pair", "feedback"):
        res = cli("run", scenario, "--backend", "reference", "--seeds", "2", "--store", store)
        assert res.code == 0, res.stderr
    # a swept setting gets its own column, headed by its name, values never split
    res = cli("run", "feedback", "--backend", "reference", "--seeds", "1", "--store", store,
              "--set", "epochs=2", "--set", "sweep.plasticity=epoch,online")
    assert res.code == 0, res.stderr
    res = cli("show", "--store", store, env={**os.environ, "COLUMNS": "80"})
    swept = [line.split() for line in res.stdout.splitlines()
             if line.split()[:2] in (["5", "reference"], ["6", "reference"])]
    assert [row[3] for row in swept] == ["epoch", "online"], res.stdout
    assert any(line.split()[3:4] == ["plasticity"] for line in res.stdout.splitlines())
    assert res.code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, res.stdout
    assert "…" not in res.stdout, res.stdout
    runs = json.loads(cli("show", "--json", "--store", store).stdout)
    assert len(runs) == 6 and all(r["status"] == "ok" for r in runs)
    for r in runs[:4]:  # the run's row holds its main metric, formatted as fmt does
        row = next(line for line in lines if line.split()[:2] == [str(r["id"]), "reference"])
        assert r["main_metric"] in res.stdout
        assert fmt(r["final"][r["main_metric"]]) in row.split(), (row, r)
    assert {"asymmetry", "angle_deg"} <= {r["main_metric"] for r in runs}
    assert len(runs[0]["final"]) > 3  # everything is still there in --json
