"""Timing for the benchmarks' stated targets, measured by the test itself.

A target is checked on numbers the test measures in its own body (a baseline and a candidate
in the same test, or a rate), never on timings another test left behind, and never on
`benchmark.stats` (None under --benchmark-disable, which the default options set): so a test
gives the same verdict alone, in any order, and with pytest-benchmark's timing on or off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timing:
    """Wall and CPU (this process's) seconds of each timed call."""

    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)

    @property
    def mean_wall_s(self) -> float:
        return sum(self.wall_s) / len(self.wall_s)

    @property
    def mean_cpu_s(self) -> float:
        return sum(self.cpu_s) / len(self.cpu_s)


def timed_rounds(benchmark: Any, fn: Callable[..., Any], rounds: int,
                 args: tuple[Any, ...] = ()) -> tuple[Any, Timing]:
    """Call fn(*args) `rounds` times and time each call; return the last result and the times.

    With pytest-benchmark enabled each call is one round of `benchmark.pedantic` (they appear
    in its table); disabled, pedantic calls its target once, untimed, so that target makes
    all the calls: the test sees `rounds` timed calls either way."""
    timing = Timing()

    def timed(*a: Any) -> Any:
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            return fn(*a)
        finally:
            timing.wall_s.append(time.perf_counter() - t0)
            timing.cpu_s.append(time.process_time() - c0)

    def all_rounds() -> Any:
        for _ in range(rounds):
            result = timed(*args)
        return result

    if benchmark.enabled:
        return benchmark.pedantic(timed, args=args, rounds=rounds, iterations=1,
                                  warmup_rounds=0), timing
    return benchmark.pedantic(all_rounds), timing


OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
}
