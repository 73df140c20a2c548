"""Shared fixtures: run the real CLI in a subprocess, and a third-party plugin package
installed from tests/plugins the way a user would install one.  The helpers tests import
themselves are in tests/helpers.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CliResult, run_cli

PLUGIN_DIR = Path(__file__).parent / "plugins" / "salbench-testplugins"


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
