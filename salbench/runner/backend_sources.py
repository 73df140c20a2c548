"""Backends: a backend profile (backends/NAME.toml) or a bare `salbench.backends` entry
point, resolved to its adapter and settings; and which of them are usable here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from salbench.backends.base import Backend
from salbench.catalogue import catalogue_files, load_backend_profile
from salbench.registry import backend_entry_points
from salbench.runner.errors import ConfigError, validation_message
from salbench.spec.units import LIFUnitParams


@dataclass(frozen=True)
class BackendSource:
    name: str
    adapter: str  # entry point name
    target: str  # "module:Class"
    description: str
    settings: dict[str, Any]  # the profile's [settings] over its parents' (see extends)
    path: str | None
    effect: str = ""  # [backend] effect: the profile's place in the hardware ablation


def backend_sources() -> dict[str, BackendSource | str]:
    """Every backend name known here -> its source, or the error loading it."""
    names = set(backend_entry_points()) | set(catalogue_files("backends"))
    out: dict[str, BackendSource | str] = {}
    for name in sorted(names):
        try:
            out[name] = resolve_backend(name)
        except ConfigError as err:
            out[name] = str(err)
    return out


def backend_class(source: BackendSource) -> type[Backend]:
    """The adapter class of `source` (loading its entry point)."""
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
                detail = (validation_message(err, f"backend profile {path.name} [settings.unit]")
                          if isinstance(err, ValidationError) else str(err))
                raise ConfigError(detail) from None
        return BackendSource(path.stem, profile.adapter, eps[profile.adapter].value,
                             profile.description, profile.settings, str(path), profile.effect)
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


#: [backend] effect values of the profiles a plain `salbench run` includes: the ablation's
#: ends (every effect off, all on) are real configurations; the single-effect profiles are
#: only the ablation's (`salbench run --ablation hardware`), and would double a default run
DEFAULT_EFFECTS = ("", "none", "all")


def usable_backends(include_ablation: bool = False) -> list[str]:
    """Backends whose simulators are installed here (the default of `salbench run`, without
    the hardware ablation's single-effect profiles unless `include_ablation`)."""
    out = []
    for name, source in backend_sources().items():
        if isinstance(source, str):
            continue
        if not include_ablation and source.effect not in DEFAULT_EFFECTS:
            continue
        try:
            if backend_class(source).unavailable_reason(source.settings) is None:
                out.append(name)
        except ConfigError:
            continue
    return out
