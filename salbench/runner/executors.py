"""Where the cells of a sweep run: child processes on this machine, or a Dask cluster.

Either way each cell runs in its own fresh child process (`run_in_child`: time limit,
crash isolation, simulators never share a process) and its `RunOutcome` comes back to the
sweep in the parent, which alone writes to the store. A Dask worker only hosts those child
processes, so a cell gives the same result on a cluster as here.
"""

from __future__ import annotations

import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any

from salbench.outcome import RunOutcome
from salbench.runner.cells import Cell
from salbench.runner.subprocess_run import STOPPING, kill_all, run_in_child

RunCell = Callable[[Cell], RunOutcome]


class CellExecutor(ABC):
    """Runs cells and yields (cell, outcome) as each finishes, in any order."""

    #: a short description for the progress line
    where: str = ""

    @abstractmethod
    def run(self, cells: list[Cell]) -> Iterator[tuple[Cell, RunOutcome]]:
        """Start the cells; yield each as it finishes."""

    @abstractmethod
    def cancel(self) -> list[tuple[Cell, RunOutcome]]:
        """Stop everything still pending or running (after Ctrl-C) and return the cells that
        had finished but were not yielded yet, to be stored; unfinished cells are dropped, so
        a resumed sweep runs them again."""

    def close(self) -> None:  # noqa: B027 - optional: most executors hold nothing
        """Release connections and threads."""


class LocalExecutor(CellExecutor):
    """`jobs` cells at a time, each in a child process of this one."""

    def __init__(self, jobs: int = 1, run_cell: RunCell = run_in_child) -> None:
        self.jobs = max(1, jobs)
        if run_cell is run_in_child and self.jobs > 1:
            # share the cores between the children instead of oversubscribing them
            run_cell = partial(run_in_child, threads=max(1, (os.cpu_count() or 1) // self.jobs))
        self.run_cell = run_cell
        self.where = f"{self.jobs} local job{'s' if self.jobs > 1 else ''}"
        self._pending: dict[Future, Cell] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._harvest: list[tuple[Cell, RunOutcome]] = []

    def run(self, cells: list[Cell]) -> Iterator[tuple[Cell, RunOutcome]]:
        # threads only wait on their child process; the work happens in the children
        STOPPING.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            order = {}
            for i, cell in enumerate(cells):
                future = self._pool.submit(self.run_cell, cell)
                self._pending[future], order[future] = cell, i
            while self._pending:
                done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=order.__getitem__):  # stable store order
                    cell = self._pending[future]
                    try:
                        outcome = future.result()
                    except Exception as err:  # noqa: BLE001 - record it, run the others
                        outcome = RunOutcome(status="failed", error=f"{type(err).__name__}: {err}")
                    yield cell, outcome
                    # only now: Ctrl-C before the consumer stored it leaves it to cancel()
                    del self._pending[future]
        except BaseException:
            # Ctrl-C inside wait(), or the consumer gave up (GeneratorExit): kill the
            # children first, else the shutdown below would wait for them to finish
            self._stop()
            raise
        finally:
            self._pool.shutdown(wait=True)

    def _stop(self) -> None:
        # keep what had finished *before* the kill: those results are genuine
        for future, cell in list(self._pending.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                self._harvest.append((cell, future.result()))
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        kill_all()  # running children die; their threads then return at once

    def cancel(self) -> list[tuple[Cell, RunOutcome]]:
        self._stop()
        finished, self._harvest = self._harvest, []
        return finished


def _run_cell_on_worker(cell: Cell) -> RunOutcome:
    """The task a Dask worker runs: the cell in a child process of the worker, as locally."""
    import socket

    threads = None
    try:  # share the worker machine's cores between the worker's concurrent cells
        from distributed import get_worker

        threads = max(1, (os.cpu_count() or 1) // max(1, get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        pass
    outcome = run_in_child(cell, threads=threads)
    outcome.notes["executed_on"] = socket.gethostname()
    return outcome


class DaskExecutor(CellExecutor):
    """Sends every cell to an existing `distributed` cluster (scheduler at `address`).

    Workers need this salbench and its simulators installed (the same environment). Each
    worker thread runs one cell at a time, so start workers with `--nthreads` equal to the
    runs each machine should hold at once. The outcomes come back to this process.
    """

    def __init__(self, address: str, client: Any | None = None) -> None:
        try:
            from distributed import Client
        except ImportError as err:  # pragma: no cover - dask is an optional dependency
            raise RuntimeError("--executor dask needs the 'distributed' package "
                               "(pip install 'salbench[dask]')") from err
        self.address = address
        self._own_client = client is None
        self.client = client if client is not None else Client(address, timeout="30s")
        self.where = f"dask scheduler {address}"
        self._futures: list[Any] = []
        self._by_key: dict[str, Cell] = {}
        self._yielded: set[str] = set()

    def run(self, cells: list[Cell]) -> Iterator[tuple[Cell, RunOutcome]]:
        from distributed import as_completed

        for i, cell in enumerate(cells):
            # distinct keys: Dask would otherwise merge two identical cells into one task
            key = f"salbench-{cell.key}-{i}-{uuid.uuid4().hex[:8]}"
            self._by_key[key] = cell
            self._futures.append(self.client.submit(_run_cell_on_worker, cell, key=key,
                                                    pure=False))
        for future in as_completed(self._futures):
            yield self._by_key[future.key], self._result(future)
            # only now: Ctrl-C before the consumer stored it leaves it to cancel()
            self._yielded.add(future.key)
        self._futures = []

    @staticmethod
    def _result(future: Any) -> RunOutcome:
        try:
            outcome: RunOutcome = future.result()
        except Exception as err:  # noqa: BLE001 - e.g. the worker died: record it
            return RunOutcome(status="failed",
                              error=f"dask task failed: {type(err).__name__}: {err}")
        return outcome

    def cancel(self) -> list[tuple[Cell, RunOutcome]]:
        finished = [(self._by_key[f.key], self._result(f)) for f in self._futures
                    if f.status == "finished" and f.key not in self._yielded]
        if self._futures:
            # cancelled tasks stop being scheduled; a child already running on a worker
            # finishes there, but its result is discarded
            self.client.cancel(self._futures, force=True)
            self._futures = []
        return finished

    def close(self) -> None:
        if self._own_client:
            self.client.close()


def make_executor(kind: str = "local", jobs: int = 1, scheduler: str | None = None,
                  run_cell: RunCell = run_in_child) -> CellExecutor:
    """The executor `salbench run --executor KIND` asks for."""
    if kind == "local":
        return LocalExecutor(jobs, run_cell)
    if kind == "dask":
        if not scheduler:
            raise ValueError("--executor dask needs --scheduler ADDRESS "
                             "(e.g. tcp://head-node:8786, printed by dask-scheduler)")
        return DaskExecutor(scheduler)
    raise ValueError(f"unknown executor {kind!r}; use 'local' or 'dask'")
