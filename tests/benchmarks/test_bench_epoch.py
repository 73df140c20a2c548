"""Speed of the learning epoch loop (simulate -> read spikes -> SAL -> write weights) on NEST
and NEURON, all-to-all networks of N = 50, 200, 1000 units, and the adapters' fast paths
against PyNN's public API (salbench.backends.pynn.PyNNBackend) in the same run.

    pytest tests/benchmarks/test_bench_epoch.py --benchmark-enable

Each network is built and run in a process of its own (epoch_loop.LoopProcess: NEURON would
simulate every network built earlier in the process along with it).  Each benchmark's
extra_info holds the phase split per epoch and the learning overhead
(readout + rule + write) / simulate.  Targets, each a ratio measured within one test, in CPU
time of this process (wall time on a shared machine mostly measures the neighbours' load):

* learning overhead <= 10 % at N = 200 with 1000 ms epochs, <= 50 % at N = 200 with 100 ms
  epochs (N = 50 and N = 1000 have no target);
* the fast path is faster than the public path: the same epochs (N = 200, 100 ms) through
  the public path (baseline) and through the adapter (benchmarked) in one test, time per
  epoch public / fast > 1.
"""

from __future__ import annotations

import os

import pytest
from epoch_loop import PHASES, LoopProcess, overhead_ratio
from targets import timed_rounds

# (N, epoch_ms, epochs timed, target overhead ratio or None)
CASES = [
    (50, 1000.0, 3, None),
    (200, 1000.0, 3, 0.10),
    (200, 100.0, 5, 0.50),
    (1000, 100.0, 2, None),
]


def _skip_unless(backend: str) -> None:
    pytest.importorskip("nest" if backend.startswith("nest") else "neuron")


def _run_loop(benchmark, backend: str, n: int, epoch_ms: float, rounds: int,
              timed: bool = True) -> dict:
    """Build the loop in a fresh process, warm it up and run `rounds` epochs (through the
    benchmark if `timed`); return the phase split per epoch (s), wall and CPU, and the overhead
    ratios, as the child's phase timer measured them."""
    loop = LoopProcess(backend, n, epoch_ms)
    try:
        loop.epoch()  # warm-up: numba compiles (or loads) the pairing kernel
        loop.reset_timer()
        if timed:
            timed_rounds(benchmark, loop.epoch, rounds)
        else:
            for _ in range(rounds):
                loop.epoch()
        child = loop.result()
    finally:
        loop.close()
    t, cpu = child["totals"], child["cpu"]
    rate = child["spikes"] / n / (rounds * epoch_ms / 1000.0)
    split = {k: t.get(k, 0.0) / rounds for k in PHASES}
    split_cpu = {k: cpu.get(k, 0.0) / rounds for k in PHASES}
    result = {"split": split, "split_cpu": split_cpu, "epoch_s": sum(split.values()),
              "epoch_cpu_s": sum(split_cpu.values()), "overhead": overhead_ratio(t),
              "overhead_cpu": overhead_ratio(cpu), "rate_hz": rate}
    print(f"\n{backend} N={n} {epoch_ms:g} ms: simulate {split['simulate']:.3f} s, readout "
          f"{split['readout']:.4f}, rule {split['learn']:.4f}, write {split['write']:.4f} "
          f"-> overhead {100 * result['overhead']:.1f} % "
          f"(CPU time: {100 * result['overhead_cpu']:.1f} %; {rate:.1f} Hz)")
    return result


def _record(benchmark, result: dict, prefix: str = "") -> None:
    info = benchmark.extra_info
    info.update({f"{prefix}{k}_s": round(v, 5) for k, v in result["split"].items()})
    info.update({f"{prefix}{k}_cpu_s": round(v, 5) for k, v in result["split_cpu"].items()})
    info.update({f"{prefix}overhead_ratio": result["overhead"],
                 f"{prefix}overhead_ratio_cpu": result["overhead_cpu"],
                 f"{prefix}rate_hz": round(result["rate_hz"], 1)})


@pytest.mark.benchmark(group="epoch-loop")
@pytest.mark.parametrize("backend", ["nest", "neuron"])
@pytest.mark.parametrize(("n", "epoch_ms", "rounds", "target"), CASES,
                         ids=[f"N{c[0]}-{c[1]:g}ms" for c in CASES])
def test_bench_epoch_loop(benchmark, speed_target, backend, n, epoch_ms, rounds, target):
    _skip_unless(backend)
    result = _run_loop(benchmark, backend, n, epoch_ms, rounds)
    _record(benchmark, result)
    benchmark.extra_info.update(n=n, epoch_ms=epoch_ms, load_avg=round(os.getloadavg()[0], 2))
    if target is not None:
        speed_target("overhead_ratio_cpu", result["overhead_cpu"], "<=", target,
                     f"wall time {100 * result['overhead']:.1f} %")


@pytest.mark.benchmark(group="fast-vs-public N200 100ms")
@pytest.mark.parametrize("simulator", ["nest", "neuron"])
def test_bench_fast_vs_public(benchmark, speed_target, simulator):
    """The same epochs through PyNN's public API (baseline) and the adapter's fast path."""
    _skip_unless(simulator)
    public = _run_loop(benchmark, f"{simulator}-public", 200, 100.0, 3, timed=False)
    fast = _run_loop(benchmark, simulator, 200, 100.0, 3)
    _record(benchmark, fast)
    _record(benchmark, public, "public_")
    io = ("readout", "write")
    io_ratio = (sum(public["split_cpu"][k] for k in io)
                / max(sum(fast["split_cpu"][k] for k in io), 1e-9))
    benchmark.extra_info.update(
        public_over_fast_epoch_wall=round(public["epoch_s"] / fast["epoch_s"], 3),
        public_over_fast_io_cpu=round(io_ratio, 3), load_avg=round(os.getloadavg()[0], 2))
    speed_target("public_over_fast_epoch_cpu", public["epoch_cpu_s"] / fast["epoch_cpu_s"],
                 ">", 1.0,
                 f"per epoch {public['epoch_cpu_s']:.3f} s public, {fast['epoch_cpu_s']:.3f} s "
                 f"fast (CPU); readout + write alone {io_ratio:.1f}x; wall time "
                 f"{public['epoch_s'] / fast['epoch_s']:.1f}x")
