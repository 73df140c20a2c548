"""Where the TOML catalogues (`scenarios/`, `backends/`) are found, and how a backend profile
is read.

In a source checkout they sit at the top level of the repository; in an installed wheel they
are shipped inside the package as `salbench/_catalogue/`. A `scenarios/` or `backends/`
folder in the current directory is searched first, so a lab can keep its own catalogue.

A backend profile (`backends/NAME.toml`) may extend another profile of the catalogue:

    [backend]
    extends = "bss2"         # the parent's name; chains are allowed, cycles are refused
    unset = ["unit"]         # optional: settings of the parent not inherited (dotted paths)
    description = "..."
    effect = "quantisation"  # optional: this profile's place in the hardware ablation
    [settings]               # merged over the parent's, nested tables key by key
    profile = "my-chip"

`[backend]` is inherited too (the adapter, and the description unless the child gives one),
except `effect`: it names what this one profile adds to the ablation's baseline (`none`,
bss2-ideal) and means nothing for a profile extending it. `salbench run --ablation
hardware` runs every profile of the catalogue that has one (:func:`ablation_profiles`).
:func:`load_backend_profile` is the one reader of profile files: every command (and the bss2
emulator's own `load_profile`) sees the same resolved settings.

This module needs nothing beyond the standard library, so the bss2 emulator (a PyNN module
of its own) can read profiles without importing the runner.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent

#: tables of a backend profile file, and the keys of its [backend] table
PROFILE_TABLES = frozenset({"backend", "settings"})
BACKEND_KEYS = frozenset({"adapter", "description", "extends", "unset", "effect"})
#: the hardware ablation's baseline effect name (bss2-ideal), and the ablations there are
ABLATION_BASELINE = "none"
ABLATIONS = ("hardware",)
#: the order of the shipped effects in commands and reports (others follow by name)
EFFECT_ORDER = ("none", "quantisation", "fixed-pattern noise", "sensor mismatch", "ADC",
                "membrane noise", "synaptic delay", "all")


def effect_rank(effect: str) -> tuple[int, str]:
    if effect in EFFECT_ORDER:
        return (EFFECT_ORDER.index(effect) if effect != "all" else 10_000, effect)
    return (len(EFFECT_ORDER) - 1, effect)  # after the shipped single effects, before all


class ConfigError(ValueError):
    """Bad configuration: reported as one line, exit code 2, nothing run."""


def catalogue_dirs(kind: str) -> list[Path]:
    """Folders holding `kind` ('scenarios' or 'backends') TOML files, most specific first."""
    candidates = [Path.cwd() / kind, _PACKAGE.parent / kind, _PACKAGE / "_catalogue" / kind]
    seen: list[Path] = []
    for path in candidates:
        if path.is_dir() and path.resolve() not in seen:
            seen.append(path.resolve())
    return seen


def catalogue_files(kind: str) -> dict[str, Path]:
    """name -> TOML path; earlier folders shadow later ones."""
    found: dict[str, Path] = {}
    for folder in reversed(catalogue_dirs(kind)):
        for path in sorted(folder.glob("*.toml")):
            found[path.stem] = path
    return found


# -- reading ------------------------------------------------------------------------------
def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file's tables; every problem is one ConfigError line naming the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{what} file {path} is not valid TOML ({err}); fix its syntax") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{what} file {path} is not UTF-8 text (byte {err.start}); save it "
                          "as UTF-8") from None
    except OSError as err:
        raise ConfigError(f"cannot read {what} file {path}: {err.strerror}") from None


def only_keys(table: dict[str, Any], allowed: set[str] | frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"unknown key '{unknown[0]}' in {where}; allowed: {sorted(allowed)}")


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`; tables present in both are merged key by key."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# -- backend profiles ---------------------------------------------------------------------
@dataclass(frozen=True)
class BackendProfile:
    """A backend profile file with its parents resolved."""

    name: str  # the file's stem
    path: Path
    adapter: str  # [backend] adapter (inherited; default: the file's stem)
    description: str
    settings: dict[str, Any]  # [settings], merged over the parents'
    chain: tuple[str, ...]  # this profile's name, then its parent's, grandparent's...
    effect: str = ""  # [backend] effect: its place in the hardware ablation (not inherited)


def load_backend_profile(path: Path) -> BackendProfile:
    """Read a backend profile file and resolve its `extends` chain (ConfigError, one line)."""
    return _load_profile(Path(path), ())


def _load_profile(path: Path, below: tuple[Path, ...]) -> BackendProfile:
    data = read_toml(path, "backend profile")
    where = f"backend profile {path.name}"
    only_keys(data, PROFILE_TABLES, where)
    head = data.get("backend", {})
    settings = data.get("settings", {})
    if not isinstance(head, dict) or not isinstance(settings, dict):
        bad = "backend" if not isinstance(head, dict) else "settings"
        raise ConfigError(f"{where}: '{bad}' must be a table ([{bad}])")
    only_keys(head, BACKEND_KEYS, f"[backend] of {path.name}")
    for key in ("adapter", "description", "extends", "effect"):
        if key in head and not isinstance(head[key], str):
            raise ConfigError(f"{where}: [backend] {key} must be a string, got {head[key]!r}")
    unset = head.get("unset", [])
    if not isinstance(unset, list) or not all(isinstance(k, str) and k for k in unset):
        raise ConfigError(f"{where}: [backend] unset must be a list of setting names "
                          f"(e.g. [\"unit\"]), got {unset!r}")
    parent_name = head.get("extends")
    if parent_name is None:
        if unset:
            raise ConfigError(f"{where}: [backend] unset needs extends (it names settings "
                              "of the parent not to inherit)")
        return BackendProfile(path.stem, path, head.get("adapter", path.stem),
                              head.get("description", ""), settings, (path.stem,),
                              head.get("effect", ""))
    known = catalogue_files("backends")
    if parent_name not in known:
        raise ConfigError(f"{where} extends unknown backend profile '{parent_name}'; "
                          f"profiles in the catalogue: {sorted(known)}")
    parent_path = known[parent_name]
    chain = (*below, path.resolve())
    if parent_path.resolve() in chain:
        names = [p.stem for p in chain] + [parent_path.stem]
        raise ConfigError(f"{where}: backend profiles extend each other in a cycle "
                          f"({' -> '.join(names)}); one of them must not extend")
    parent = _load_profile(parent_path, chain)
    inherited = parent.settings
    for dotted in unset:
        inherited = _without(inherited, dotted.split("."), dotted, where, parent.name)
    return BackendProfile(path.stem, path, head.get("adapter", parent.adapter),
                          head.get("description", parent.description),
                          deep_merge(inherited, settings), (path.stem, *parent.chain),
                          head.get("effect", ""))


def _without(settings: dict[str, Any], parts: list[str], dotted: str, where: str,
             parent: str) -> dict[str, Any]:
    """`settings` without the (nested) key `parts`; ConfigError if the parent has none."""
    node = settings.get(parts[0])
    if parts[0] not in settings or (len(parts) > 1 and not isinstance(node, dict)):
        raise ConfigError(f"{where}: [backend] unset names '{dotted}', which backend profile "
                          f"'{parent}' does not set")
    out = dict(settings)
    if len(parts) == 1:
        del out[parts[0]]
    else:
        assert isinstance(node, dict)
        out[parts[0]] = _without(node, parts[1:], dotted, where, parent)
    return out


def ablation_profiles(ablation: str = "hardware") -> list[str]:
    """The catalogue's profiles of an ablation: the baseline (effect "none") first, then one
    profile per single effect, then "all" (the whole chip). ConfigError if it has none."""
    if ablation not in ABLATIONS:
        raise ConfigError(f"unknown ablation '{ablation}'; choose one of {list(ABLATIONS)}")
    effects: dict[str, str] = {}
    for name, path in catalogue_files("backends").items():
        effect = load_backend_profile(path).effect
        if effect:
            effects[name] = effect
    if ABLATION_BASELINE not in effects.values():
        raise ConfigError(f"the {ablation} ablation needs a backend profile with [backend] "
                          f"effect = \"{ABLATION_BASELINE}\" (bss2-ideal) in the catalogue")
    return sorted(effects, key=lambda n: (effect_rank(effects[n]), n))
