"""Report speed: a 1000-run store must render in under 5 s (issue 7).

The store is synthetic (tests/synthetic_runs.py: real RunRecords through Store.add, 100
epochs of series each, three scenarios incl. two sweeps, four backends) and made once per
module. The benchmark times what `salbench report` does after start-up: read every run
from SQLite, build the model, run the tests, draw the plots, render and write the file.

The budget is checked on the slowest of the rounds in CPU time of this process (rendering is
one process, one thread), which neighbours on a busy machine barely change; the wall time is
recorded next to it.  An absolute budget, not a ratio: there is no baseline to run alongside.
"""

from __future__ import annotations

import pytest
from synthetic_runs import synthetic_store
from targets import timed_rounds

from salbench.report.html import write_report
from salbench.store import Store

N_RUNS = 1000
BUDGET_S = 5.0


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "runs.sqlite"
    store = synthetic_store(path, N_RUNS)
    assert store.count() == N_RUNS
    store.close()
    return path


@pytest.mark.benchmark
def test_bench_report_1000_runs(benchmark, speed_target, big_store, tmp_path):
    out = tmp_path / "report.html"

    def report() -> int:
        store = Store.open_existing(big_store)
        try:
            return write_report(store, out).stat().st_size
        finally:
            store.close()

    report()  # template compilation and imports outside the timing, as in a warm process
    size, timing = timed_rounds(benchmark, report, 3)
    benchmark.extra_info.update(runs=N_RUNS, html_bytes=size,
                                max_wall_s=round(max(timing.wall_s), 3))
    assert size > 100_000
    speed_target("max_cpu_s", max(timing.cpu_s), "<", BUDGET_S,
                 f"wall time {max(timing.wall_s):.2f} s, {N_RUNS} runs")
