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
interleaved (a, b, b, a, ...) in several fresh pairs of processes, and the cost taken from
the median over process pairs of the median of each pair's epoch ratios. On the 2-core VM
this was written on, consecutive 100 ms epochs of one network varied by up to 30 %, and the
same network in four fresh processes took 0.70 to 0.90 s per epoch: a process's speed varies
by itself (its memory's placement), so one pair of processes measures that pair's luck
however many epochs it runs (30 pairs of epochs in one pair of processes gave 1.16 to 1.25
from run to run). Pinning both processes to one core made it worse. The steady measure is
callgrind's count of instructions and cache misses in one epoch: `python epoch_loop.py
--callgrind MODE` under valgrind (epoch_loop.callgrind_epoch). Each network is warmed up with
one short epoch first (NEST sorts its connections and the adapter caches its handles, numba
compiles the rule). Beside the median, the geometric mean of the ratios is recorded with its
95 % confidence interval over the process pairs (`geometric_mean_ci`), which says whether a
run could resolve the 10 % target at all.

The build phase (sim.setup and the network, runner's "build" timer) of each network is
recorded too; the target for it is in test_bench_build (N = 1000 < 10 s).
"""

from __future__ import annotations

import math
import os
import statistics

import numpy as np
import pytest
from epoch_loop import PHASES, LoopProcess
from scipy import stats

# (N, epoch_ms, process pairs, interleaved epoch pairs in each, target for online_cost).
# At N = 1000 and 1000 ms epochs, 8 pairs of processes with one epoch pair each, not 4 with
# two: the process pairs' own speeds are what varies (4 pairs gave 1.078 to 1.182 for NEST in
# one run, where 8 pairs of 100 ms epochs gave 1.020 to 1.116), and the epochs cost the same.
CASES = [
    (200, 100.0, 2, 10, None),
    (200, 1000.0, 1, 5, None),
    (1000, 100.0, 8, 6, 0.10),
    (1000, 1000.0, 8, 1, 0.10),
]
#: the learning network and the epoch loop run this many epochs (no target)
LEARNING_EPOCHS = {100.0: 3, 1000.0: 1}

#: the untimed first epoch: long enough to exercise every phase once
WARMUP_MS = 20.0


def geometric_mean_ci(log_ratios_by_process: list[list[float]],
                      level: float = 0.95) -> tuple[float, float, float]:
    """The geometric mean of the ratios and its two-sided `level` confidence interval, from
    the logs of each process pair's ratios: a t interval over the process pairs' mean logs
    (each pair of processes is one sample: its epochs share that pair's luck, so they are not
    independent of each other). With one process pair, the interval over its epochs."""
    groups = [g for g in log_ratios_by_process if g]
    samples = ([statistics.fmean(g) for g in groups] if len(groups) > 1 else groups[0])
    mean = statistics.fmean(samples)
    if len(samples) < 2:
        return math.exp(mean), math.nan, math.nan
    half = (stats.t.ppf(0.5 + level / 2, len(samples) - 1) * statistics.stdev(samples)
            / math.sqrt(len(samples)))
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


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


def _paired(backend: str, n: int, epoch_ms: float, processes: int, pairs: int) -> dict:
    """Static and online-inert epochs interleaved, `pairs` of them in each of `processes`
    fresh pairs of processes (the one to open first alternating); per-epoch records of both,
    grouped by process pair, and the first pair's builds."""
    epochs: dict[str, list[list[dict]]] = {"static": [], "online-inert": []}
    builds: dict = {}
    for p in range(processes):
        order = ["static", "online-inert"] if p % 2 == 0 else ["online-inert", "static"]
        loops = {m: _open(backend, n, epoch_ms, m) for m in order}
        try:
            if not builds:
                builds = {m: loop.result() for m, loop in loops.items()}
            for m in loops:
                epochs[m].append([])
            for i in range(pairs):
                for mode in (order if i % 2 == 0 else order[::-1]):
                    epochs[mode][-1].append(_epoch(loops[mode]))
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
@pytest.mark.parametrize(("n", "epoch_ms", "processes", "pairs", "target"), CASES,
                         ids=[f"N{c[0]}-{c[1]:g}ms" for c in CASES])
def test_bench_online(benchmark, speed_target, backend, n, epoch_ms, processes, pairs, target):
    _skip_unless(backend)
    runs: dict = {}

    def measure() -> None:
        runs["paired"] = _paired(backend, n, epoch_ms, processes, pairs)
        for mode in ("online", "epoch+"):
            runs[mode] = _run(backend, n, epoch_ms, LEARNING_EPOCHS[epoch_ms], mode)

    benchmark.pedantic(measure, rounds=1, iterations=1)
    by_process = runs["paired"]["epochs"]
    static = [e for group in by_process["static"] for e in group]
    inert = [e for group in by_process["online-inert"] for e in group]
    # the same activity, spike for spike: the ratios compare the mechanism alone
    assert [e["spikes"] for e in inert] == [e["spikes"] for e in static]
    ratios = [b["cpu"]["simulate"] / a["cpu"]["simulate"] for a, b in zip(static, inert,
                                                                            strict=True)]
    # per process pair the median of its epochs' ratios, and the median of those: a
    # process's speed varies by itself (the same network, the same spikes: 0.70 to 0.90 s of
    # CPU per 100 ms epoch in four fresh NEST processes), so one pair of processes, however
    # many epochs, measures that pair's luck
    ratios_by_process = [ratios[i * pairs:(i + 1) * pairs] for i in range(processes)]
    per_process = [statistics.median(group) for group in ratios_by_process]
    online_cost = statistics.median(per_process) - 1.0
    geo, low, high = geometric_mean_ci([[math.log(r) for r in group]
                                        for group in ratios_by_process])
    static_sim = statistics.median(e["cpu"]["simulate"] for e in static)
    static_per_spike = statistics.median(e["cpu"]["simulate"] / e["spikes"] for e in static)
    learning, loop = runs["online"], runs["epoch+"]
    learning_cost = learning["cpu"]["simulate"] / static_sim - 1.0
    learning_cost_per_spike = (learning["cpu"]["simulate"] / learning["spikes"]
                               / static_per_spike - 1.0)
    static_rate = statistics.median(e["spikes"] for e in static) / n / (epoch_ms / 1000.0)
    info = benchmark.extra_info
    info.update(n=n, epoch_ms=epoch_ms, processes=processes, pairs=pairs,
                load_avg=round(os.getloadavg()[0], 2),
                online_cost_ratios=[round(r, 4) for r in ratios],
                online_cost_per_process=[round(r, 4) for r in per_process],
                online_cost_iqr=[round(q - 1.0, 4) for q in statistics.quantiles(ratios, n=4)],
                online_cost_geometric_mean=round(geo - 1.0, 4),
                online_cost_ci95=[round(low - 1.0, 4), round(high - 1.0, 4)],
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
          f"{static_sim:.3f} at {static_rate:.1f} Hz; online-inert / static median over "
          f"{processes} process pairs {online_cost + 1:.3f}; learning "
          f"{learning['cpu']['simulate']:.3f} at "
          f"{learning['rate_hz']:.1f} Hz ({learning_cost + 1:.3f} x static, "
          f"{learning_cost_per_spike + 1:.3f} x per spike); epoch loop total "
          f"{loop['total_cpu']:.3f}")
    detail = (f"median over {processes} process pairs of the median of {pairs} paired "
              f"epochs: {', '.join(f'{r:.3f}' for r in sorted(per_process))}; geometric mean "
              f"over the process pairs {geo:.3f}, 95 % CI [{low:.3f}, {high:.3f}]; learning "
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


@pytest.mark.benchmark(group="online-sal")
@pytest.mark.parametrize("backend", ["nest", "neuron"])
def test_bench_online_instructions(benchmark, speed_target, backend):
    """Online SAL's cost counted, not timed: one 50 ms epoch of the N = 1000 all-to-all
    network with static synapses, then with SAL at 1e-9 of the learning rate (online-inert:
    the same spikes), each under callgrind with this machine's last-level cache (epoch_loop.
    callgrind_counts). Instructions and the cycle estimate (instructions + 10 per L1 miss +
    100 per last-level miss) are the same from run to run, where the CPU-time ratio of
    test_bench_online varies with each process's luck; both must be at most 10 % above the
    static network's (issue 13). About 3 min on NEST, 5 min on NEURON, mostly valgrind
    running the build uninstrumented."""
    import shutil

    from epoch_loop import callgrind_counts

    _skip_unless(backend)
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind not installed (apt-get install valgrind)")
    counts: dict = {}

    modes = ["static", "online-inert"] + (["stdp-nest-inert"] if backend == "nest" else [])

    def measure() -> None:
        for mode in modes:
            counts[mode] = callgrind_counts(backend, mode, 1000, 50.0)

    benchmark.pedantic(measure, rounds=1, iterations=1)
    static, inert = counts["static"], counts["online-inert"]
    ratio = {k: inert[k] / static[k] for k in static}
    benchmark.extra_info.update({f"{m}_{k}": v for m in counts for k, v in counts[m].items()})
    detail = (f"instructions {static['Ir'] / 1e9:.3f} -> {inert['Ir'] / 1e9:.3f} G, L1 misses "
              f"x{ratio['L1m']:.3f}, last-level misses {static['LLm'] / 1e6:.2f} -> "
              f"{inert['LLm'] / 1e6:.2f} M, cycle estimate x{ratio['CEst']:.4f}")
    if "stdp-nest-inert" in counts:
        builtin = {k: counts["stdp-nest-inert"][k] / static[k] for k in static}
        benchmark.extra_info.update(builtin_stdp_instructions_ratio=round(builtin["Ir"], 4),
                                    builtin_stdp_cycle_estimate_ratio=round(builtin["CEst"], 4))
        detail += (f"; NEST's stdp_nn_restr_synapse instead: instructions x{builtin['Ir']:.3f}, "
                   f"cycle estimate x{builtin['CEst']:.3f}")
    speed_target("online_instructions", ratio["Ir"] - 1.0, "<=", 0.10, detail)
    speed_target("online_cycle_estimate", ratio["CEst"] - 1.0, "<=", 0.10, detail)


def test_geometric_mean_ci_is_scipys_t_interval_over_process_pairs():
    """geometric_mean_ci: one sample per process pair (its mean log ratio), the t interval of
    scipy's one-sample t test on those, exponentiated; one process pair: over its epochs."""
    rng = np.random.default_rng(0)
    groups = [list(rng.normal(np.log(1.08), 0.2, 5) + rng.normal(0.0, 0.1)) for _ in range(6)]
    means = [statistics.fmean(g) for g in groups]
    ci = stats.ttest_1samp(means, 0.0).confidence_interval(0.95)
    geo, low, high = geometric_mean_ci(groups)
    assert geo == pytest.approx(math.exp(statistics.fmean(means)), rel=1e-12)
    assert (low, high) == pytest.approx((math.exp(ci.low), math.exp(ci.high)), rel=1e-12)
    one = stats.ttest_1samp(groups[0], 0.0).confidence_interval(0.95)
    assert geometric_mean_ci(groups[:1])[1:] == pytest.approx(
        (math.exp(one.low), math.exp(one.high)), rel=1e-12)
