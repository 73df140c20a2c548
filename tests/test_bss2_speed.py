"""Wall time of bss2 vs NEST: 100 IF_cond_exp neurons, Poisson background, 10 s biological.

Reports the ratio (run with ``-s`` to see it); no wall-clock assertion.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from pynn_networks import sampling_units

nest_sim = pytest.importorskip("pyNN.nest")
import salbench.simulators.bss2 as bss2  # noqa: E402

N = 100
T_BIO = 10_000.0


def _network(sim):
    return sampling_units(sim, N)


def _timed(sim, **setup):
    sim.setup(timestep=0.1, **setup)
    start = time.perf_counter()
    cells = _network(sim)
    sim.run(T_BIO)
    counts = cells.get_spike_counts()
    wall = time.perf_counter() - start
    rate = np.mean([counts[i] for i in cells.all_cells]) / (T_BIO / 1000.0)
    sim.end()
    return wall, rate


@pytest.mark.slow  # a benchmark (about 40 s on a loaded 2-core machine); prints the ratio
def test_speed_bss2_vs_nest():
    bss2.setup(timestep=0.1, profile="bss2-ideal")      # load the compiled engine once
    _network(bss2)
    bss2.run(10.0)
    t_nest, r_nest = _timed(nest_sim, min_delay=0.1, spike_precision="on_grid", rng_seed=2)
    t_ideal, r_ideal = _timed(bss2, profile="bss2-ideal", rng_seed=2)
    t_hw, r_hw = _timed(bss2, profile="bss2", rng_seed=2)
    hw_time = bss2.state.hardware_time_s
    print(f"\n100 IF_cond_exp + Poisson background, {T_BIO / 1000:.0f} s biological time:")
    print(f"  NEST        {t_nest:6.2f} s wall  ({r_nest:.1f} Hz)")
    print(f"  bss2-ideal  {t_ideal:6.2f} s wall  ({r_ideal:.1f} Hz)  "
          f"bss2/NEST = {t_ideal / t_nest:.3f}")
    print(f"  bss2        {t_hw:6.2f} s wall  ({r_hw:.1f} Hz)  bss2/NEST = {t_hw / t_nest:.3f}, "
          f"emulated hardware time {hw_time * 1000:.1f} ms")
    assert r_nest > 1.0 and r_ideal > 1.0
    assert hw_time == pytest.approx(T_BIO / 1000 / 1000 + bss2.state.config.run_overhead_s)
