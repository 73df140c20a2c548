"""`salbench run --executor dask`: cells run on the workers of a Dask cluster, results come
back to the client, which alone writes the store; they equal a local run's.

About 20-30 s on an idle machine (a 2-process LocalCluster, 2 + 2 short reference runs).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from salbench.cli.main import main as cli_main
from salbench.runner.cells import expand_cells
from salbench.runner.sweep import run_sweep
from salbench.store import Store

distributed = pytest.importorskip("distributed")

ARGS = ["pair-demo", "--backend", "reference", "--seeds", "2", "--set", "epochs=10"]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cl:
        yield cl


def _by_cell(path: Path) -> dict[str, object]:
    store = Store.open_existing(path)
    try:
        return {r.cell_key: r for r in store.runs()}
    finally:
        store.close()


def test_dask_sweep_stores_what_a_local_sweep_stores(cluster, tmp_path: Path) -> None:
    dask_store, local_store = tmp_path / "dask.sqlite", tmp_path / "local.sqlite"
    assert cli_main(["run", *ARGS, "--store", str(dask_store), "--executor", "dask",
                     "--scheduler", cluster.scheduler_address]) == 0
    cells = expand_cells(["pair-demo"], ["reference"], 2, "quick", ["epochs=10"])
    local = Store(local_store)
    try:
        assert run_sweep(cells, local, jobs=2)["ok"] == 2
    finally:
        local.close()

    remote, here = _by_cell(dask_store), _by_cell(local_store)
    assert set(remote) == set(here) == {c.key for c in cells}
    for key, run in remote.items():
        assert run.status == "ok" and here[key].status == "ok"
        assert run.final and run.final == here[key].final  # same seeds, same numbers
        assert run.series == here[key].series
        assert "executed_on" in run.notes  # set only by the task on a Dask worker
        assert "executed_on" not in here[key].notes


def test_dask_flags_are_checked(tmp_path: Path) -> None:
    store = str(tmp_path / "x.sqlite")
    assert cli_main(["run", *ARGS, "--store", store, "--executor", "dask"]) == 2
    assert cli_main(["run", *ARGS, "--store", store, "--scheduler", "tcp://x:1"]) == 2
    assert not Path(store).exists()  # refused before anything ran or was stored
