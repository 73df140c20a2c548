"""Speed of whole runs and sweeps: a quick `pair` run per backend (child process included,
as the runner does it), and a sweep of 8 equal runs with --jobs 1 against --jobs 2.

    pytest tests/benchmarks/test_bench_sweep.py --benchmark-enable
    python tests/benchmarks/test_bench_sweep.py          # just the --jobs speed-up

The machine's load average is recorded with the speed-up: the target (>= 1.7x with 2 jobs on
2 cores) only holds on an otherwise idle machine.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pytest
from rich.console import Console

from salbench.runner.cells import expand_cells
from salbench.runner.subprocess_run import run_in_child
from salbench.runner.sweep import run_sweep
from salbench.store import Store

# 8 equal runs: the authors' two-neuron demo on the reference backend, seeds 0..7
SWEEP = (["pair-demo"], ["reference"], 8, "quick", ["epochs=200"])


def timed_sweep(jobs: int, cpu: dict[str, float] | None = None) -> float:
    """Wall time of the 8-run sweep with `jobs` parallel children (fresh store); `cpu`
    receives the CPU seconds of this (parent) process and of the children."""
    cells = expand_cells(*SWEEP)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp, "s.sqlite"))
        try:
            own0 = time.process_time()
            kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            counts = run_sweep(cells, store, jobs=jobs,
                               console=Console(file=open(os.devnull, "w")))  # noqa: SIM115
            elapsed = time.perf_counter() - t0
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)
            if cpu is not None:
                cpu["parent"] = time.process_time() - own0
                cpu["children"] = (kids.ru_utime + kids.ru_stime
                                   - kids0.ru_utime - kids0.ru_stime)
        finally:
            store.close()
    assert counts["ok"] == len(cells)
    return elapsed


_times: dict[int, float] = {}


@pytest.mark.benchmark(group="sweep 8 runs")
@pytest.mark.parametrize("jobs", [1, 2])
def test_bench_sweep_jobs(benchmark, jobs):
    load = os.getloadavg()[0]
    elapsed = benchmark.pedantic(timed_sweep, args=(jobs,), rounds=1, iterations=1)
    _times[jobs] = elapsed
    benchmark.extra_info.update(load_before=round(load, 2), load_after=round(os.getloadavg()[0], 2))
    if 1 in _times and 2 in _times:
        speedup = _times[1] / _times[2]
        benchmark.extra_info["speedup_vs_1_job"] = round(speedup, 3)
        print(f"\n8 runs: --jobs 1 {_times[1]:.1f} s, --jobs 2 {_times[2]:.1f} s, "
              f"speed-up {speedup:.2f}x (load {load:.2f})")


@pytest.mark.benchmark(group="quick pair run")
@pytest.mark.parametrize("backend", ["reference", "nest", "neuron"])
def test_bench_quick_pair_run(benchmark, backend):
    if backend != "reference":
        pytest.importorskip(backend)
    cell = expand_cells(["pair"], [backend], 1, "quick")[0]
    out = benchmark.pedantic(run_in_child, args=(cell,), rounds=1, iterations=1)
    assert out.status == "ok", out.error
    benchmark.extra_info.update(child_wall_s=out["wall_s"], timings=out["timings"],
                                peak_mem_mb=out["peak_mem_mb"])


if __name__ == "__main__":
    cpu1: dict[str, float] = {}
    cpu2: dict[str, float] = {}
    load0 = os.getloadavg()[0]
    one = timed_sweep(1, cpu1)
    load1 = os.getloadavg()[0]
    two = timed_sweep(2, cpu2)
    # Amdahl with the parent's CPU as the serial part: the best --jobs 2 can do here
    bound = (cpu2["parent"] + cpu2["children"]) / (cpu2["parent"] + cpu2["children"] / 2)
    print(f"8 runs: --jobs 1 {one:.1f} s, --jobs 2 {two:.1f} s, speed-up {one / two:.2f}x; "
          f"CPU s parent/children: jobs 1 {cpu1['parent']:.1f}/{cpu1['children']:.1f}, "
          f"jobs 2 {cpu2['parent']:.1f}/{cpu2['children']:.1f} (Amdahl bound {bound:.2f}x); "
          f"load average {load0:.2f} -> {load1:.2f} -> {os.getloadavg()[0]:.2f} "
          f"(cores: {os.cpu_count()})", file=sys.stderr)
