"""Speed of the reference engine (discrete-time sampling network), in neuron-steps per second.

N = 7 over 50,000 steps is one sleep phase of the paper's sampling network (1000 t_ref with
t_ref = 50 steps); N = 100 shows how the cost of the synaptic input scales.  Target: >= 5e6
neuron-steps/s at N = 7 (the SAL authors' numba code does ~5e6), in CPU time of this process
(the engine is one thread), which a busy machine barely changes; the wall-time rate is
recorded next to it.  An absolute rate, not a ratio: there is no baseline to run alongside.
"""

from __future__ import annotations

import numpy as np
import pytest
from targets import timed_rounds

from salbench.backends.reference.engine import DiscreteSamplingNetwork

T_REF = 50
N_STEPS = 50_000


def make_network(n: int, timing: str = "authors") -> DiscreteSamplingNetwork:
    """The sampling scenario's target-like network: W symmetric U(-1, 1), b U(-1, 1)."""
    rng = np.random.default_rng(n)
    w = np.triu(rng.uniform(-1.0, 1.0, (n, n)), 1)
    w = w + w.T
    b = rng.uniform(-1.0, 1.0, n)
    return DiscreteSamplingNetwork(w, b, t_ref_steps=T_REF, dt_ms=1.0, seed=1, timing=timing)


@pytest.mark.benchmark
@pytest.mark.parametrize("timing", ["authors", "buesing"])
@pytest.mark.parametrize("n", [7, 100])
def test_bench_reference_engine(benchmark, speed_target, n, timing):
    network = make_network(n, timing)
    network.run(10.0)  # compile (or load the numba cache) outside the timing
    spikes, timing_s = timed_rounds(benchmark, network.run, 10 if n <= 10 else 5,
                                    args=(float(N_STEPS),))
    assert len(spikes) == n and sum(s.size for s in spikes) > 0
    rate_wall = n * N_STEPS / timing_s.mean_wall_s
    rate_cpu = n * N_STEPS / timing_s.mean_cpu_s
    benchmark.extra_info.update(neuron_steps_per_s=rate_wall, neuron_steps_per_s_cpu=rate_cpu)
    print(f"\nN = {n} ({timing}), {N_STEPS} steps: {timing_s.mean_wall_s * 1e3:.2f} ms, "
          f"{rate_wall:,.0f} neuron-steps/s ({rate_cpu:,.0f} in CPU time)")
    if n == 7:
        speed_target("neuron_steps_per_s_cpu", rate_cpu, ">=", 5e6,
                     f"wall time: {rate_wall:.3g} neuron-steps/s")


@pytest.mark.benchmark
def test_bench_reference_sample_states(benchmark):
    """A validation phase: 100x a sleep phase, states every t_ref / 2 (N = 7).  No target."""
    network = make_network(7)
    network.sample_states(100.0, T_REF // 2)
    z, timing_s = timed_rounds(benchmark, network.sample_states, 3,
                               args=(100.0 * N_STEPS, T_REF // 2))
    assert z.shape == (100 * N_STEPS // (T_REF // 2), 7)
    rate = 7 * 100 * N_STEPS / timing_s.mean_wall_s
    benchmark.extra_info["neuron_steps_per_s"] = rate
    print(f"\nsample_states N = 7, {100 * N_STEPS} steps: {timing_s.mean_wall_s:.3f} s, "
          f"{rate:,.0f} neuron-steps/s")
