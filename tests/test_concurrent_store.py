"""Two `salbench run` processes writing to one store at once lose nothing.

About 20-30 s on an idle machine (two sweeps of 2 short reference runs side by side, and two
processes hammering the store with 150 records each).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from salbench.store import Store

SALBENCH = [sys.executable, "-m", "salbench"]

_WRITER = """
import sys, time
from salbench.store import RunRecord, Store
path, tag, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
while time.time() < start:  # both writers open the (new) file and write at the same moment
    time.sleep(0.001)
store = Store(path)
for i in range(n):
    store.add(RunRecord(cell_key=f"{tag}-{i}", scenario="s", label="l", protocol="p",
                        profile="quick", backend="b", adapter="a", seed=i, status="ok",
                        final={"x": i}, series={"t_ms": list(range(200))}))
store.close()
"""


def test_two_sweeps_into_one_store(tmp_path: Path) -> None:
    store = tmp_path / "shared.sqlite"
    base = ["run", "pair-demo", "--backend", "reference", "--seeds", "2", "--store", str(store)]
    procs = [subprocess.Popen([*SALBENCH, *base, "--set", f"epochs={epochs}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for epochs in (10, 11)]  # distinct cells in the two sweeps
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    s = Store.open_existing(store)
    try:
        runs = list(s.runs())
    finally:
        s.close()
    assert len(runs) == 4 and len({r.cell_key for r in runs}) == 4
    assert sorted((r.config["params"]["epochs"], r.seed) for r in runs) == [
        (10, 0), (10, 1), (11, 0), (11, 1)]
    assert all(r.status == "ok" and r.final for r in runs)


def test_concurrent_writers_lose_no_record(tmp_path: Path) -> None:
    import time

    store, n = tmp_path / "hammer.sqlite", 150
    start = str(time.time() + 3.0)  # after both interpreters have started
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(store), tag, str(n), start],
                              stderr=subprocess.PIPE, text=True) for tag in ("a", "b")]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    s = Store.open_existing(store)
    try:
        keys = [r.cell_key for r in s.runs()]
    finally:
        s.close()
    assert sorted(keys) == sorted(f"{t}-{i}" for t in ("a", "b") for i in range(n))
