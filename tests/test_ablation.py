"""The hardware ablation as a user runs it: one command, one profile per hardware effect,
and the report's section on what each costs."""

from __future__ import annotations

import re

from helpers import stored_runs

from salbench.catalogue import ablation_profiles, catalogue_files, load_backend_profile

SINGLE = {"bss2-quant": "quantisation", "bss2-fpn": "fixed-pattern noise",
          "bss2-sensors": "sensor mismatch", "bss2-adc": "ADC", "bss2-noise": "membrane noise",
          "bss2-delay": "synaptic delay"}


def _hardware(name: str) -> dict:
    return load_backend_profile(catalogue_files("backends")[name]).settings["hardware"]


def test_each_profile_is_bss2_ideal_plus_one_effect():
    """Every single-effect profile differs from bss2-ideal only in its own effect's settings,
    and together they hold every hardware setting in which bss2 differs from bss2-ideal."""
    names = ablation_profiles()
    assert names[0] == "bss2-ideal" and names[-1] == "bss2" and set(names[1:-1]) == set(SINGLE)
    ideal, chip = _hardware("bss2-ideal"), _hardware("bss2")
    explained: set[str] = set()
    for name in SINGLE:
        hw = _hardware(name)
        changed = {k for k in set(hw) | set(ideal) if hw.get(k) != ideal.get(k)}
        assert changed, name
        assert all(hw[k] == chip.get(k, 0.0) for k in changed), name  # bss2's own values
        assert not explained & changed, f"{name} repeats another profile's effect"
        explained |= changed
    assert {k for k in chip if chip[k] != ideal.get(k, chip[k])} <= explained
    assert load_backend_profile(catalogue_files("backends")["bss2-fpn"]).settings["unit"] == \
        {"v_reset": -54.0}  # the reset that fixed-pattern noise needs, as on bss2


def test_ablation_command_runs_every_effect_and_reports_it(cli, tmp_path):
    store, report = tmp_path / "abl.sqlite", tmp_path / "abl.html"
    out = cli("run", "pair", "--ablation", "hardware", "--seeds", "1", "--set", "epochs=2",
              "--set", "epoch_ms=100", "--jobs", "2", "--store", str(store),
              "--report", str(report))
    assert out.code == 0, out.stderr
    runs = stored_runs(store)
    assert sorted(r["backend"] for r in runs) == sorted(ablation_profiles())
    html = report.read_text()
    start = html.index('id="hardware-effects"')
    part = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:html.index("</section>",
                                                                            start)]))
    assert "What each hardware effect costs" in part
    for effect in ("none", *SINGLE.values(), "all"):
        assert f" {effect} " in part, effect
    out = cli("run", "pair", "--ablation", "software", "--store", str(store))
    assert out.code == 2 and "invalid choice" in out.stderr
