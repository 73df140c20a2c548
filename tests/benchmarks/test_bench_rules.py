"""Speed of the pairing kernel (nearest-neighbour SAL correlations) on Poisson spike trains.

No stated target: the spikes per second are recorded (extra_info) and printed."""

from __future__ import annotations

import numpy as np
import pytest
from targets import timed_rounds

from salbench.rules import causal_correlation

DURATION_MS = 10_000.0
RATE_HZ = 30.0


def poisson_trains(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(RATE_HZ * DURATION_MS / 1000.0, n)
    return [np.sort(rng.uniform(0.0, DURATION_MS, c)) for c in counts]


@pytest.mark.benchmark
@pytest.mark.parametrize("n", [100, 1000])
def test_bench_nearest_pairing(benchmark, n):
    spikes = poisson_trains(n)
    n_spikes = sum(s.size for s in spikes)
    causal_correlation(spikes[:2], tau=10.0)  # compile (or load the numba cache) outside timing
    (C, _), timing = timed_rounds(
        benchmark,
        lambda: causal_correlation(spikes, tau=10.0, pairing="nearest"),
        5 if n <= 100 else 3,
    )
    assert C.shape == (n, n) and np.all(np.diag(C) == 0.0)
    mean_s = timing.mean_wall_s
    benchmark.extra_info["spikes"] = n_spikes
    benchmark.extra_info["spikes_per_s"] = n_spikes / mean_s
    print(
        f"\n{n} neurons x {DURATION_MS / 1000:g} s at {RATE_HZ:g} Hz: {n_spikes} spikes, "
        f"{mean_s:.3f} s, {n_spikes / mean_s:,.0f} spikes/s"
    )
