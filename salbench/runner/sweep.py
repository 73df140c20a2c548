"""Run many cells: in parallel processes, with progress, storing each finished run at once.

Only this (parent) process writes to the store, one transaction per run, so a crash of any
run never loses the others, and Ctrl-C leaves every finished run stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from salbench.runner.config import Cell
from salbench.runner.subprocess_run import kill_all, run_in_child
from salbench.store import RunRecord, Store

Executor = Callable[[Cell], dict[str, Any]]


def to_record(cell: Cell, out: dict[str, Any]) -> RunRecord:
    return RunRecord(
        cell_key=cell.key, scenario=cell.scenario, label=cell.label, protocol=cell.protocol,
        profile=cell.profile, backend=cell.backend, adapter=cell.adapter, seed=cell.seed,
        sweep=cell.sweep, status=out.get("status", "failed"), error=out.get("error"),
        config=cell.to_json(), provenance=out.get("provenance", {}),
        timings=out.get("timings", {}), peak_mem_mb=out.get("peak_mem_mb"),
        bio_time_ms=out.get("bio_time_ms"), wall_s=out.get("wall_s"),
        final=out.get("final", {}), series=out.get("series", {}),
        notes={**out.get("notes", {}), **({"traceback": out["traceback"]}
                                          if out.get("traceback") else {})},
        started_at=out.get("started_at"), finished_at=out.get("finished_at"),
    )


def _describe(cell: Cell) -> str:
    sweep = " ".join(f"{k}={v}" for k, v in cell.sweep.items())
    return f"{cell.scenario} · {cell.backend} · seed {cell.seed}" + (f" · {sweep}" if sweep else "")


def run_sweep(
    cells: list[Cell],
    store: Store,
    jobs: int = 1,
    resume: bool = False,
    console: Console | None = None,
    execute: Executor = run_in_child,
) -> Counter[str]:
    """Run the cells and return how many ended with each status (skipped ones as 'skipped')."""
    console = console or Console(stderr=True)
    counts: Counter[str] = Counter()
    stored = store.cell_status() if resume else {}
    todo = []
    for cell in cells:
        if stored.get(cell.key) in ("ok", "diverged"):
            counts["skipped"] += 1
        else:
            todo.append(cell)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                        transient=False)
    with progress, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        task = progress.add_task("salbench run", total=len(todo))
        pending: dict[Future, Cell] = {pool.submit(execute, cell): cell for cell in todo}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    cell = pending.pop(future)
                    out = future.result()
                    record = to_record(cell, out)
                    store.add(record, replace_cell=cell.key in stored)
                    counts[record.status] += 1
                    colour = {"ok": "green", "diverged": "yellow"}.get(record.status, "red")
                    line = f"[{colour}]{record.status:8}[/] {_describe(cell)}"
                    line += f"  {record.wall_s or 0:.1f} s"
                    if record.error:
                        line += f"  ({record.error.splitlines()[0][:120]})"
                    progress.console.print(line, highlight=False)
                    progress.advance(task)
        except KeyboardInterrupt:
            for future in pending:
                future.cancel()
            kill_all()  # the interrupted runs are not stored: --resume runs them again
            progress.console.print("[red]interrupted[/]: finished runs are stored; "
                                   "continue with --resume")
            raise
    return counts
