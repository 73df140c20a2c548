"""Helpers the tests import: run the real CLI, read a store back, build a shipped backend.

tests/ is on sys.path through pyproject's [tool.pytest.ini_options] pythonpath, so a test
imports these with `from helpers import ...` (never from conftest, which pytest loads itself).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


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
    from salbench.runner.config import backend_class, resolve_backend

    source = resolve_backend(name)
    cls = backend_class(source)
    return cls(source.settings, timer) if timer is not None else cls(source.settings)
