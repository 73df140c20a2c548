"""One run in its own process: `python -m salbench.runner.child JOB.json RESULT.json`.

The parent alone writes to the store; the child only writes its result file, so a child
that dies (even by a signal) cannot leave the store half-written.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any

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


def execute(cell: dict[str, Any]) -> dict[str, Any]:
    """Run one cell in this process and return its result record (never raises)."""
    timer = PhaseTimer()
    started = time.time()
    out: dict[str, Any] = {"status": "ok", "error": None, "series": {}, "final": {},
                           "notes": {}, "provenance": {}, "bio_time_ms": None}
    backend = None
    try:
        protocol_cls = load_target(cell["protocol_target"])
        backend_cls = load_target(cell["adapter_target"])
        backend = backend_cls(cell["settings"], timer)
        protocol = protocol_cls(protocol_cls.Params(**cell["params"]), cell["seed"], timer)
        out["bio_time_ms"] = protocol.biological_time_ms()
        backend.setup(cell["seed"])
        result = protocol.run(backend)
        notes = {"main_metric": protocol_cls.main_metric, **result.notes}
        out.update(series=result.series, final=result.final, notes=notes)
    except Diverged as err:
        out.update(status="diverged", error=str(err))
    except BaseException as err:  # noqa: BLE001 - every failure is recorded, never lost
        out.update(status="failed", error=f"{type(err).__name__}: {err}",
                   traceback=traceback.format_exc())
    try:
        if backend is not None:
            out["provenance"] = provenance(backend.versions())
            out["provenance"]["backend"] = backend.extra_provenance()
            backend.end()
        else:
            out["provenance"] = provenance({})
    except BaseException as err:  # noqa: BLE001
        out.setdefault("notes", {})["provenance_error"] = repr(err)
    out["timings"] = timer.as_dict()
    out["peak_mem_mb"] = round(peak_memory_mb(), 1)
    out["wall_s"] = round(time.time() - started, 3)
    return out


def main(argv: list[str]) -> int:
    job_path, result_path = argv
    with open(job_path) as fh:
        cell = json.load(fh)
    result = execute(cell)
    tmp = result_path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(result, fh)
    os.replace(tmp, result_path)  # atomic: the parent sees a whole result or none
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
