"""Run many cells: in parallel processes or on a Dask cluster (`executors`), with progress,
storing each finished run at once.

Only this (parent) process writes to the store, one transaction per run, so a crash of any
run never loses the others, and Ctrl-C leaves every finished run stored and nothing
half-written: a run is either one committed row or absent, and `--resume` runs the absent
ones.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from salbench.outcome import RunOutcome
from salbench.runner.cells import Cell
from salbench.runner.executors import CellExecutor, LocalExecutor, RunCell
from salbench.runner.subprocess_run import run_in_child
from salbench.store import RunRecord, Store


def to_record(cell: Cell, outcome: RunOutcome) -> RunRecord:
    """The stored row of a finished cell."""
    return RunRecord.from_outcome(
        outcome, cell_key=cell.key, scenario=cell.scenario, label=cell.label,
        protocol=cell.protocol, profile=cell.profile, backend=cell.backend,
        adapter=cell.adapter, seed=cell.seed, sweep=cell.sweep, config=cell.to_json(),
    )


def _describe(cell: Cell) -> str:
    sweep = " ".join(f"{k}={v}" for k, v in cell.sweep.items())
    return f"{cell.scenario} · {cell.backend} · seed {cell.seed}" + (f" · {sweep}" if sweep else "")


@contextmanager
def _interrupt_deferred() -> Iterator[None]:
    """Hold Ctrl-C back until the block is done (in the main thread; elsewhere Python
    delivers no signals anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    if previous is None:  # a handler installed outside Python: restore Python's default
        previous = signal.default_int_handler
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


def run_sweep(
    cells: list[Cell],
    store: Store,
    jobs: int = 1,
    resume: bool = False,
    console: Console | None = None,
    execute: RunCell = run_in_child,
    executor: CellExecutor | None = None,
) -> Counter[str]:
    """Run the cells and return how many ended with each status (skipped ones as 'skipped').

    `executor` decides where cells run (default: `jobs` child processes here, each running
    `execute`). With `resume`, cells whose latest stored run is ok or diverged are skipped,
    and a re-run of a failed cell replaces its stored run in the same transaction.
    """
    console = console or Console(stderr=True)
    executor = executor or LocalExecutor(jobs, execute)
    counts: Counter[str] = Counter()
    stored = store.cell_status() if resume else {}
    todo = []
    for cell in cells:
        if stored.get(cell.key) in ("ok", "diverged"):
            counts["skipped"] += 1
        else:
            todo.append(cell)
    if counts["skipped"]:
        console.print(f"resuming: {counts['skipped']} of {len(cells)} cells already stored")
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                        transient=False)
    with progress:
        task = progress.add_task(f"salbench run ({executor.where})", total=len(todo))

        stored_now: set[int] = set()  # id() of the cells stored by this sweep

        def finish(cell: Cell, outcome: RunOutcome) -> None:
            if id(cell) in stored_now:  # cancel() may hand back the one being stored
                return
            record = to_record(cell, outcome)
            with _interrupt_deferred():  # stored and marked as stored, or neither
                store.add(record, replace_cell=cell.key in stored)
                stored_now.add(id(cell))
            counts[record.status] += 1
            colour = {"ok": "green", "diverged": "yellow"}.get(record.status, "red")
            line = f"[{colour}]{record.status:8}[/] {_describe(cell)}"
            line += f"  {record.wall_s or 0:.1f} s"
            if record.error:
                line += f"  ({record.error.splitlines()[0][:120]})"
            progress.console.print(line, highlight=False)
            progress.advance(task)

        try:
            for cell, outcome in executor.run(todo):
                finish(cell, outcome)
        except KeyboardInterrupt:
            # runs that had finished are stored; the interrupted ones are not (--resume
            # runs them again)
            for cell, outcome in executor.cancel():
                finish(cell, outcome)
            progress.console.print("[red]interrupted[/]: finished runs are stored; "
                                   "continue with --resume")
            raise
        finally:
            executor.close()
    return counts
