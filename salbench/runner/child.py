"""One run in its own process: `python -m salbench.runner.child JOB.json RESULT.json`.

The parent alone writes to the store; the child only writes its outcome (a
`salbench.outcome.RunOutcome` as JSON) to its result file, so a child that dies (even by a
signal) cannot leave the store half-written.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from salbench.outcome import RunOutcome
from salbench.protocols.base import Diverged
from salbench.runner.provenance import provenance
from salbench.timing import PhaseTimer


def load_target(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def peak_memory_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def execute(cell: dict[str, Any]) -> RunOutcome:
    """Run one cell in this process and return its outcome (never raises)."""
    timer = PhaseTimer()
    started = time.time()
    outcome = RunOutcome(status="ok")
    backend = None
    try:
        protocol_cls = load_target(cell["protocol_target"])
        backend_cls = load_target(cell["adapter_target"])
        backend = backend_cls(cell["settings"], timer)
        protocol = protocol_cls(protocol_cls.Params(**cell["params"]), cell["seed"], timer)
        outcome.bio_time_ms = protocol.biological_time_ms()
        backend.setup(cell["seed"])
        result = protocol.run(backend)
        notes = {"main_metric": protocol_cls.main_metric, **result.notes}
        try:  # a result that is not numbers where numbers belong fails this run only
            outcome = RunOutcome(status="ok", bio_time_ms=outcome.bio_time_ms,
                                 series=result.series, final=result.final, notes=notes)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise TypeError(f"{protocol_cls.__name__} returned a result that cannot be stored: "
                            f"{where}: {first['msg']} (got {first.get('input')!r})") from None
    except Diverged as err:
        outcome = RunOutcome(status="diverged", error=str(err), bio_time_ms=outcome.bio_time_ms)
    except BaseException as err:  # noqa: BLE001 - every failure is recorded, never lost
        outcome = RunOutcome(status="failed", error=f"{type(err).__name__}: {err}",
                             traceback=traceback.format_exc(), bio_time_ms=outcome.bio_time_ms)
    try:
        if backend is not None:
            outcome.provenance = provenance(backend.versions())
            outcome.provenance["backend"] = backend.extra_provenance()
            # how SAL was computed (protocols.learning.LEARNING_PATHS), beside the backend's
            outcome.provenance["learning_path"] = outcome.notes.get("learning_path")
            backend.end()
        else:
            outcome.provenance = provenance({})
    except BaseException as err:  # noqa: BLE001
        outcome.notes["provenance_error"] = repr(err)
    outcome.timings = timer.as_dict()
    outcome.peak_mem_mb = round(peak_memory_mb(), 1)
    outcome.wall_s = round(time.time() - started, 3)
    return outcome


def main(argv: list[str]) -> int:
    job_path, result_path = argv
    with open(job_path) as fh:
        cell = json.load(fh)
    outcome = execute(cell)
    tmp = Path(result_path + ".tmp")
    tmp.write_text(outcome.model_dump_json(), encoding="utf-8")
    os.replace(tmp, result_path)  # atomic: the parent sees a whole result or none
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
