"""The command line that reproduces a stored run, built from its resolved configuration.

Every parameter is spelled out with `--set` (not only those that differ from the catalogue):
the command must reproduce the run even after the scenario's TOML file has changed.
"""

from __future__ import annotations

import json
import shlex
import tomllib
from typing import Any

from salbench.store import RunRecord


def toml_value(value: Any) -> str:
    """A value as `salbench run --set` reads it back (TOML, bare strings where unambiguous)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        try:
            if tomllib.loads(f"v = {value}")["v"] == value:
                return value
        except tomllib.TOMLDecodeError:
            if value and "," not in value and "\n" not in value and value.strip() == value:
                return value  # --set reads text that is not TOML as a bare string
        return json.dumps(value)  # a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def _flatten(prefix: str, params: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key in sorted(params):
        value = params[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _flatten(name + ".", value)  # an empty table needs no --set
        elif value is None:
            continue  # TOML has no null: None is an option's default, which needs no --set
        else:
            out.append((name, value))
    return out


def command(run: RunRecord) -> str:
    """`salbench run ...` for this run's scenario, backend profile, profile and parameters.

    `salbench run` numbers seeds 0..N-1, so seed s is reproduced with `--seeds s+1` (it
    also re-runs the lower seeds)."""
    cfg = run.config if isinstance(run.config, dict) else {}
    params = cfg.get("params")
    if not isinstance(params, dict):
        params = {}
    parts = ["salbench", "run", run.scenario, "--backend", run.backend,
             "--seeds", str(int(run.seed) + 1), "--profile", run.profile]
    sweep = run.sweep if isinstance(run.sweep, dict) else {}
    # a sweep point stays a (one-value) sweep, since the run's identity includes it; values
    # with a comma cannot be (`--set sweep.k=a,b` splits there) and become plain settings
    as_sweep = {k: toml_value(v) for k, v in sweep.items() if "," not in toml_value(v)}
    for key, value in _flatten("", params):
        if key not in as_sweep:
            parts += ["--set", f"{key}={toml_value(value)}"]
    for key in sorted(as_sweep):
        parts += ["--set", f"sweep.{key}={as_sweep[key]}"]
    timeout = cfg.get("timeout_s")
    if isinstance(timeout, int | float):
        parts += ["--timeout", f"{timeout:g}"]
    return shlex.join(parts)
