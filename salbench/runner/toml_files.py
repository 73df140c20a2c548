"""Reading the TOML files of the catalogue (scenarios, backend profiles): unreadable files,
bad syntax, wrong encodings and unknown keys are each a one-line `ConfigError`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from salbench.runner.errors import ConfigError


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The tables of the `what` file at `path` ("scenario", "backend profile"...)."""
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


def only_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    """Refuse a key of `table` that is not `allowed` (a misspelt table or setting)."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"unknown key '{unknown[0]}' in {where}; allowed: {sorted(allowed)}")
