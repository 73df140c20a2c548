"""What every command shares: exit codes, the default store, the one-line usage error."""

from __future__ import annotations

import math

DEFAULT_STORE = "results/salbench.sqlite"
DEFAULT_REPORT = "reports/salbench-report.html"
EXIT_OK, EXIT_RUNS_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage: one line on stderr, exit 2."""


def fmt(v: object) -> str:
    """A number for a terminal table."""
    if isinstance(v, float):
        return "–" if not math.isfinite(v) else f"{v:.4g}"
    return "–" if v is None else str(v)
