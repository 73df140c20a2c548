"""`salbench compare A B`: the regression table and its exit code, for CI."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from synthetic_runs import fill_store, synthetic_run

from salbench.report.regression import ThresholdError, compare, parse_threshold
from salbench.store import Store


class _Out:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr


@pytest.fixture
def compare_cli(capsys):
    """`salbench compare ...` in this process (the subprocess path is tested once below):
    a fresh interpreter costs ~2 s, most of it importing scipy."""
    from salbench.cli.main import main

    def call(*args: str) -> _Out:
        capsys.readouterr()
        code = main(["compare", *args])
        out = capsys.readouterr()
        return _Out(code, out.out, out.err)

    return call


def _store(path: Path, n: int = 48, **scale: float) -> Path:
    store = Store(path)
    store.conn.execute("PRAGMA synchronous=OFF")
    fill_store(store, n, **scale)
    store.close()
    return path


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cmp")
    return {
        "base": _store(tmp / "base.sqlite"),
        "same": _store(tmp / "same.sqlite"),
        "slow": _store(tmp / "slow.sqlite", time_scale=1.5),
        "fast": _store(tmp / "fast.sqlite", time_scale=0.5),
        "worse": _store(tmp / "worse.sqlite", floor_scale=3.0),
    }


def test_identical_stores_pass(cli, stores):
    out = cli("compare", str(stores["base"]), str(stores["same"]))
    assert out.code == 0, out.stderr
    assert "0 crossed a threshold" in out.stderr


def test_slower_runtime_fails_with_a_table(compare_cli, stores):
    out = compare_cli(str(stores["base"]), str(stores["slow"]), "--fail-on", "runtime:+20%")
    assert out.code == 1, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if " runtime " in ln]
    assert lines and all("WORSE" in ln and "runtime:+20%" in ln for ln in lines)
    # the change is ~+50 % of the wall time minus the fixed 1 s start-up
    changes = [float(ln.split("%")[0].split()[-1]) for ln in lines]
    assert all(30 < c < 60 for c in changes), changes


def test_faster_runtime_is_an_improvement_not_a_failure(compare_cli, stores):
    out = compare_cli(str(stores["base"]), str(stores["fast"]), "--fail-on", "runtime:+20%")
    assert out.code == 0, out.stderr
    assert "better" in out.stdout and "WORSE" not in out.stdout


def test_metric_threshold_and_direction(compare_cli, stores):
    cli = compare_cli
    base, worse = str(stores["base"]), str(stores["worse"])
    out = cli(base, worse, "--fail-on", "asymmetry:+10%")
    assert out.code == 1, out.stderr
    assert "asymmetry" in out.stdout and "WORSE" in out.stdout
    # the same change read the other way round is an improvement
    out = cli(worse, base, "--fail-on", "asymmetry:+10%")
    assert out.code == 0, out.stderr
    # a threshold far beyond the change does not trip
    out = cli(base, worse, "--fail-on", "asymmetry:+1000%")
    assert out.code == 0, out.stderr


def test_bad_thresholds_are_usage_errors(compare_cli, stores):
    cli = compare_cli
    base, same = str(stores["base"]), str(stores["same"])
    out = cli(base, same, "--fail-on", "runtime+20%")
    assert out.code == 2 and "must look like METRIC:+10%" in out.stderr
    out = cli(base, same, "--fail-on", "dkl:+10%")  # a typo must not pass CI
    assert out.code == 2 and "names no compared metric: dkl" in out.stderr
    out = cli(base, str(stores["base"].parent / "missing.sqlite"))
    assert out.code == 2 and "no store" in out.stderr


def test_nothing_in_common_is_an_error(compare_cli, stores, tmp_path):
    cli = compare_cli
    other = Store(tmp_path / "other.sqlite")
    other.add(synthetic_run("elsewhere", "nest", 0))
    other.close()
    out = cli(str(stores["base"]), str(tmp_path / "other.sqlite"))
    assert out.code == 2 and "no configuration in common" in out.stderr


@pytest.mark.parametrize(("text", "sign", "amount", "relative"), [
    ("dkl:+10%", 1, 0.10, True), ("runtime:+20%", 1, 0.20, True),
    ("gradient_alignment:-0.05", -1, 0.05, False), ("rate_hz:+-5%", 0, 0.05, True),
    ("angle_deg*:2.5", None, 2.5, False),
])
def test_threshold_syntax(text, sign, amount, relative):
    th = parse_threshold(text)
    assert (th.sign, th.relative) == (sign, relative)
    assert th.amount == pytest.approx(amount)


@pytest.mark.parametrize("text", ["dkl", "dkl:", "dkl:+x%", ":+10%", "dkl:++10%"])
def test_threshold_syntax_errors(text):
    with pytest.raises(ThresholdError):
        parse_threshold(text)


def test_seed_noise_alone_does_not_cross(tmp_path):
    """Different seeds of the same configuration: changes beyond 10 % of a noisy metric
    are not flagged unless significant (Welch, alpha 0.05)."""
    a, b = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    for seed in range(5):
        a.add(synthetic_run("pair", "nest", seed, epochs=40))
        b.add(synthetic_run("pair", "nest", seed + 100, epochs=40))
    result = compare(list(a.runs()), list(b.runs()), ["asymmetry:+-1%"], alpha=0.05)
    (change,) = [c for c in result.changes if c.metric == "asymmetry"]
    assert abs(change.relative) > 0.01  # beyond the threshold ...
    assert change.diff.p >= 0.05 and change.status == "same"  # ... but within seed noise
    loose = compare(list(a.runs()), list(b.runs()), ["asymmetry:+-1%"], alpha=1.0)
    assert [c.status for c in loose.changes if c.metric == "asymmetry"] == ["changed"]


def test_default_thresholds_use_the_metric_direction(tmp_path):
    a, b = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    for seed in range(4):
        a.add(synthetic_run("pair", "nest", seed))
        b.add(synthetic_run("pair", "nest", seed, floor_scale=3.0))
    result = compare(list(a.runs()), list(b.runs()))
    status = {c.metric: c.status for c in result.changes}
    assert status["asymmetry"] == "worse"  # lower is better: rising is a regression
    assert status["decay_tau_ms"] == "same" and status["runtime"] == "same"
    assert not math.isnan(next(c.relative for c in result.changes if c.metric == "asymmetry"))


def _machine_store(path: Path, host: str, n_seeds: int = 4, **scale: float) -> Path:
    store = Store(path)
    for seed in range(n_seeds):
        run = synthetic_run("pair", "nest", seed, **scale)
        run.provenance["machine"]["hostname"] = host
        store.add(run)
    store.close()
    return path


def test_runtime_between_machines_is_refused_or_flagged(compare_cli, tmp_path):
    """As asv and pytest-benchmark keep results per machine: a store from another machine
    is compared on its metrics, not on its timings."""
    base = str(_machine_store(tmp_path / "a.sqlite", "lab-pc"))
    slow = str(_machine_store(tmp_path / "b.sqlite", "cluster-node", time_scale=1.5))
    out = compare_cli(base, slow)  # default thresholds include runtime:+20%
    assert out.code == 0, out.stderr
    assert "not compared: memory, runtime" in out.stderr and "cluster-node" in out.stderr
    assert "WORSE" not in out.stdout
    out = compare_cli(base, slow, "--fail-on", "runtime:+20%")  # asked for: refused
    assert out.code == 2 and "compares timings of different machines" in out.stderr
    out = compare_cli(base, slow, "--fail-on", "runtime:+20%", "--cross-machine")
    assert out.code == 1, out.stderr
    assert "[other machine]" in out.stdout and "cross-machine" in out.stderr
    # metrics are compared whatever the machine
    out = compare_cli(base, str(_machine_store(tmp_path / "c.sqlite", "cluster-node",
                                               floor_scale=3.0)), "--fail-on", "asymmetry:+10%")
    assert out.code == 1 and "asymmetry" in out.stdout


def test_compare_states_the_verdicts(compare_cli, tmp_path):
    base = str(_machine_store(tmp_path / "a.sqlite", "pc", n_seeds=6))
    same = str(_machine_store(tmp_path / "b.sqlite", "pc", n_seeds=6))
    worse = str(_machine_store(tmp_path / "c.sqlite", "pc", n_seeds=6, floor_scale=12.0))
    out = compare_cli(base, worse, "--all")
    (line,) = [ln for ln in out.stdout.splitlines() if " asymmetry " in ln]
    assert "different ±0.05" in line
    out = compare_cli(base, same, "--all")
    (line,) = [ln for ln in out.stdout.splitlines() if " asymmetry " in ln]
    assert "equivalent ±0.05" in line and "equivalent" in out.stderr
    # a margin given on the command line judges the same runs again
    out = compare_cli(base, worse, "--all", "--set", "margins.asymmetry=100%")
    (line,) = [ln for ln in out.stdout.splitlines() if " asymmetry " in ln]
    assert "±100 %" in line
    out = compare_cli(base, same, "--set", "epochs=3")
    assert out.code == 2 and "only margins.METRIC=VALUE" in out.stderr
