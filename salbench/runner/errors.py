"""Configuration errors: every problem with a scenario, a backend profile or a `--set`
is one `ConfigError` whose message names the problem and its fix (exit code 2, nothing
run)."""

from __future__ import annotations

from pydantic import ValidationError

# defined beside the catalogue's TOML reader, which the backends' profile loader shares
from salbench.catalogue import ConfigError

__all__ = ["ConfigError", "validation_message"]


def validation_message(err: ValidationError, where: str) -> str:
    """The first problem of a pydantic validation error as one line about `where`."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top)"
    if first["type"] == "extra_forbidden":
        return f"unknown parameter '{loc}' for {where}; check the spelling"
    return f"parameter '{loc}' of {where}: {first['msg']} (got {first.get('input')!r})"
