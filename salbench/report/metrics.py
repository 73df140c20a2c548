"""What the numbers of a run are called and which way is better.

Run-level quantities (wall time, memory, real-time factor) sit beside the protocols' final
metrics under reserved names, so that thresholds (`runtime:+20%`) and tables treat them alike.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable

from salbench.store import RunRecord

# name -> how to read it from a run; these names are reserved (no protocol metric uses them)
RUN_QUANTITIES: dict[str, Callable[[RunRecord], float | None]] = {
    "runtime": lambda r: r.wall_s,
    "memory": lambda r: r.peak_mem_mb,
    "rtf": lambda r: real_time_factor(r),
    "hardware_time": lambda r: hardware_time_s(r),
    "emulator_time": lambda r: _backend_number(r, "emulator_wall_time_s"),
}
RUN_UNITS = {"runtime": "s", "memory": "MB", "rtf": "wall/bio", "hardware_time": "s",
             "emulator_time": "s"}

# Which direction is worse, by metric-name pattern. Unknown metrics have no direction: a
# threshold on them without an explicit sign watches both directions.
_LOWER_IS_BETTER = ("asymmetry*", "dkl*", "d_kl*", "angle_deg*", "*_tau_ms", "time_to_*",
                    "plastic_vs_fixed", "sum_rel_change", "runtime", "memory", "rtf",
                    "hardware_time", "emulator_time", "*error*", "*loss*", "gap_to_*",
                    "epochs_to_*")
_HIGHER_IS_BETTER = ("gradient_alignment*", "correlation*", "sign_concordance*",
                     "accuracy*", "*alignment", "gain_over_*")


def better(metric: str) -> int:
    """-1 when lower is better, +1 when higher is better, 0 when unknown."""
    if any(fnmatch.fnmatchcase(metric, p) for p in _LOWER_IS_BETTER):
        return -1
    if any(fnmatch.fnmatchcase(metric, p) for p in _HIGHER_IS_BETTER):
        return 1
    return 0


def _backend_number(run: RunRecord, key: str) -> float | None:
    backend = run.provenance.get("backend") if isinstance(run.provenance, dict) else None
    value = backend.get(key) if isinstance(backend, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def hardware_time_s(run: RunRecord) -> float | None:
    """Emulated hardware time of a bss2 run (absent for other backends and older adapters)."""
    return _backend_number(run, "hardware_time_s")


def real_time_factor(run: RunRecord) -> float | None:
    """Wall time over biological time: 1 is real time, below 1 is faster than biology."""
    if not run.wall_s or not run.bio_time_ms:
        return None
    return run.wall_s / (run.bio_time_ms / 1000.0)


def value(run: RunRecord, metric: str) -> float | None:
    """A run's final metric or run-level quantity, None when absent or not a number."""
    if metric in RUN_QUANTITIES:
        return RUN_QUANTITIES[metric](run)
    v = run.final.get(metric)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)
