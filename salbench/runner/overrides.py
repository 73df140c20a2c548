"""`--set KEY=VALUE`: the one parser of command-line overrides, for every command.

The value is read as TOML, else taken as a bare string; `sweep.KEY=a,b,c` gives a list.
For `salbench run`, `Overrides.parse` sorts them into protocol parameters (`KEY` or
`params.KEY`, dotted keys into tables), sweep axes (`sweep.KEY`) and runner settings
(`RUNNER_KEYS`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from salbench.runner.errors import ConfigError

#: keys of a profile or `--set` that set the runner, not the protocol
RUNNER_KEYS = {"timeout_s"}


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
        return parts, [toml_value(v.strip()) for v in raw.split(",")]
    return parts, toml_value(raw)


def toml_value(raw: str) -> Any:
    """`raw` read as a TOML value (`20`, `0.5`, `true`, `"x"`, `[1, 2]`), else the text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def set_nested(target: dict[str, Any], parts: list[str], value: Any) -> None:
    """target[parts[0]][parts[1]]... = value, creating the tables on the way."""
    for part in parts[:-1]:
        node = target.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set '{'.'.join(parts)}': '{part}' is not a table")
        target = node
    target[parts[-1]] = value


@dataclass
class Overrides:
    """The `--set` options of `salbench run`, sorted by what they set."""

    params: dict[str, Any] = field(default_factory=dict)  # nested like [params]
    sweep: dict[str, list[Any]] = field(default_factory=dict)  # "a.b" -> values
    runner: dict[str, Any] = field(default_factory=dict)  # RUNNER_KEYS

    @classmethod
    def parse(cls, texts: list[str]) -> Overrides:
        out = cls()
        for text in texts:
            parts, value = parse_override(text)
            if parts[0] == "sweep":
                out.sweep[".".join(parts[1:])] = value
            elif parts[0] in RUNNER_KEYS:
                out.runner[parts[0]] = value
            elif parts == ["params"]:
                raise ConfigError(f"--set '{text}': say which parameter, e.g. params.epochs=20")
            else:
                set_nested(out.params, parts[1:] if parts[0] == "params" else parts, value)
        return out
