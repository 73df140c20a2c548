"""Speed of whole runs and sweeps: a quick `pair` run per backend (child process included,
as the runner does it), and a sweep of 8 equal runs with --jobs 1 against --jobs 2.

    pytest tests/benchmarks/test_bench_sweep.py --benchmark-enable
    python tests/benchmarks/test_bench_sweep.py          # just the --jobs speed-up

Target: --jobs 2 is >= 1.7x as fast as --jobs 1 (wall time), both measured in the same test,
in the order 1, 2, 2, 1 (a steady drift of the machine's speed cancels out).  It needs two
free cores: on a machine busy with other work the test fails, and says so (the load average
and the Amdahl bound from the sweeps' CPU time are in its message and extra_info).  The quick
pair runs have no target.
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
from targets import timed_rounds

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


SPEEDUP_TARGET = 1.7


def amdahl_bound(cpu: dict[str, float]) -> float:
    """The best speed-up 2 jobs can give with the parent's CPU time as the serial part."""
    return (cpu["parent"] + cpu["children"]) / (cpu["parent"] + cpu["children"] / 2)


@pytest.mark.benchmark(group="sweep 8 runs")
def test_bench_sweep_jobs(benchmark, speed_target):
    """--jobs 1 (baseline, twice: before and after) against --jobs 2 (twice, benchmarked)."""
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        pytest.skip(f"the --jobs 2 target is for 2 cores; this process may use {cores}")
    load = os.getloadavg()[0]
    cpu2: dict[str, float] = {}
    one = [timed_sweep(1)]
    two: list[float] = []
    timed_rounds(benchmark, lambda: two.append(timed_sweep(2, cpu2)), 2)
    one.append(timed_sweep(1))
    t1, t2 = sum(one) / len(one), sum(two) / len(two)
    load_after = os.getloadavg()[0]
    bound = amdahl_bound(cpu2)
    benchmark.extra_info.update(jobs1_s=[round(t, 2) for t in one],
                                jobs2_s=[round(t, 2) for t in two],
                                amdahl_bound=round(bound, 3), cores=cores,
                                load_before=round(load, 2), load_after=round(load_after, 2))
    print(f"\n8 runs: --jobs 1 {t1:.1f} s, --jobs 2 {t2:.1f} s, speed-up {t1 / t2:.2f}x "
          f"(Amdahl bound {bound:.2f}x; load average {load:.2f} -> {load_after:.2f} "
          f"on {cores} cores)")
    speed_target("speedup_jobs2_vs_jobs1", t1 / t2, ">=", SPEEDUP_TARGET,
                 f"Amdahl bound {bound:.2f}x; load average {load:.2f} -> {load_after:.2f} on "
                 f"{cores} cores (the target needs 2 free cores)")


@pytest.mark.benchmark(group="quick pair run")
@pytest.mark.parametrize("backend", ["reference", "nest", "neuron"])
def test_bench_quick_pair_run(benchmark, backend):
    if backend != "reference":
        pytest.importorskip(backend)
    cell = expand_cells(["pair"], [backend], 1, "quick")[0]
    out = benchmark.pedantic(run_in_child, args=(cell,), rounds=1, iterations=1)
    assert out.status == "ok", out.error
    benchmark.extra_info.update(child_wall_s=out.wall_s, timings=out.timings,
                                peak_mem_mb=out.peak_mem_mb)


if __name__ == "__main__":
    cpu1: dict[str, float] = {}
    cpu2: dict[str, float] = {}
    load0 = os.getloadavg()[0]
    one = timed_sweep(1, cpu1)
    load1 = os.getloadavg()[0]
    two = timed_sweep(2, cpu2)
    bound = amdahl_bound(cpu2)
    print(f"8 runs: --jobs 1 {one:.1f} s, --jobs 2 {two:.1f} s, speed-up {one / two:.2f}x; "
          f"CPU s parent/children: jobs 1 {cpu1['parent']:.1f}/{cpu1['children']:.1f}, "
          f"jobs 2 {cpu2['parent']:.1f}/{cpu2['children']:.1f} (Amdahl bound {bound:.2f}x); "
          f"load average {load0:.2f} -> {load1:.2f} -> {os.getloadavg()[0]:.2f} "
          f"(cores: {os.cpu_count()})", file=sys.stderr)
