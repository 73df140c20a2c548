"""Phase timers: how long each phase of a run took (import, build, calibrate, simulate,
readout, learn, write). Shared by every layer, depends on nothing."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

PHASES = ("import", "build", "calibrate", "simulate", "readout", "learn", "write")


class PhaseTimer:
    """Accumulates wall time per named phase."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._start = time.perf_counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.totals[name] += time.perf_counter() - t0

    def add(self, name: str, seconds: float) -> None:
        self.totals[name] += seconds

    def as_dict(self) -> dict[str, float]:
        out = {name: round(self.totals.get(name, 0.0), 6) for name in PHASES}
        out.update({k: round(v, 6) for k, v in self.totals.items() if k not in out})
        out["total"] = round(time.perf_counter() - self._start, 6)
        return out
