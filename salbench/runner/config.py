"""Configuration: scenario TOML + profile + `--set` overrides, merged and validated into
typed cells before anything runs. Every problem is a `ConfigError` with one clear line.

Scenario TOML layout (see scenarios/pair.toml):

    [scenario]
    protocol = "pair"            # a `salbench.scenarios` entry point
    label = "..."                # one line for listings and reports
    [params]                     # protocol parameters (validated by its Params model)
    [profiles.quick]             # overrides of [params]; `timeout_s` is the run time limit
    [profiles.paper]
    [sweep]                      # optional: parameter = [values], one run per combination
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from salbench.backends.base import Backend
from salbench.catalogue import (
    ConfigError,
    catalogue_files,
    deep_merge,
    load_backend_profile,
    only_keys,
    read_toml,
)
from salbench.protocols.base import ScenarioProtocol
from salbench.registry import backend_entry_points, scenario_entry_points
from salbench.spec.units import LIFUnitParams

DEFAULT_TIMEOUT_S = 600.0
RUNNER_KEYS = {"timeout_s"}


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


@dataclass(frozen=True)
class BackendSource:
    name: str
    adapter: str  # entry point name
    target: str  # "module:Class"
    description: str
    settings: dict[str, Any]  # the profile's [settings] over its parents' (see extends)
    path: str | None


@dataclass
class Cell:
    """One run: everything a child process needs, as plain data."""

    scenario: str
    label: str
    protocol: str
    protocol_target: str
    profile: str
    params: dict[str, Any]
    sweep: dict[str, Any]
    backend: str
    adapter: str
    adapter_target: str
    settings: dict[str, Any]
    seed: int
    timeout_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identity of the cell, so a resumed sweep skips what is already stored."""
        data = {k: v for k, v in asdict(self).items() if k not in ("timeout_s", "label")}
        blob = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- scenarios ----------------------------------------------------------------------------
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


def _protocol_class(protocol: str, where: str) -> tuple[type[ScenarioProtocol], str]:
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
        cls, target = _protocol_class(ref, "entry points")
        return ScenarioSource(ref, cls.description, cls.description, ref, target, {},
                              {k: dict(v) for k, v in cls.profiles.items()}, {}, None)
    data = read_toml(path, "scenario")
    where = f"scenario file {path.name}"
    only_keys(data, {"scenario", "params", "profiles", "sweep"}, where)
    head = data.get("scenario", {})
    only_keys(head, {"protocol", "label", "description"}, f"[scenario] of {path.name}")
    protocol = head.get("protocol")
    if not isinstance(protocol, str):
        raise ConfigError(f"{where} needs [scenario] protocol = \"NAME\" (e.g. \"pair\")")
    cls, target = _protocol_class(protocol, where)
    profiles = {k: dict(v) for k, v in cls.profiles.items()}
    for name, table in data.get("profiles", {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"[profiles.{name}] in {path.name} must be a table")
        profiles[name] = {**profiles.get(name, {}), **table}
    sweep = data.get("sweep", {})
    for key, values in sweep.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"[sweep] {key} in {path.name} must be a non-empty list")
    label = head.get("label", cls.description)
    return ScenarioSource(path.stem, label, head.get("description", label), protocol, target,
                          data.get("params", {}), profiles, sweep, str(path))


# -- backends -----------------------------------------------------------------------------
def backend_sources() -> dict[str, BackendSource | str]:
    names = set(backend_entry_points()) | set(catalogue_files("backends"))
    out: dict[str, BackendSource | str] = {}
    for name in sorted(names):
        try:
            out[name] = resolve_backend(name)
        except ConfigError as err:
            out[name] = str(err)
    return out


def backend_class(source: BackendSource) -> type[Backend]:
    try:
        return backend_entry_points()[source.adapter].load()
    except Exception as err:
        raise ConfigError(f"backend plugin '{source.adapter}' failed to load: {err}") from None


def resolve_backend(ref: str) -> BackendSource:
    """A backend profile (backends/NAME.toml) or a bare adapter entry point name."""
    eps = backend_entry_points()
    files = catalogue_files("backends")
    path = Path(ref) if ref.endswith(".toml") else files.get(ref)
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"backend profile '{ref}' does not exist")
        profile = load_backend_profile(path)  # its `extends` chain merged
        if profile.adapter not in eps:
            raise ConfigError(
                f"backend profile {path.name} names unknown adapter '{profile.adapter}'; "
                f"installed adapters: {sorted(eps)}"
            )
        unit = profile.settings.get("unit")
        if unit is not None:  # the profile's LIF defaults: refused here, not in every run
            try:
                LIFUnitParams(**unit)
            except (ValidationError, TypeError) as err:
                detail = (_validation_message(err, f"backend profile {path.name} [settings.unit]")
                          if isinstance(err, ValidationError) else str(err))
                raise ConfigError(detail) from None
        return BackendSource(path.stem, profile.adapter, eps[profile.adapter].value,
                             profile.description, profile.settings, str(path))
    if ref not in eps:
        known = sorted(set(eps) | set(files))
        raise ConfigError(f"unknown backend '{ref}'; choose one of {known}")
    try:
        cls = eps[ref].load()
    except Exception as err:  # a broken third-party plugin must not break the others
        raise ConfigError(f"backend plugin '{ref}' failed to load: {err}") from None
    return BackendSource(ref, ref, eps[ref].value, cls.description, {}, None)


def check_backend(source: BackendSource) -> None:
    """ConfigError, one line naming the profile, if the adapter refuses its settings."""
    problem = backend_class(source).check_settings(source.settings)
    if problem:
        where = (f"backend profile {Path(source.path).name}" if source.path
                 else f"backend '{source.name}'")
        raise ConfigError(f"{where}: {problem}")


def usable_backends() -> list[str]:
    """Backends whose simulators are installed here (the default of `salbench run`)."""
    out = []
    for name, source in backend_sources().items():
        if isinstance(source, str):
            continue
        try:
            if backend_class(source).unavailable_reason(source.settings) is None:
                out.append(name)
        except ConfigError:
            continue
    return out


# -- overrides and validation -----------------------------------------------------------
def parse_override(text: str) -> tuple[list[str], Any]:
    """`a.b=value` -> (['a', 'b'], value); the value is read as TOML, else as a string.
    `sweep.x=1,2,3` gives a list."""
    if "=" not in text:
        raise ConfigError(f"--set '{text}' must look like key=value (e.g. epochs=20)")
    key, raw = (s.strip() for s in text.split("=", 1))
    if not key:
        raise ConfigError(f"--set '{text}' has an empty key")
    parts = key.split(".")
    if parts[0] == "sweep":
        if len(parts) < 2:
            raise ConfigError(f"--set '{text}': say which parameter, e.g. sweep.eta=0.5,1")
        return parts, [_toml_value(v.strip()) for v in raw.split(",")]
    return parts, _toml_value(raw)


def _toml_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _set_nested(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        node = target.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set '{'.'.join(parts)}': '{part}' is not a table")
        target = node
    target[parts[-1]] = value


def _validation_message(err: ValidationError, where: str) -> str:
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top)"
    if first["type"] == "extra_forbidden":
        return f"unknown parameter '{loc}' for {where}; check the spelling"
    return f"parameter '{loc}' of {where}: {first['msg']} (got {first.get('input')!r})"


def validate_params(source: ScenarioSource, params: dict[str, Any]) -> dict[str, Any]:
    cls, _ = _protocol_class(source.protocol, source.name)
    try:
        model = cls.Params(**params)
    except ValidationError as err:
        raise ConfigError(_validation_message(err, f"scenario '{source.name}'")) from None
    except ValueError as err:  # a model validator's own message
        raise ConfigError(f"scenario '{source.name}': {err}") from None
    values = model.model_dump(mode="json")
    unit = getattr(model, "unit", None)
    if isinstance(unit, BaseModel):
        # only what the scenario sets: a backend profile's unit defaults (e.g. a hardware's
        # v_reset) fill the rest, and each run records the unit it resolved to
        values["unit"] = unit.model_dump(mode="json", exclude_unset=True)
    for key, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"parameter '{key}' of scenario '{source.name}' is {value}; "
                              "give a finite number")
    return values


def _preflight(source: ScenarioSource, params: dict[str, Any],
               backends: list[BackendSource]) -> None:
    """Refuse cells whose network cannot fit a backend (hardware limits) before any run."""
    cls, _ = _protocol_class(source.protocol, source.name)
    planned = cls(cls.Params(**params), seed=0).planned_network()
    if planned is None:
        return
    for b in backends:
        problem = backend_class(b).preflight(b.settings, *planned)
        if problem:
            raise ConfigError(f"scenario '{source.name}' on backend '{b.name}': {problem}")


def expand_cells(
    scenarios: list[str],
    backends: list[str] | None,
    seeds: int,
    profile: str = "quick",
    overrides: list[str] | None = None,
    timeout_s: float | None = None,
) -> list[Cell]:
    """Validate everything and return the cells to run (ConfigError on any problem)."""
    if seeds < 1:
        raise ConfigError(f"--seeds must be at least 1 (got {seeds})")
    if timeout_s is not None and not timeout_s > 0:
        raise ConfigError(f"--timeout must be a positive number of seconds (got {timeout_s})")
    over_params: dict[str, Any] = {}
    over_sweep: dict[str, list[Any]] = {}
    over_runner: dict[str, Any] = {}
    for text in overrides or []:
        parts, value = parse_override(text)
        if parts[0] == "sweep":
            over_sweep[".".join(parts[1:])] = value
        elif parts[0] in RUNNER_KEYS:
            over_runner[parts[0]] = value
        else:
            _set_nested(over_params, parts[1:] if parts[0] == "params" else parts, value)
    backend_names = backends or usable_backends()
    if not backend_names:
        raise ConfigError("no usable backend here; install one (pip install 'salbench[sim]')")
    backend_list = [resolve_backend(b) for b in backend_names]
    for backend_source in backend_list:
        reason = backend_class(backend_source).unavailable_reason(backend_source.settings)
        if reason:
            raise ConfigError(f"backend '{backend_source.name}' is not usable here: {reason}")
        check_backend(backend_source)
    cells: list[Cell] = []
    for ref in scenarios:
        source = resolve_scenario(ref)
        if profile not in source.profiles:
            raise ConfigError(f"scenario '{source.name}' has no profile '{profile}'; "
                              f"choose one of {sorted(source.profiles)}")
        prof = dict(source.profiles[profile])
        runner = {k: prof.pop(k) for k in list(prof) if k in RUNNER_KEYS}
        runner.update(over_runner)
        base = deep_merge(deep_merge(source.params, prof), over_params)
        sweep = {**source.sweep, **over_sweep}
        limit = timeout_s or float(runner.get("timeout_s", DEFAULT_TIMEOUT_S))
        if not limit > 0:
            raise ConfigError(f"timeout_s of scenario '{source.name}' must be positive")
        keys = list(sweep)
        for combo in itertools.product(*(sweep[k] for k in keys)):
            point = dict(zip(keys, combo, strict=True))
            params = dict(base)
            for key, value in point.items():
                _set_nested(params, key.split("."), value)
            params = validate_params(source, params)
            _preflight(source, params, backend_list)
            for b in backend_list:
                for seed in range(seeds):
                    cells.append(Cell(
                        scenario=source.name, label=source.label, protocol=source.protocol,
                        protocol_target=source.target, profile=profile, params=params,
                        sweep=point, backend=b.name, adapter=b.adapter,
                        adapter_target=b.target, settings=b.settings, seed=seed,
                        timeout_s=limit,
                    ))
    return cells
