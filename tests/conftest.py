"""Shared fixtures: run the real CLI in a subprocess, and a third-party plugin package
installed from tests/plugins the way a user would install one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PLUGIN_DIR = Path(__file__).parent / "plugins" / "salbench-testplugins"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 900) -> CliResult:
    proc = subprocess.run([sys.executable, "-m", "salbench", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path):
    """cli("run", ...) runs `salbench` in tmp_path."""

    def call(*args: str, env: dict[str, str] | None = None, timeout: float = 900) -> CliResult:
        return run_cli(*args, cwd=tmp_path, env=env, timeout=timeout)

    return call


@pytest.fixture(scope="session")
def plugin_env(tmp_path_factory) -> dict[str, str]:
    """Environment in which the test plugin package is installed (pip --target)."""
    site = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site), str(PLUGIN_DIR)], check=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return env


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
