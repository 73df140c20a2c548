"""Cells: one run each, the product of scenarios × sweep points × backends × seeds, every
one validated before anything runs (a `ConfigError` on any problem)."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from salbench.catalogue import deep_merge
from salbench.margins import dump_margins
from salbench.runner.backend_sources import (
    backend_class,
    check_backend,
    resolve_backend,
    usable_backends,
)
from salbench.runner.errors import ConfigError
from salbench.runner.overrides import Overrides, set_nested
from salbench.runner.scenario_params import preflight, profile_tables, validate_params
from salbench.runner.scenario_sources import resolve_scenario

DEFAULT_TIMEOUT_S = 600.0


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
    #: equivalence margins the report judges this run by (salbench.margins, as JSON);
    #: not part of the key: a margin does not change what a run computes
    margins: dict[str, Any] = field(default_factory=dict)
    #: the backend profile's place in the hardware ablation ([backend] effect; '' if none):
    #: a label of the settings, which the key holds already
    effect: str = ""

    @property
    def key(self) -> str:
        """Identity of the cell, so a resumed sweep skips what is already stored."""
        data = {k: v for k, v in asdict(self).items()
                if k not in ("timeout_s", "label", "margins", "effect")}
        blob = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
    over = Overrides.parse(overrides or [])
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
        prof, runner = profile_tables(source, profile)
        runner.update(over.runner)
        base = deep_merge(deep_merge(source.params, prof), over.params)
        sweep = {**source.sweep, **over.sweep}
        margins = dump_margins({**source.margins, **over.margins})
        limit = timeout_s or runner.get("timeout_s", DEFAULT_TIMEOUT_S)
        if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
            raise ConfigError(f"timeout_s of scenario '{source.name}' must be a positive "
                              f"number of seconds (got {limit!r})")
        keys = list(sweep)
        for combo in itertools.product(*(sweep[k] for k in keys)):
            point = dict(zip(keys, combo, strict=True))
            params = dict(base)
            for key, value in point.items():
                set_nested(params, key.split("."), value)
            params = validate_params(source, params)
            preflight(source, params, backend_list)
            for b in backend_list:
                for seed in range(seeds):
                    cells.append(Cell(
                        scenario=source.name, label=source.label, protocol=source.protocol,
                        protocol_target=source.target, profile=profile, params=params,
                        sweep=point, backend=b.name, adapter=b.adapter,
                        adapter_target=b.target, settings=b.settings, seed=seed,
                        timeout_s=float(limit), margins=margins, effect=b.effect,
                    ))
    return cells
