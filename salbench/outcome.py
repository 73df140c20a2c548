"""The outcome of one run: how it ended and what it measured, as one typed model.

The child process builds it and hands it to its parent as JSON (`model_dump_json`, read
back with `model_validate_json`; NaN and infinities cross as JSON constants); the executors
pass it on (a Dask worker pickles it); the store turns it into a row next to the cell's
identity (`RunRecord.from_outcome`). It sits beside the runner and the store, not in
either, so that both import it and the store still imports nothing of the runner; like
`timing`, it depends on nothing of salbench.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: how a run ended; the store's `runs.status` column allows exactly these
RunStatus = Literal["ok", "failed", "timeout", "diverged"]


class RunOutcome(BaseModel):
    """One run's result record (the store adds the cell: scenario, backend, seed...)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              ser_json_inf_nan="constants")

    status: RunStatus
    #: what went wrong (None for an ok run)
    error: str | None = None
    #: of a run that raised; stored among its notes
    traceback: str | None = None
    #: the protocol's measurements: one list per metric over `t_ms`, and the final values
    series: dict[str, list[float]] = Field(default_factory=dict)
    final: dict[str, float] = Field(default_factory=dict)
    #: main_metric, regime, log_tail of a dead child, executed_on (Dask)...
    notes: dict[str, Any] = Field(default_factory=dict)
    #: versions, git commit, machine, backend details (salbench.runner.provenance)
    provenance: dict[str, Any] = Field(default_factory=dict)
    #: seconds per phase (salbench.timing.PhaseTimer.as_dict)
    timings: dict[str, float] = Field(default_factory=dict)
    peak_mem_mb: float | None = None
    bio_time_ms: float | None = None
    wall_s: float | None = None
    #: set by the parent: when the child was started and when its result was read
    started_at: float | None = None
    finished_at: float | None = None

