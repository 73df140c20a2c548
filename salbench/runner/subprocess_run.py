"""Run one cell in a child process, with a time limit, and turn whatever happened into its
`RunOutcome`: ok, failed (raised, or died by a signal), diverged, or timeout."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from salbench.outcome import RunOutcome, RunStatus
from salbench.runner.cells import Cell

_LIVE: set[int] = set()  # process groups of running children, for kill_all()
# set by kill_all: a thread that was just starting its child when Ctrl-C came kills it too
STOPPING = threading.Event()


def kill_all() -> None:
    """Kill every running child (Ctrl-C in the parent); their threads then return."""
    STOPPING.set()
    for pgid in list(_LIVE):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


#: thread-pool sizes of the numeric libraries a child may use (BLAS, OpenMP, numba)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS")


def child_env(threads: int | None) -> dict[str, str] | None:
    """The child's environment: with `threads`, each numeric library's pool is capped at it
    (parallel children would otherwise each start one thread per core and oversubscribe
    the machine); settings the user made win."""
    if threads is None:
        return None
    env = dict(os.environ)
    for var in THREAD_VARS:
        env.setdefault(var, str(threads))
    return env


def run_in_child(cell: Cell, threads: int | None = None) -> RunOutcome:
    """Blocking; safe to call from several threads at once. `threads` caps each numeric
    library's thread pool in the child (set when several children share the machine)."""
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="salbench-run-") as tmp:
        job, result, log = Path(tmp, "job.json"), Path(tmp, "result.json"), Path(tmp, "log.txt")
        job.write_text(json.dumps(cell.to_json()))
        with log.open("wb") as log_fh:
            # own session: a timeout kills the child and anything it started
            proc = subprocess.Popen(
                [sys.executable, "-m", "salbench.runner.child", str(job), str(result)],
                stdout=log_fh, stderr=subprocess.STDOUT, start_new_session=True,
                env=child_env(threads),
            )
            _LIVE.add(proc.pid)
            if STOPPING.is_set():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            try:
                proc.wait(timeout=cell.timeout_s)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            finally:
                _LIVE.discard(proc.pid)
        if result.is_file():
            outcome = RunOutcome.model_validate_json(result.read_bytes())
        else:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            status: RunStatus = "failed"
            if timed_out:
                status, error = "timeout", f"killed after the {cell.timeout_s:g} s time limit"
            elif proc.returncode < 0:
                error = f"child died by {_signal_name(proc.returncode)}"
            else:
                error = f"child exited with code {proc.returncode}"
            outcome = RunOutcome(status=status, error=error, notes={"log_tail": tail},
                                 wall_s=round(time.time() - started, 3))
    outcome.started_at = started
    outcome.finished_at = time.time()
    return outcome
