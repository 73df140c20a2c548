"""`--set KEY=VALUE`: the one parser of command-line overrides, for every command.

The value is read as TOML, else taken as a bare string; `sweep.KEY=a,b,c` gives a list.
For `salbench run`, `Overrides.parse` sorts them into protocol parameters (`KEY` or
`params.KEY`, dotted keys into tables), sweep axes (`sweep.KEY`), equivalence margins
(`margins.METRIC=0.05` absolute or `margins.METRIC=25%` relative; salbench.margins) and
runner settings (`RUNNER_KEYS`). Margins are judgement, not configuration: they do not
change a run, so they are not part of its cell key (a re-run with another margin is the
same cell), and `salbench report` / `compare` accept them too.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from salbench.margins import Margin, MarginError, parse_margin
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


def parse_margin_override(text: str, parts: list[str], value: Any) -> dict[str, Margin]:
    """`margins.METRIC=VALUE` -> {METRIC: Margin}; ConfigError (one line) otherwise."""
    if len(parts) != 2 or not parts[1]:
        raise ConfigError(f"--set '{text}': say which metric, e.g. margins.dkl=25% or "
                          "margins.angle_deg=2")
    try:
        return {parts[1]: parse_margin(value, f"--set margins.{parts[1]}")}
    except MarginError as err:
        raise ConfigError(str(err)) from None


def margin_overrides(texts: list[str]) -> dict[str, Margin]:
    """The margins of `--set margins.METRIC=VALUE` options (report, compare); any other key
    is refused: those commands judge stored runs and change nothing else."""
    out: dict[str, Margin] = {}
    for text in texts:
        parts, value = parse_override(text)
        if parts[0] != "margins":
            raise ConfigError(f"--set '{text}': only margins.METRIC=VALUE applies here (the "
                              "runs are stored; re-run to change a parameter)")
        out.update(parse_margin_override(text, parts, value))
    return out


@dataclass
class Overrides:
    """The `--set` options of `salbench run`, sorted by what they set."""

    params: dict[str, Any] = field(default_factory=dict)  # nested like [params]
    sweep: dict[str, list[Any]] = field(default_factory=dict)  # "a.b" -> values
    runner: dict[str, Any] = field(default_factory=dict)  # RUNNER_KEYS
    margins: dict[str, Margin] = field(default_factory=dict)  # metric or glob -> margin

    @classmethod
    def parse(cls, texts: list[str]) -> Overrides:
        out = cls()
        for text in texts:
            parts, value = parse_override(text)
            if parts[0] == "margins":
                out.margins.update(parse_margin_override(text, parts, value))
            elif parts[0] == "sweep":
                out.sweep[".".join(parts[1:])] = value
            elif parts[0] in RUNNER_KEYS:
                out.runner[parts[0]] = value
            elif parts == ["params"]:
                raise ConfigError(f"--set '{text}': say which parameter, e.g. params.epochs=20")
            else:
                set_nested(out.params, parts[1:] if parts[0] == "params" else parts, value)
        return out
