"""Discovery of backends and scenarios through entry points.

Built-in backends and scenarios are declared in salbench's own pyproject.toml exactly as a
third-party package would declare them, so there is no registration code to edit anywhere.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

BACKENDS_GROUP = "salbench.backends"
SCENARIOS_GROUP = "salbench.scenarios"


def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def backend_entry_points() -> dict[str, EntryPoint]:
    return _entry_points(BACKENDS_GROUP)


def scenario_entry_points() -> dict[str, EntryPoint]:
    return _entry_points(SCENARIOS_GROUP)


def load(group: str, name: str) -> Any:
    """Load the object behind entry point `name` of `group` (KeyError if unknown)."""
    return _entry_points(group)[name].load()
