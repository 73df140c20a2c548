"""The HTML report, as a user gets it: from a real store (reference backend) and from
synthetic stores with known content (sweeps, failures, hostile labels, a baseline)."""

from __future__ import annotations

import json
import re
import shlex
from html import unescape
from pathlib import Path

import pytest
from helpers import run_cli, stored_runs
from synthetic_runs import fill_store, synthetic_run, synthetic_store

from salbench.report.html import render
from salbench.report.model import build_sections
from salbench.store import Store


def _text(html: str) -> str:
    """Visible text (tags stripped, entities decoded), for assertions on what a reader sees."""
    body = re.sub(r"<(script|style|title)\b.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"</?(b|i|a|span|code|small)\b[^>]*>", "", body)  # inline: no gap
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _section(html: str, ident: str) -> str:
    """Visible text of one <section id=...> of the report."""
    start = re.search(f'<section[^>]* id="{ident}"', html).start()
    return _text(html[start:html.index("</section>", start)])


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory) -> Path:
    """One seed of the authors' demo on the reference backend (shortened: 40 epochs)."""
    tmp = tmp_path_factory.mktemp("refstore")
    store = tmp / "ref.sqlite"
    out = run_cli("run", "pair-demo", "--backend", "reference", "--seeds", "1", "--set",
                  "epochs=40", "--store", str(store), cwd=tmp)
    assert out.code == 0, out.stderr
    return store


def test_report_of_real_runs_has_every_part(reference_store, tmp_path, capsys):
    from salbench.cli.main import main

    assert main(["report", "--store", str(reference_store), "--out",
                 str(tmp_path / "r.html")]) == 0
    assert capsys.readouterr().out.strip() == str((tmp_path / "r.html").resolve())
    html = (tmp_path / "r.html").read_text()
    text = _text(html)
    for heading in ("1 Overview", "2 pair-demo", "Final metrics", "Convergence against "
                    "biological time", "Distributions of the final metrics", "3 Runtime",
                    "Provenance", "Resolved configurations and commands"):
        assert heading in text, heading
    store = Store(reference_store)
    runs = [r.__dict__ for r in store.runs()]
    store.close()
    # the overview shows the headline metric of the stored run
    mean = sum(r["final"]["asymmetry"] for r in runs) / len(runs)
    assert f"{mean:.3g}" in text
    # one convergence plot per series metric, plus one strip plot per final metric
    n_series = len([k for k in runs[0]["series"] if k != "t_ms"])
    n_final = len(runs[0]["final"])
    assert html.count("<svg") >= n_series + n_final + 1  # + the phase bars
    # provenance: git commit and the simulator version of the reference backend
    assert runs[0]["provenance"]["git_commit"] in text
    assert "numba" in text
    assert "No two backends" not in text and "holds no runs" not in text


def _commands(html: str) -> list[list[str]]:
    return [shlex.split(unescape(m)) for m in re.findall(r'<code class="cmd">(.*?)</code>', html)]


def test_reproduce_command_resolves_to_the_same_cell(tmp_path):
    """Every run's command, parsed by the real CLI and expanded by the real config code,
    gives a cell with the stored run's key (same scenario, params, backend settings, seed)."""
    from salbench.cli.main import build_parser
    from salbench.runner.cells import expand_cells

    store = Store(tmp_path / "c.sqlite")
    stored = {}
    for cell in expand_cells(["pair-demo"], ["reference"], 2, "quick",
                             ["epochs=7", "sweep.eta=0.01,0.02"]):
        record = synthetic_run("pair-demo", "reference", cell.seed, sweep=cell.sweep)
        record.cell_key, record.config = cell.key, cell.to_json()
        store.add(record)
        stored[cell.key] = record
    html = render(store)
    parser, _ = build_parser()
    found = set()
    for argv in {tuple(a) for a in _commands(html)}:
        assert argv[0] == "salbench"
        args = parser.parse_args(list(argv[1:]))
        cells = expand_cells(args.scenarios, args.backend, args.seeds, args.profile,
                             args.overrides, args.timeout)
        found |= {c.key for c in cells} & set(stored)
    assert found == set(stored)


@pytest.mark.slow
def test_reproduce_command_reproduces_the_run(cli, reference_store, tmp_path):
    """The command printed for a run, executed, gives the same final metrics (the
    reference backend is deterministic for a seed)."""
    store = Store(reference_store)
    (run,) = store.runs()
    store.close()
    html = render(Store(reference_store))
    cmd = next(unescape(m) for m in re.findall(r'<code class="cmd">(.*?)</code>', html)
               if " --seeds 1 " in unescape(m))
    args = shlex.split(cmd)
    assert args[:3] == ["salbench", "run", "pair-demo"]
    assert "epochs=40" in args  # the --set override of the original run is spelled out
    again = tmp_path / "again.sqlite"
    out = cli(*args[1:], "--store", str(again))
    assert out.code == 0, out.stderr
    (shown,) = stored_runs(again)
    assert shown["final"] == pytest.approx(run.final, rel=1e-12)
    rerun_store = Store(again)
    (rerun,) = rerun_store.runs()
    rerun_store.close()
    assert rerun.config["params"] == run.config["params"]
    assert rerun.series["asymmetry"] == pytest.approx(run.series["asymmetry"], rel=1e-12)


def test_labels_and_config_text_are_escaped(tmp_path):
    store = Store(tmp_path / "x.sqlite")
    evil = '<script>alert("x")</script>'
    for seed in range(2):
        store.add(synthetic_run("evil<img src=x onerror=alert(1)>", "nest", seed, label=evil,
                                sweep={"mode": "<b>bold</b>"}))
        store.add(synthetic_run("evil<img src=x onerror=alert(1)>", "neuron<i>", seed,
                                label=evil, sweep={"mode": "<b>bold</b>"}))
    html = render(store)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "<b>bold</b>" not in html and "neuron<i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert evil in _text(html)  # shown to the reader as text
    # exactly one script element: the report's own sort script
    assert len(re.findall(r"<script\b", html)) == 1


def test_empty_store_says_so(tmp_path):
    html = render(Store(tmp_path / "empty.sqlite"))
    text = _text(html)
    assert "The store holds no runs yet" in text
    assert "0 runs" in text
    assert "<svg" not in html


def test_partial_store_says_so_and_lists_failures(tmp_path):
    store = Store(tmp_path / "p.sqlite")
    store.add(synthetic_run("pair", "nest", 0))
    store.add(synthetic_run("pair", "nest", 1, status="timeout"))
    store.add(synthetic_run("only-failed", "neuron", 0, status="failed"))
    text = _text(render(store))
    assert "Partial results: 2 of 3 runs did not finish ok ( 1 failed; 1 timeout)" in text
    assert "No run of this scenario finished ok" in text
    assert "RuntimeError: synthetic timeout" in text and "RuntimeError: synthetic failed" in text
    assert "1/2 ok" in text and "0/1 ok" in text


def test_verdicts_in_words(tmp_path):
    """Two backends with the same asymmetry floor are equivalent within the pair protocol's
    margin (±0.05); one with 10x the floor differs; the overview says both in words."""
    store = Store(tmp_path / "a.sqlite")
    for seed in range(6):
        store.add(synthetic_run("pair", "nest", seed))
        store.add(synthetic_run("pair", "neuron", seed, floor_scale=0.02 / 0.022))
        store.add(synthetic_run("pair", "bss2", seed, floor_scale=10 * 0.02 / 0.06))
    (section,) = build_sections(list(store.runs()))
    rows = {(a.a, a.b): a for a in section.agreement() if a.metric == "asymmetry"}
    assert rows[("nest", "neuron")].verdict == "equivalent"
    assert rows[("bss2", "nest")].verdict == "different"
    assert rows[("bss2", "nest")].diff.diff == pytest.approx(-0.18, abs=0.02)
    html = render(store)
    text = _text(html)
    assert re.search(r"nest and neuron are equivalent on asymmetry \([^)]*within ±0\.05, "
                     r"TOST p [<=] 0\.0", text)
    assert re.search(r"bss2 and nest differ on asymmetry \([^)]*p [<=] 0\.0", text)
    overview = html.split('id="overview-verdicts"', 1)[1].split("</section>", 1)[0]
    assert "asymmetry: 1 equivalent, 2 different." in _text(overview)
    assert " agree " not in text


def test_sweeps_runtime_and_hardware_time(tmp_path):
    store = synthetic_store(tmp_path / "s.sqlite", 200)
    html = render(store)
    text = _text(html)
    assert "Effect of the swept and varied settings" in text
    assert 'aria-label="asymmetry"' in html
    assert "against sigma_syn" in text and "against sal" in text
    assert "Scaling: wall time per run against n_units" in text
    # bss2 runs carry the emulated hardware time: bio 100 s at 1000x = 0.1 s
    runtime = _section(html, "runtime")
    # bss2 row: ok runs, bio s, wall, real-time factor, peak MB, hardware s, emulator s, ratio
    row = re.search(r"bss2 sal=True, sigma_syn=0.0 4 100 ([\d.]+) ± [\d.]+ ([\d.]+) ± [\d.]+ "
                    r"[\d.]+ ± 0 0\.1 ± 0 60 ± 0 600×", runtime)
    assert row, runtime[:800]
    wall, rtf = (float(v) for v in row.groups())
    assert rtf == pytest.approx(wall / 100, rel=0.01)
    assert re.search(r"nest sal=True, sigma_syn=0.0 5 100 [\d.]+ ± [\d.]+ [\d.]+ ± [\d.]+ "
                     r"[\d.]+ ± 0 – – –", runtime)


def test_hardware_time_absent_is_a_dash(tmp_path):
    store = Store(tmp_path / "h.sqlite")
    run = synthetic_run("pair", "bss2", 0)
    run.provenance["backend"].pop("hardware_time_s")  # as from an adapter without it
    run.provenance["backend"].pop("emulator_wall_time_s")
    store.add(run)
    runtime = _section(render(store), "runtime")
    assert re.search(r"bss2 1 100 [\d.]+ [\d.]+ [\d.]+ – – –", runtime), runtime[:400]


def test_benchmark_section(tmp_path):
    bench = tmp_path / ".benchmarks" / "Linux-CPython-3.11-64bit"
    bench.mkdir(parents=True)
    for i, mean in enumerate((0.010, 0.013)):
        (bench / f"000{i + 1}_x.json").write_text(json.dumps({
            "machine_info": {"node": "vm", "cpu": {"brand_raw": "Xeon"}},
            "commit_info": {"id": "abcdef123456789", "dirty": False},
            "datetime": f"2026-01-0{i + 1}T00:00:00",
            "benchmarks": [{"fullname": "tests/benchmarks/test_x.py::test_fast", "group": None,
                            "stats": {"mean": mean, "stddev": 0.001, "min": 0.009,
                                      "median": mean, "rounds": 5},
                            "extra_info": {"rate": 5e6}}]}))
    (bench / "junk.json").write_text("{not json")
    store = synthetic_store(tmp_path / "b.sqlite", 20)
    text = _text(render(store, benchmarks=tmp_path / ".benchmarks"))
    assert "Benchmarks (pytest-benchmark)" in text
    assert "tests/benchmarks/test_x.py::test_fast 13 ms" in text
    assert "+30.0 %" in text  # against the earlier save
    assert "junk.json: not a pytest-benchmark file" in text


def test_report_cli_with_baseline_marks_regressions(tmp_path, capsys):
    from salbench.cli.main import main

    base = synthetic_store(tmp_path / "base.sqlite", 60)
    base.close()
    new = Store(tmp_path / "new.sqlite")
    fill_store(new, 60, time_scale=1.5)
    new.close()
    code = main(["report", "--store", str(tmp_path / "new.sqlite"), "--baseline",
                 str(tmp_path / "base.sqlite"), "--out", str(tmp_path / "r.html")])
    assert code == 0, capsys.readouterr().err
    html = (tmp_path / "r.html").read_text()
    text = _text(html)
    assert "Regression view against the baseline" in text
    assert re.search(r"Regression: \d+ comparisons against the baseline crossed", text)
    worse = re.findall(r'<tr class="worse"><td class="l">(.*?)</td><td class="l">(.*?)</td>', html)
    assert worse and {m for _, m in worse} == {"runtime"}
    # nothing else changed: the headline metric is never marked
    assert not re.search(r'<tr class="(worse|changed)"><td class="l">[^<]*</td>'
                         r'<td class="l">asymmetry</td>', html)


def test_odd_records_do_not_crash(tmp_path):
    """Records from plugins or older versions: non-numeric finals, ragged series, missing
    timings and provenance, list-valued sweep points, no main metric."""
    from salbench.store import RunRecord

    store = Store(tmp_path / "odd.sqlite")
    for seed in range(3):
        store.add(RunRecord(
            cell_key=f"k{seed}", scenario="plugin", label="third-party", protocol="x",
            profile="quick", backend="mine", adapter="mine", seed=seed, status="ok",
            sweep={"sizes": [2, 3]}, final={"score": seed * 1.0, "text": "n/a", "flag": True,
                                            "vec": [1, 2], "nan": float("nan")},
            series={"t_ms": [0, 1, 2], "score": [1.0, None], "other": [1, 2, 3]},
            notes={}, provenance={}, timings={}, wall_s=None, bio_time_ms=None))
    html = render(store)
    text = _text(html)
    assert "plugin" in text and "score" in text
    heads = re.search(r'<table class="sortable final">.*?</thead>', html, re.S).group(0)
    assert "score" in heads and "nan" not in heads  # numbers only (NaN alone is no metric)
    assert not any(f"<th>{k}</th>" in heads for k in ("text", "flag", "vec"))
    assert "sizes=[2, 3]" in _section(html, "s-plugin-quick")
    assert 'aria-label="other"' in html  # the well-formed series is still plotted


def _effect_run(backend: str, effect: str, seed: int, floor_scale: float):
    run = synthetic_run("pair", backend, seed, floor_scale=floor_scale)
    run.config["effect"] = effect
    return run


def test_hardware_effects_section(tmp_path):
    """One row per effect against bss2-ideal, with CIs and the verdicts: a costly effect
    differs, a harmless one is equivalent."""
    store = Store(tmp_path / "a.sqlite")
    for seed in range(6):
        store.add(_effect_run("bss2-ideal", "none", seed, 1 / 3))  # floor 0.02
        store.add(_effect_run("bss2-adc", "ADC", seed, 1 / 3))
        store.add(_effect_run("bss2-quant", "quantisation", seed, 4.0))  # floor 0.24
        store.add(_effect_run("bss2", "all", seed, 4.0))
    html = render(store)
    part = _section(html, "hardware-effects")
    assert "What each hardware effect costs" in part
    rows = re.findall(r"(none|quantisation|ADC|all) (bss2\S*) 6/6 (\S+ ± \S+) ?(\S+ \[\S+, \S+\])?"
                      r" ?(equivalent|different|inconclusive|baseline)", part)
    assert [(r[0], r[1], r[4]) for r in rows] == [
        ("none", "bss2-ideal", "baseline"), ("quantisation", "bss2-quant", "different"),
        ("ADC", "bss2-adc", "equivalent"), ("all", "bss2", "different")]
    assert "hardware effect (each alone on bss2-ideal; all = bss2)" in part  # the plot
    assert 'href="#hardware-effects"' in html


def test_varied_settings_are_dimensions(tmp_path):
    """Runs of one scenario made with another --set value (here the unit's noise model) are
    grouped and compared by it, and the metric is drawn against it per backend."""
    store = Store(tmp_path / "a.sqlite")
    for seed in range(4):
        for backend in ("nest", "neuron"):
            for noise, scale in (("poisson", 1.0), ("white", 5.0)):
                run = synthetic_run("pair", backend, seed, floor_scale=scale)
                run.config["params"]["unit"] = {"noise": noise}
                store.add(run)
    (section,) = build_sections(list(store.runs()))
    assert section.sweep_keys == ["unit.noise"]
    assert section.points == ["unit.noise=poisson", "unit.noise=white"]
    assert {a.point for a in section.agreement()} == set(section.points)
    text = _text(render(store))
    assert "swept or varied over unit.noise (2 points)" in text
    assert "asymmetry against unit.noise" in text
    # settings that differ only between backends are not dimensions
    store2 = Store(tmp_path / "b.sqlite")
    for seed in range(2):
        for backend, v_reset in (("nest", -50.001), ("bss2", -54.0)):
            run = synthetic_run("pair", backend, seed)
            run.config["params"]["unit"] = {"v_reset": v_reset}
            store2.add(run)
    (section,) = build_sections(list(store2.runs()))
    assert section.sweep_keys == [] and section.points == [""]

def test_task_section_shows_accuracy_curves_gap_and_medians(tmp_path):
    """The `task` scenario's own section (issue 16): accuracy curves per backend and variant,
    the gap to backprop against the angle, and the medians table, from real (short) runs."""
    import dataclasses

    from salbench.backends.reference import ReferenceBackend
    from salbench.protocols.task import TaskParams, TaskProtocol

    store = Store(tmp_path / "task.sqlite")
    for scenario, feedback in (("task", "sal"), ("task-fa", "fixed")):
        for seed in (0, 1):
            backend = ReferenceBackend({"steps_per_tau_ref": 25})
            backend.setup(seed)
            params = TaskParams(feedback=feedback, epochs=3, early_epoch=2, sal_warmup_epochs=2,
                                sal_epochs_per_phase=1, spike_scale=1.5)
            result = TaskProtocol(params, seed).run(backend)
            base = synthetic_run(scenario, "reference", seed)
            store.add(dataclasses.replace(
                base, protocol="task", label=scenario, series=result.series,
                final=result.final, notes={**result.notes, "main_metric": "accuracy"}))
    html = render(store)
    store.close()
    text = _section(html, "task")
    assert "Does SAL-learned feedback train a network?" in text
    assert "reference, quick profile" in text
    assert "task (n = 2)" in html and "task-fa (n = 2)" in html  # one curve per variant
    assert "gap to backprop against the angle" in text
    start = html.index('<section id="task">')
    assert html[start:html.index("</section>", start)].count("<svg") == 2
    # the table: one row per variant
    assert text.count("reference quick task") == 2
    assert '<a href="#task">' in html


def test_settings_are_compared_within_each_backend(tmp_path):
    """A swept setting (here plasticity) gets a verdict per backend: its second value against
    its first, on the same runs and margin as the cross-backend table (an effect 8x the pair
    asymmetry margin differs, an unchanged one is equivalent)."""
    store = Store(tmp_path / "a.sqlite")
    for seed in range(6):
        for plasticity, scale in (("epoch", 1.0), ("online", 1.0)):
            store.add(synthetic_run("pair", "nest", seed, sweep={"plasticity": plasticity},
                                    floor_scale=scale))
        for plasticity, scale in (("epoch", 1.0), ("online", 15.0)):
            store.add(synthetic_run("pair", "neuron", seed, sweep={"plasticity": plasticity},
                                    floor_scale=scale))
    (section,) = build_sections(list(store.runs()))
    rows = {(a.point, a.a, a.b): a.verdict for a in section.setting_agreement()
            if a.metric == "asymmetry"}
    assert rows == {("nest", "plasticity=epoch", "plasticity=online"): "equivalent",
                    ("neuron", "plasticity=epoch", "plasticity=online"): "different"}
    text = _text(render(store))
    assert "Settings compared within each backend" in text
    assert "On nest: plasticity=epoch and plasticity=online are equivalent on asymmetry" in text
