"""A scenario's parameters for one run: its [params], a profile and the `--set` overrides
merged in that order, then validated by the protocol's Params model and checked against the
backends' limits, so that nothing starts that would be refused later."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ValidationError

from salbench.runner.backend_sources import BackendSource, backend_class
from salbench.runner.errors import ConfigError, validation_message
from salbench.runner.overrides import RUNNER_KEYS
from salbench.runner.scenario_sources import ScenarioSource, protocol_class


def profile_tables(source: ScenarioSource, profile: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The profile's (protocol parameters, runner settings such as timeout_s)."""
    if profile not in source.profiles:
        raise ConfigError(f"scenario '{source.name}' has no profile '{profile}'; "
                          f"choose one of {sorted(source.profiles)}")
    params = dict(source.profiles[profile])
    runner = {k: params.pop(k) for k in list(params) if k in RUNNER_KEYS}
    return params, runner


def validate_params(source: ScenarioSource, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the protocol's Params model reads them (plain JSON data)."""
    cls, _ = protocol_class(source.protocol, source.name)
    try:
        model = cls.Params(**params)
    except ValidationError as err:
        raise ConfigError(validation_message(err, f"scenario '{source.name}'")) from None
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


def preflight(source: ScenarioSource, params: dict[str, Any],
              backends: list[BackendSource]) -> None:
    """Refuse parameters whose network cannot fit a backend (hardware limits) before any
    run."""
    cls, _ = protocol_class(source.protocol, source.name)
    protocol = cls(cls.Params(**params), seed=0)
    if protocol.needs_online_sal():
        for b in backends:
            if not backend_class(b).online_sal:
                raise ConfigError(f"scenario '{source.name}' with plasticity = 'online' on "
                                  f"backend '{b.name}': it has no online SAL; use "
                                  "--set plasticity=epoch or another backend")
            if protocol.online_weights_signed and not backend_class(b).online_sal_signed:
                raise ConfigError(f"scenario '{source.name}' with plasticity = 'online' on "
                                  f"backend '{b.name}': its weights change sign, which its "
                                  "conductance synapses cannot; use --set plasticity=epoch "
                                  "or the reference backend")
    planned = protocol.planned_network()
    if planned is None:
        return
    for b in backends:
        problem = backend_class(b).preflight(b.settings, *planned)
        if problem:
            raise ConfigError(f"scenario '{source.name}' on backend '{b.name}': {problem}")
