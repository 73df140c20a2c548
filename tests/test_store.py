"""The SQLite store: schema version, WAL, one record per run, plain data."""

from __future__ import annotations

import math
import sqlite3

import pytest

from salbench.store import RunRecord, Store, StoreError
from salbench.store.sqlite import SCHEMA_VERSION


def _record(**kw) -> RunRecord:
    base = dict(cell_key="k1", scenario="pair", label="a <b> label", protocol="pair",
                profile="quick", backend="nest", adapter="nest", seed=0, status="ok")
    base.update(kw)
    return RunRecord(**base)


def test_roundtrip_and_nan_as_null(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    rid = store.add(_record(final={"a": 1.5, "b": math.nan}, series={"t_ms": [0.0, 1.0],
                                                                   "a": [math.inf, 2.0]},
                            timings={"simulate": 1.0}, sweep={"eta": 0.5}))
    [run] = list(store.runs())
    assert run.id == rid
    assert run.final == {"a": 1.5, "b": None}
    assert run.series["a"] == [None, 2.0]
    assert run.sweep == {"eta": 0.5} and run.label == "a <b> label"
    assert store.count() == 1


def test_schema_version_and_wal(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 999"):
        Store(path)


def test_not_a_store(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a usable salbench store"):
        Store(path)


def test_status_is_constrained_and_replace_cell(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        store.add(_record(status="weird"))
    assert store.count() == 0  # the failed transaction left nothing behind
    store.add(_record(status="failed"))
    store.add(_record(status="ok"), replace_cell=True)
    assert [r.status for r in store.runs()] == ["ok"]
    assert store.cell_status() == {"k1": "ok"}


def test_an_outcome_from_a_child_is_stored_as_one_row(tmp_path):
    from salbench.outcome import RunOutcome

    sent = RunOutcome(status="failed", error="RuntimeError: boom", traceback="Traceback ...",
                      final={"a": math.inf}, series={"a": [math.nan, 1.0]},
                      notes={"main_metric": "a"}, timings={"simulate": 0.5}, wall_s=1.5,
                      started_at=10.0, finished_at=11.5)
    # the child writes JSON, the parent reads it: NaN and infinities cross unchanged
    outcome = RunOutcome.model_validate_json(sent.model_dump_json().encode())
    assert math.isinf(outcome.final["a"]) and math.isnan(outcome.series["a"][0])
    with pytest.raises(ValueError, match="status"):
        RunOutcome(status="weird")
    store = Store(tmp_path / "s.sqlite")
    store.add(RunRecord.from_outcome(
        outcome, cell_key="k1", scenario="pair", label="l", protocol="pair", profile="quick",
        backend="nest", adapter="nest", seed=3, sweep={"eta": 0.5}, config={"seed": 3}))
    [run] = list(store.runs())
    assert (run.status, run.error, run.seed, run.sweep) == ("failed", "RuntimeError: boom", 3,
                                                            {"eta": 0.5})
    assert run.notes == {"main_metric": "a", "traceback": "Traceback ..."}
    assert run.final == {"a": None} and run.series == {"a": [None, 1.0]}
    assert (run.wall_s, run.started_at, run.finished_at) == (1.5, 10.0, 11.5)
    assert run.timings == {"simulate": 0.5} and run.config == {"seed": 3}
