"""SQLite store: one file, WAL, schema-versioned, one transaction per run.

Several `salbench run` processes may write to the same file at once: WAL plus a busy
timeout serialises their short transactions.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from salbench.outcome import RunOutcome

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cell_key TEXT NOT NULL,
    scenario TEXT NOT NULL,
    label TEXT NOT NULL,
    protocol TEXT NOT NULL,
    profile TEXT NOT NULL,
    backend TEXT NOT NULL,
    adapter TEXT NOT NULL,
    seed INTEGER NOT NULL,
    sweep TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'timeout', 'diverged')),
    error TEXT,
    config TEXT NOT NULL,
    provenance TEXT NOT NULL,
    timings TEXT NOT NULL,
    peak_mem_mb REAL,
    bio_time_ms REAL,
    wall_s REAL,
    final TEXT NOT NULL,
    series TEXT NOT NULL,
    notes TEXT NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS runs_cell ON runs (cell_key);
CREATE INDEX IF NOT EXISTS runs_scenario ON runs (scenario, backend);
"""

_JSON_FIELDS = ("sweep", "config", "provenance", "timings", "final", "series", "notes")


class StoreError(RuntimeError):
    """The store file cannot be used (wrong schema, not a salbench store...)."""


def _clean(value: Any) -> Any:
    """JSON with NaN/inf as null, so every reader (SQLite, browsers) can parse it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@dataclass
class RunRecord:
    cell_key: str
    scenario: str
    label: str
    protocol: str
    profile: str
    backend: str
    adapter: str
    seed: int
    status: str
    sweep: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    peak_mem_mb: float | None = None
    bio_time_ms: float | None = None
    wall_s: float | None = None
    final: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    id: int | None = None

    @classmethod
    def from_outcome(cls, outcome: RunOutcome, *, cell_key: str, scenario: str, label: str,
                     protocol: str, profile: str, backend: str, adapter: str, seed: int,
                     sweep: dict[str, Any], config: dict[str, Any]) -> RunRecord:
        """The row of a run: its cell (identity and full configuration) and its outcome; a
        traceback is kept among the notes."""
        notes = dict(outcome.notes)
        if outcome.traceback:
            notes["traceback"] = outcome.traceback
        return cls(
            cell_key=cell_key, scenario=scenario, label=label, protocol=protocol,
            profile=profile, backend=backend, adapter=adapter, seed=seed, sweep=sweep,
            config=config, status=outcome.status, error=outcome.error,
            provenance=outcome.provenance, timings=outcome.timings,
            peak_mem_mb=outcome.peak_mem_mb, bio_time_ms=outcome.bio_time_ms,
            wall_s=outcome.wall_s, final=outcome.final, series=outcome.series, notes=notes,
            started_at=outcome.started_at, finished_at=outcome.finished_at,
        )


_COLUMNS = [f for f in RunRecord.__dataclass_fields__ if f != "id"]


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create the folder of store {self.path} "
                             f"({err.strerror}); pass a writable --store path") from None
        try:
            self.conn = sqlite3.connect(self.path, timeout=60.0)
            self._enable_wal()
            with self.conn:
                self.conn.executescript(_SCHEMA)
                row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'")
                found = row.fetchone()
                if found is None:
                    self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                                      (str(SCHEMA_VERSION),))
                elif int(found[0]) != SCHEMA_VERSION:
                    raise StoreError(
                        f"store {self.path} has schema version {found[0]}, this salbench reads "
                        f"{SCHEMA_VERSION}; use another --store file"
                    )
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path} is not a usable salbench store ({err})") from None

    def _enable_wal(self) -> None:
        """Switch a (possibly new) file to WAL. The switch needs the file to itself, and
        SQLite answers "database is locked" at once, without waiting out busy_timeout, when
        another process is creating or switching the same file: so wait and try again."""
        for _ in range(200):
            try:
                self.conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as err:
                if "locked" not in str(err):
                    raise
                time.sleep(0.05)
        self.conn.execute("PRAGMA journal_mode=WAL")

    @classmethod
    def open_existing(cls, path: str | Path) -> Store:
        if not Path(path).is_file():
            raise StoreError(f"no store at {path}; run `salbench run ...` first or pass --store")
        return cls(path)

    def close(self) -> None:
        self.conn.close()

    def add(self, record: RunRecord, replace_cell: bool = False) -> int:
        """Store one run in one transaction; with replace_cell, earlier runs of the same cell
        are removed in that same transaction (a resumed retry)."""
        values = []
        for name in _COLUMNS:
            value = getattr(record, name)
            if name in _JSON_FIELDS:
                value = json.dumps(_clean(value), sort_keys=True)
            values.append(value)
        placeholders = ", ".join("?" for _ in _COLUMNS)
        with self.conn:
            if replace_cell:
                self.conn.execute("DELETE FROM runs WHERE cell_key = ?", (record.cell_key,))
            cur = self.conn.execute(
                f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({placeholders})", values
            )
        return int(cast(int, cur.lastrowid))  # always set after an INSERT

    def cell_status(self) -> dict[str, str]:
        """cell_key -> status of its latest stored run."""
        rows = self.conn.execute("SELECT cell_key, status FROM runs ORDER BY id")
        return {key: status for key, status in rows}

    def runs(self, scenario: str | None = None) -> Iterator[RunRecord]:
        query = "SELECT id, " + ", ".join(_COLUMNS) + " FROM runs"
        args: tuple[Any, ...] = ()
        if scenario is not None:
            query += " WHERE scenario = ?"
            args = (scenario,)
        for row in self.conn.execute(query + " ORDER BY id", args):
            data = dict(zip(["id", *_COLUMNS], row, strict=True))
            for name in _JSON_FIELDS:
                data[name] = json.loads(data[name])
            yield RunRecord(**data)

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
