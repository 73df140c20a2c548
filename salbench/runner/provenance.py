"""Where a run came from: salbench, its git commit, simulators, Python, the machine."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import salbench
from salbench.versions import package_version


@functools.cache
def git_commit() -> str:
    """The commit of the salbench checkout this code runs from ('unknown' if installed)."""
    root = Path(salbench.__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=True)
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.cache
def machine() -> dict[str, Any]:
    import psutil

    return {
        "hostname": platform.node(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "arch": platform.machine(),
    }


def provenance(simulator_versions: dict[str, str]) -> dict[str, Any]:
    return {
        "salbench": salbench.__version__,
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "numpy": package_version("numpy"),
        "simulators": simulator_versions,
        "machine": machine(),
    }
