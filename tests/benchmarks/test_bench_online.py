"""Speed of online SAL (the simulators' own SAL synapses, salbench.plasticity) against static
synapses and against the epoch loop, on NEST and NEURON, all-to-all N = 200 and 1000.

    pytest tests/benchmarks/test_bench_online.py -m benchmark -s

Per case four networks, each built and run in a process of its own (epoch_loop.LoopProcess),
on the same small random non-negative weights (online SAL on conductance synapses needs
w_min = 0; epoch_loop.excitatory_spec) and the realisation's sampling units with their
Poisson background:

* static: static synapses, simulate only;
* online-inert: every off-diagonal synapse a SAL synapse (NetworkSpec.online_sal, w_min = 0)
  at 1e-9 of the matched learning rate: every pair is computed and written, but the weights
  stay within 1e-9 of their start, so the network fires spike for spike as the static one
  (checked) and the simulator's work outside SAL is the same;
* online: the same learning at eta matched to the epoch rule's, simulate only;
* epoch loop: static synapses, simulate + read spikes + host SAL rule + weight write per
  epoch (weights clipped at 0 as online SAL's are).

The target (issue 13: online learning costs at most 10 % of the static simulate time at
N = 1000 on NEST and NEURON) is on online_cost = online-inert / static simulate - 1: what the
learning mechanism costs. The learning network is recorded beside it without a target: SAL
with w_min = 0 raises these networks' rates by ~5-10 % within a few epochs, and every extra
spike costs static and plastic synapses alike, which is the network's change, not the
mechanism's price (its cost per spike is recorded too).

Timing on a shared machine: CPU time of the child processes, static and online-inert epochs
interleaved (a, b, b, a, ...), and the cost taken from the median of the paired ratios (their
quartiles are recorded). On the 2-core VM this was written on, consecutive 100 ms epochs of
one network varied by up to 30 %, and the median of 30 pairs by 5-20 % from run to run
(pinning both processes to one core made it worse). The steady measure is callgrind's count
of instructions and cache misses in one epoch: `python epoch_loop.py --callgrind MODE` under
valgrind (epoch_loop.callgrind_epoch). Each network is warmed up with one short epoch first
(NEST sorts its connections and the adapter caches its handles, numba compiles the rule).

The build phase (sim.setup and the network, runner's "build" timer) of each network is
recorded too; the target for it is in test_bench_build (N = 1000 < 10 s).
"""

from __future__ import annotations

import os
import statistics

import pytest
from epoch_loop import PHASES, LoopProcess

# (N, epoch_ms, interleaved pairs, target for online_cost or None)
CASES = [
    (200, 100.0, 20, None),
    (200, 1000.0, 5, None),
    (1000, 100.0, 30, 0.10),
    (1000, 1000.0, 8, 0.10),
]
#: the learning network and the epoch loop run this many epochs (no target)
LEARNING_EPOCHS = {100.0: 3, 1000.0: 1}

#: the untimed first epoch: long enough to exercise every phase once
WARMUP_MS = 20.0


def _skip_unless(backend: str) -> None:
    pytest.importorskip("nest" if backend == "nest" else "neuron")


def _epoch(loop: LoopProcess) -> dict:
    """One epoch of `loop`: its phase CPU and wall times and its spike count."""
    loop.reset_timer()
    loop.epoch()
    r = loop.result()
    return {"cpu": r["cpu"], "wall": r["totals"], "spikes": r["spikes"]}


def _open(backend: str, n: int, epoch_ms: float, mode: str) -> LoopProcess:
    loop = LoopProcess(backend, n, epoch_ms, mode)
    loop.epoch(WARMUP_MS)
    return loop


def _paired(backend: str, n: int, epoch_ms: float, pairs: int) -> dict:
    """Static and online-inert epochs interleaved; per-epoch records of both and the builds."""
    loops = {m: _open(backend, n, epoch_ms, m) for m in ("static", "online-inert")}
    try:
        builds = {m: loop.result() for m, loop in loops.items()}
        epochs: dict[str, list[dict]] = {m: [] for m in loops}
        order = list(loops)
        for i in range(pairs):
            for mode in (order if i % 2 == 0 else order[::-1]):
                epochs[mode].append(_epoch(loops[mode]))
    finally:
        for loop in loops.values():
            loop.close()
    return {"epochs": epochs, "builds": builds}


def _run(backend: str, n: int, epoch_ms: float, epochs: int, mode: str) -> dict:
    """`mode`'s network in a fresh process: `epochs` timed epochs after the warm-up; phase
    totals per epoch (s, wall and CPU), its build and its rate."""
    loop = _open(backend, n, epoch_ms, mode)
    try:
        loop.reset_timer()
        for _ in range(epochs):
            loop.epoch()
        child = loop.result()
    finally:
        loop.close()
    wall = {k: child["totals"].get(k, 0.0) / epochs for k in PHASES}
    cpu = {k: child["cpu"].get(k, 0.0) / epochs for k in PHASES}
    return {"wall": wall, "cpu": cpu, "total_cpu": sum(cpu.values()),
            "spikes": child["spikes"] / epochs,
            "rate_hz": child["spikes"] / n / (epochs * epoch_ms / 1000.0)}


@pytest.mark.benchmark(group="online-sal")
@pytest.mark.parametrize("backend", ["nest", "neuron"])
@pytest.mark.parametrize(("n", "epoch_ms", "pairs", "target"), CASES,
                         ids=[f"N{c[0]}-{c[1]:g}ms" for c in CASES])
def test_bench_online(benchmark, speed_target, backend, n, epoch_ms, pairs, target):
    _skip_unless(backend)
    runs: dict = {}

    def measure() -> None:
        runs["paired"] = _paired(backend, n, epoch_ms, pairs)
        for mode in ("online", "epoch+"):
            runs[mode] = _run(backend, n, epoch_ms, LEARNING_EPOCHS[epoch_ms], mode)

    benchmark.pedantic(measure, rounds=1, iterations=1)
    static, inert = runs["paired"]["epochs"]["static"], runs["paired"]["epochs"]["online-inert"]
    # the same activity, spike for spike: the ratios compare the mechanism alone
    assert [e["spikes"] for e in inert] == [e["spikes"] for e in static]
    ratios = [b["cpu"]["simulate"] / a["cpu"]["simulate"] for a, b in zip(static, inert,
                                                                            strict=True)]
    online_cost = statistics.median(ratios) - 1.0
    static_sim = statistics.median(e["cpu"]["simulate"] for e in static)
    static_per_spike = statistics.median(e["cpu"]["simulate"] / e["spikes"] for e in static)
    learning, loop = runs["online"], runs["epoch+"]
    learning_cost = learning["cpu"]["simulate"] / static_sim - 1.0
    learning_cost_per_spike = (learning["cpu"]["simulate"] / learning["spikes"]
                               / static_per_spike - 1.0)
    static_rate = statistics.median(e["spikes"] for e in static) / n / (epoch_ms / 1000.0)
    info = benchmark.extra_info
    info.update(n=n, epoch_ms=epoch_ms, pairs=pairs, load_avg=round(os.getloadavg()[0], 2),
                online_cost_ratios=[round(r, 4) for r in ratios],
                online_cost_iqr=[round(q - 1.0, 4) for q in statistics.quantiles(ratios, n=4)],
                static_simulate_cpu_s=round(static_sim, 5),
                static_rate_hz=round(static_rate, 1),
                learning_cost=round(learning_cost, 4),
                learning_cost_per_spike=round(learning_cost_per_spike, 4),
                learning_rate_hz=round(learning["rate_hz"], 1),
                epoch_over_online=round(loop["total_cpu"] / learning["cpu"]["simulate"], 4))
    for mode, r in (("online", learning), ("epoch+", loop)):
        info.update({f"{mode}_{k}_cpu_s": round(v, 5) for k, v in r["cpu"].items()})
    for mode, b in runs["paired"]["builds"].items():
        info.update({f"{mode}_build_s": round(b["build_s"], 3),
                     f"{mode}_build_cpu_s": round(b["build_cpu_s"], 3)})
    print(f"\n{backend} N={n} {epoch_ms:g} ms epochs (CPU s per epoch): static "
          f"{static_sim:.3f} at {static_rate:.1f} Hz; online-inert / static median of "
          f"{pairs} pairs {online_cost + 1:.3f}; learning {learning['cpu']['simulate']:.3f} at "
          f"{learning['rate_hz']:.1f} Hz ({learning_cost + 1:.3f} x static, "
          f"{learning_cost_per_spike + 1:.3f} x per spike); epoch loop total "
          f"{loop['total_cpu']:.3f}")
    detail = (f"median of {pairs} paired ratios, quartiles "
              f"{', '.join(f'{q:.3f}' for q in statistics.quantiles(ratios, n=4))}; learning "
              f"network {learning_cost + 1:.3f} x static at {learning['rate_hz']:.1f} vs "
              f"{static_rate:.1f} Hz")
    if target is None:
        info["online_cost"] = round(online_cost, 4)
        print(f"online_cost = {online_cost:.4g} (no target); {detail}")
    else:
        speed_target("online_cost", online_cost, "<=", target, detail)


@pytest.mark.benchmark(group="build")
@pytest.mark.parametrize("backend", ["nest", "neuron"])
@pytest.mark.parametrize("mode", ["epoch", "static", "online"])
def test_bench_build(benchmark, speed_target, backend, mode):
    """The runner's build phase (sim.setup, cells, background, recurrent projections) of an
    N = 1000 all-to-all network: < 10 s CPU (issue 13; 43 s CPU on NEST, 40 s on NEURON
    before the dense build path). epoch: signed weights, every synapse in both projections
    (2M); static: non-negative weights with signs_fixed (1M); online: 1M SAL synapses."""
    _skip_unless(backend)
    runs = {}

    def build() -> None:
        loop = LoopProcess(backend, 1000, 100.0, mode)
        try:
            runs["result"] = loop.result()
        finally:
            loop.close()

    benchmark.pedantic(build, rounds=1, iterations=1)
    r = runs["result"]
    benchmark.extra_info.update(build_s=round(r["build_s"], 3),
                                load_avg=round(os.getloadavg()[0], 2))
    speed_target("build_cpu_s", r["build_cpu_s"], "<", 10.0, f"wall {r['build_s']:.1f} s")
