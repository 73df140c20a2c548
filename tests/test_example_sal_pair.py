"""examples/sal_pair.py, a plain PyNN script with a reciprocal SAL projection, runs unchanged
on every backend with a native SAL synapse (only the backend module's name changes).

On NEST and NEURON SAL shrinks the asymmetry in its 2 s; on
the bss2 chip profile (ADC offsets, per-column mismatch, 6-bit weights, no offset correction
in the processor's rule) it need not, and the test asks only that the processor changed the
weights there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from salbench.plasticity.nest_build import pynn_extension_dir

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "examples" / "sal_pair.py"


def _available(module: str) -> bool:
    if module == "salbench.simulators.bss2":
        return True
    return find_spec("pyNN") is not None and find_spec(module.split(".")[1]) is not None


BACKENDS = [pytest.param(m, marks=pytest.mark.skipif(not _available(m),
                                                      reason=f"{m} not installed"))
            for m in ("pyNN.nest", "pyNN.neuron", "salbench.simulators.bss2")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_example_runs_unchanged(backend: str) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, str(SCRIPT), backend], capture_output=True,
                          text=True, timeout=600, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # no cmake run at `import pyNN.nest` once `salbench prepare` built PyNN's extension
    if backend == "pyNN.nest" and (pynn_extension_dir() / "pynn_extensions.so").is_file():
        assert "CMake Error" not in proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["backend"] == backend
    assert summary["rate_A_hz"] > 1.0  # the cells fire, so SAL has pairs to act on
    assert summary["within_bounds"]
    assert summary["diff_after"] != pytest.approx(summary["diff_before"], rel=1e-3)
    if backend != "salbench.simulators.bss2":
        assert summary["diff_after"] < summary["diff_before"]
