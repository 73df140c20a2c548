"""Helpers the tests import: run the real CLI, read a store back, build a shipped backend,
and skip a test whose simulator is not installed.

tests/ is on sys.path through pyproject's [tool.pytest.ini_options] pythonpath, so a test
imports these with `from helpers import ...` (never from conftest, which pytest loads itself).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import pytest


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 900) -> CliResult:
    """`salbench ARGS` in a subprocess, as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "salbench", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def stored_runs(store: Path) -> list[dict]:
    """The runs in a store, read back the way a user would (`salbench show --json`)."""
    out = subprocess.run([sys.executable, "-m", "salbench", "show", "--json", "--store",
                          str(store)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def shipped_backend(name: str, timer=None):
    """A backend built from its shipped profile (backends/NAME.toml: time step, delay...),
    not yet set up."""
    from salbench.runner.backend_sources import backend_class, resolve_backend

    source = resolve_backend(name)
    cls = backend_class(source)
    return cls(source.settings, timer) if timer is not None else cls(source.settings)


def installed(*modules: str) -> bool:
    """True when every top-level python module is importable here (found, not imported)."""
    return all(find_spec(module) is not None for module in modules)


def backend_installed(name: str) -> bool:
    """True when the python modules the shipped backend NAME requires are installed."""
    from salbench.runner.backend_sources import backend_class, resolve_backend

    return installed(*backend_class(resolve_backend(name)).requires)


def requires_backend(*names: str) -> pytest.MarkDecorator:
    """Skip marker for a test that runs on these shipped backends: skipped, not failed, where
    the simulator one of them needs is not installed."""
    missing = [name for name in names if not backend_installed(name)]
    return pytest.mark.skipif(bool(missing), reason=f"simulator of backend(s) {missing} "
                              "is not installed")


def backend_params(*names: str) -> list:
    """Backend names as pytest parameters, each skipped where its simulator is missing."""
    return [pytest.param(name, marks=requires_backend(name)) for name in names]
