"""`--jobs N` runs N cells at once (each in its own child process), and Ctrl-C stops them.

Uses stand-in cell functions, so it takes about 1 s; the speed-up itself is measured in
tests/benchmarks/test_bench_sweep.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from salbench.outcome import RunOutcome
from salbench.runner.cells import expand_cells
from salbench.runner.executors import LocalExecutor, make_executor
from salbench.runner.sweep import run_sweep
from salbench.store import Store


def _cells(n: int):
    return expand_cells(["pair-demo"], ["reference"], n, "quick", ["epochs=10"])


class _Probe:
    """A stand-in for run_in_child that records how many cells ran at the same time."""

    def __init__(self, barrier_parties: int | None = None) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = 0
        self.barrier = threading.Barrier(barrier_parties, timeout=30) if barrier_parties else None

    def __call__(self, cell) -> RunOutcome:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        if self.barrier is not None:
            self.barrier.wait()  # returns only when `parties` cells are running at once
        with self.lock:
            self.now -= 1
        return RunOutcome(status="ok", final={"seed": cell.seed}, wall_s=0.0)


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_jobs_cells_run_at_once(tmp_path: Path, jobs: int) -> None:
    probe = _Probe(barrier_parties=jobs)
    store = Store(tmp_path / "s.sqlite")
    try:
        counts = run_sweep(_cells(6), store, executor=LocalExecutor(jobs, probe))
        assert counts == Counter(ok=6)
        assert probe.peak == jobs
        assert sorted(r.final["seed"] for r in store.runs()) == list(range(6))
    finally:
        store.close()


def test_interrupt_stores_finished_cells_only(tmp_path: Path) -> None:
    calls = []

    def run_cell(cell) -> RunOutcome:
        calls.append(cell.seed)
        if len(calls) == 3:  # Ctrl-C while the third cell runs: the main thread gets it
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
        return RunOutcome(status="ok", final={"seed": cell.seed})

    store = Store(tmp_path / "s.sqlite")
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sweep(_cells(5), store, executor=LocalExecutor(1, run_cell))
        assert [r.final["seed"] for r in store.runs()] == [0, 1]  # not the interrupted one
        assert calls == [0, 1, 2]  # and nothing started after Ctrl-C
        counts = run_sweep(_cells(5), store, resume=True,
                           executor=LocalExecutor(1, lambda c: RunOutcome(status="ok")))
        assert counts == Counter(skipped=2, ok=3)
        assert store.count() == 5
    finally:
        store.close()


def test_a_raising_cell_is_recorded_as_failed(tmp_path: Path) -> None:
    def run_cell(cell) -> RunOutcome:
        if cell.seed == 1:
            raise OSError("no space left on device")
        return RunOutcome(status="ok")

    store = Store(tmp_path / "s.sqlite")
    try:
        counts = run_sweep(_cells(3), store, executor=LocalExecutor(2, run_cell))
        assert counts == Counter(ok=2, failed=1)
        failed = [r for r in store.runs() if r.status == "failed"]
        assert failed[0].seed == 1 and "no space left" in failed[0].error
    finally:
        store.close()


def test_make_executor_checks_its_arguments() -> None:
    assert isinstance(make_executor("local", jobs=2), LocalExecutor)
    with pytest.raises(ValueError, match="--scheduler"):
        make_executor("dask")
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("mpi")
