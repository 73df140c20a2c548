"""Ctrl-C (SIGINT) to `salbench run`, then `--resume`: finished runs stay stored exactly
once, the interrupted run leaves nothing behind (no row, no process), and the resumed sweep
runs only what is missing.

About 30 s on an idle machine (three `salbench run` processes, 4 + 1 short reference runs).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

SALBENCH = [sys.executable, "-m", "salbench"]
ARGS = ["run", "pair-demo", "--backend", "reference", "--seeds", "4", "--set", "epochs=30",
        "--jobs", "1"]


def _default_sigint() -> None:
    """In the child before exec: SIGINT back to its default. A shell runs background jobs
    with SIGINT ignored, the child inherits that, and Python then installs no
    KeyboardInterrupt handler, so `pytest &` (or a CI runner doing the same) would see the
    sweep ignore Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _rows(store: Path) -> list[tuple]:
    if not store.exists():
        return []
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT id, cell_key, status, finished_at, final, series "
                            "FROM runs ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the table does not exist yet
        return []
    finally:
        conn.close()


def _env(tmp: Path) -> dict[str, str]:
    # children put their job files under TMPDIR: this finds any child left running
    return {**os.environ, "TMPDIR": str(tmp)}


def _live_children(tmp: Path) -> list[psutil.Process]:
    out = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if "salbench.runner.child" in cmd and str(tmp) in cmd:
            out.append(proc)
    return out


def test_sigint_then_resume(tmp_path: Path) -> None:
    store, tmp = tmp_path / "s.sqlite", tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([*SALBENCH, *ARGS, "--store", str(store)], env=_env(tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    deadline = time.monotonic() + 300
    while not _rows(store) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)  # the second run is in progress now
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err
    assert not _live_children(tmp)  # the interrupted run's process was killed
    assert not list(tmp.iterdir())  # and its job directory removed

    before = _rows(store)
    assert 1 <= len(before) < 4
    assert all(r[2] == "ok" and r[4] != "{}" and r[5] != "{}" for r in before)

    done = subprocess.run([*SALBENCH, *ARGS, "--store", str(store), "--resume"],
                          env=_env(tmp), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"resuming: {len(before)} of 4 cells already stored" in done.stderr
    after = _rows(store)
    assert len(after) == 4 and len({r[1] for r in after}) == 4  # nothing stored twice
    assert after[: len(before)] == before  # finished runs were not run again
    assert all(r[2] == "ok" for r in after)

    conn = sqlite3.connect(store)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()

    # resuming a complete sweep runs nothing and changes nothing
    again = subprocess.run([*SALBENCH, *ARGS, "--store", str(store), "--resume"],
                           env=_env(tmp), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "4 cells: 4 skipped" in again.stderr
    assert _rows(store) == after
