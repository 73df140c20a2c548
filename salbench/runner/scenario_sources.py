"""Scenarios: a catalogue name, a `salbench.scenarios` entry point or a TOML file, resolved
to its protocol and its own parameters, profiles and sweep.

Scenario TOML layout (see scenarios/pair.toml):

    [scenario]
    protocol = "pair"            # a `salbench.scenarios` entry point
    label = "..."                # one line for listings and reports
    [params]                     # protocol parameters (validated by its Params model)
    [profiles.quick]             # overrides of [params]; `timeout_s` is the run time limit
    [profiles.paper]
    [sweep]                      # optional: parameter = [values], one run per combination
    [margins]                    # optional: equivalence margins over the protocol's own,
                                 # METRIC = 0.05 (absolute) or "25%" (relative); see
                                 # salbench.margins
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salbench.catalogue import catalogue_files, only_keys, read_toml
from salbench.margins import Margin, MarginError, parse_margins
from salbench.protocols.base import ScenarioProtocol
from salbench.registry import scenario_entry_points
from salbench.runner.errors import ConfigError


@dataclass(frozen=True)
class ScenarioSource:
    name: str
    label: str
    description: str
    protocol: str  # entry point name
    target: str  # "module:Class" of the protocol
    params: dict[str, Any]
    profiles: dict[str, dict[str, Any]]
    sweep: dict[str, list[Any]]
    path: str | None
    #: the protocol's equivalence margins, then the TOML's [margins] over them
    margins: dict[str, Margin] = field(default_factory=dict)


def scenario_sources() -> dict[str, ScenarioSource | str]:
    """Every scenario name known here -> its source, or the error loading it."""
    names: dict[str, ScenarioSource | str] = {}
    for name in scenario_entry_points():
        names[name] = name
    for name, path in catalogue_files("scenarios").items():
        names[name] = str(path)
    out: dict[str, ScenarioSource | str] = {}
    for name in sorted(names):
        try:
            out[name] = resolve_scenario(name)
        except ConfigError as err:
            out[name] = str(err)
    return out


def protocol_class(protocol: str, where: str) -> tuple[type[ScenarioProtocol], str]:
    """The protocol class of entry point `protocol` and its "module:Class" target."""
    eps = scenario_entry_points()
    if protocol not in eps:
        raise ConfigError(
            f"unknown protocol '{protocol}' in {where}; known: {sorted(eps)}"
        )
    try:
        cls = eps[protocol].load()
    except Exception as err:  # a broken third-party plugin must not crash salbench list
        raise ConfigError(f"scenario plugin '{protocol}' failed to load: {err}") from None
    return cls, eps[protocol].value


def resolve_scenario(ref: str) -> ScenarioSource:
    """A catalogue name, an entry point name, or a path to a TOML file."""
    path: Path | None = None
    if ref.endswith(".toml") or "/" in ref:
        path = Path(ref)
        if not path.is_file():
            raise ConfigError(f"scenario file '{ref}' does not exist")
    elif ref in catalogue_files("scenarios"):
        path = catalogue_files("scenarios")[ref]
    if path is None:
        if ref not in scenario_entry_points():
            known = sorted(set(catalogue_files("scenarios")) | set(scenario_entry_points()))
            raise ConfigError(
                f"unknown scenario '{ref}'; choose one of {known} or give a TOML file path"
            )
        cls, target = protocol_class(ref, "entry points")
        return ScenarioSource(ref, cls.description, cls.description, ref, target, {},
                              {k: dict(v) for k, v in cls.profiles.items()}, {}, None,
                              dict(cls.margins))
    data = read_toml(path, "scenario")
    where = f"scenario file {path.name}"
    only_keys(data, {"scenario", "params", "profiles", "sweep", "margins"}, where)
    head = data.get("scenario", {})
    only_keys(head, {"protocol", "label", "description"}, f"[scenario] of {path.name}")
    protocol = head.get("protocol")
    if not isinstance(protocol, str):
        raise ConfigError(f"{where} needs [scenario] protocol = \"NAME\" (e.g. \"pair\")")
    cls, target = protocol_class(protocol, where)
    profiles = {k: dict(v) for k, v in cls.profiles.items()}
    for name, table in data.get("profiles", {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"[profiles.{name}] in {path.name} must be a table")
        profiles[name] = {**profiles.get(name, {}), **table}
    sweep = data.get("sweep", {})
    for key, values in sweep.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"[sweep] {key} in {path.name} must be a non-empty list")
    try:
        margins = {**cls.margins, **parse_margins(data.get("margins", {}),
                                                  f"[margins] of {path.name}:")}
    except MarginError as err:
        raise ConfigError(str(err)) from None
    label = head.get("label", cls.description)
    return ScenarioSource(path.stem, label, head.get("description", label), protocol, target,
                          data.get("params", {}), profiles, sweep, str(path), margins)
