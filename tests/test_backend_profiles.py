"""Backend profiles that extend one another (`[backend] extends`, salbench.catalogue): the
child's settings over the parent's, nested tables key by key, chains, and one-line refusals
for unknown parents and cycles."""

from __future__ import annotations

import pytest

from salbench.catalogue import ConfigError, load_backend_profile
from salbench.runner.backend_sources import resolve_backend


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    """A lab catalogue: backends/NAME.toml in the current directory (searched first)."""
    folder = tmp_path / "backends"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)

    def write(name: str, text: str):
        path = folder / f"{name}.toml"
        path.write_text(text)
        return path

    return write


def test_a_chain_merges_settings_and_nested_tables_key_by_key(catalogue):
    catalogue("lab-base", '[backend]\nadapter = "nest"\ndescription = "base"\n'
                          '[settings]\ntimestep_ms = 0.1\ndelay_ms = 1.0\n'
                          '[settings.unit]\nv_reset = -54.0\nv_thresh = -50.0\n')
    catalogue("lab-mid", '[backend]\nextends = "lab-base"\n[settings]\ndelay_ms = 0.5\n')
    catalogue("lab-leaf", '[backend]\nextends = "lab-mid"\ndescription = "leaf"\n'
                          '[settings.unit]\nv_reset = -52.0\n')
    leaf = load_backend_profile(catalogue("lab-leaf2", '[backend]\nextends = "lab-leaf"\n'))
    assert leaf.chain == ("lab-leaf2", "lab-leaf", "lab-mid", "lab-base")
    assert leaf.adapter == "nest" and leaf.description == "leaf"        # [backend] inherited
    assert leaf.settings == {"timestep_ms": 0.1, "delay_ms": 0.5,
                             "unit": {"v_reset": -52.0, "v_thresh": -50.0}}
    source = resolve_backend("lab-leaf")                # what run, list and calibrate see
    assert source.adapter == "nest" and source.settings == leaf.settings


def test_unset_drops_an_inherited_setting(catalogue):
    catalogue("lab-base", '[backend]\nadapter = "nest"\n[settings]\ntimestep_ms = 0.1\n'
                          '[settings.unit]\nv_reset = -54.0\nv_thresh = -50.0\n')
    child = load_backend_profile(catalogue(
        "lab-child", '[backend]\nextends = "lab-base"\nunset = ["unit.v_reset"]\n'))
    assert child.settings == {"timestep_ms": 0.1, "unit": {"v_thresh": -50.0}}
    whole = load_backend_profile(catalogue(
        "lab-whole", '[backend]\nextends = "lab-base"\nunset = ["unit"]\n'
                     '[settings.unit]\nv_reset = -51.0\n'))
    assert whole.settings == {"timestep_ms": 0.1, "unit": {"v_reset": -51.0}}


BAD = [
    ('[backend]\nextends = "no-such"\n', "extends unknown backend profile 'no-such'"),
    ('[backend]\nextend = "lab-base"\n', "unknown key 'extend' in [backend]"),
    ('[backend]\nextends = "lab-base"\nunset = ["unit.tau_m"]\n', "'unit.tau_m'"),
    ('[backend]\nunset = ["unit"]\n', "unset needs extends"),
    ('[backend]\nextends = 3\n', "extends must be a string"),
]


@pytest.mark.parametrize(("text", "needle"), BAD, ids=[n for _, n in BAD])
def test_bad_inheritance_is_one_config_error_line(catalogue, text, needle):
    catalogue("lab-base", '[backend]\nadapter = "nest"\n[settings.unit]\nv_reset = -54.0\n')
    path = catalogue("lab-bad", text)
    with pytest.raises(ConfigError) as err:
        load_backend_profile(path)
    assert needle in str(err.value) and "lab-bad.toml" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_cycle_is_refused_naming_the_profiles(catalogue):
    catalogue("lab-a", '[backend]\nadapter = "nest"\nextends = "lab-b"\n')
    catalogue("lab-b", '[backend]\nextends = "lab-c"\n')
    catalogue("lab-c", '[backend]\nextends = "lab-a"\n')
    with pytest.raises(ConfigError, match=r"cycle \(lab-a -> lab-b -> lab-c -> lab-a\)"):
        resolve_backend("lab-a")
    catalogue("lab-self", '[backend]\nextends = "lab-self"\n')
    with pytest.raises(ConfigError, match=r"cycle \(lab-self -> lab-self\)"):
        resolve_backend("lab-self")


def test_the_cli_reports_an_unknown_parent_in_one_line_exit_2(cli, tmp_path):
    profile = tmp_path / "mine.toml"
    profile.write_text('[backend]\nextends = "bss3"\n')
    res = cli("run", "pair", "--backend", str(profile), "--store", str(tmp_path / "s.sqlite"))
    assert res.code == 2 and "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "mine.toml extends unknown backend profile 'bss3'" in lines[0]
    assert not (tmp_path / "s.sqlite").exists()


def test_default_run_leaves_out_the_single_effect_ablation_profiles():
    """`salbench run` without --backend runs the real configurations (bss2-ideal and bss2
    included); the single-effect profiles come only with --ablation hardware."""
    from salbench.catalogue import ablation_profiles
    from salbench.runner.backend_sources import usable_backends

    default = usable_backends()
    single = [b for b in ablation_profiles("hardware") if b not in ("bss2", "bss2-ideal")]
    assert single and not set(single) & set(default)
    assert {"bss2", "bss2-ideal", "reference"} <= set(default)
    assert set(single) <= set(usable_backends(include_ablation=True))
