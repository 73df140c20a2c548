"""The `speed_target` fixture: a benchmark's stated target, recorded and checked; and a
summary of every target checked in the run at its end."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from targets import OPS

PROPERTY = "speed_target"

# one BLAS thread in this process and the network processes it spawns: OpenBLAS's idle
# threads spin for a while after each call, and on a 2-core machine they take the core from
# the process being timed
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture
def speed_target(benchmark: Any, record_property: Callable[[str, object], None]
                 ) -> Callable[..., None]:
    """speed_target(name, value, op, target, detail="") stores `value` and its target in
    benchmark.extra_info (name, name_target, name_met), prints one line, and fails the test
    when `value op target` does not hold."""

    def check(name: str, value: float, op: str, target: float, detail: str = "") -> None:
        met = OPS[op](value, target)
        benchmark.extra_info.update({name: round(value, 4), f"{name}_target": f"{op} {target:g}",
                                     f"{name}_met": met})
        line = (f"{name} = {value:.4g} (target {op} {target:g}): {'met' if met else 'MISSED'}"
                + (f"; {detail}" if detail else ""))
        record_property(PROPERTY, line)
        print(f"\n{line}")
        assert met, line

    return check


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = [f"{report.nodeid}: {value}"
             for reports in terminalreporter.stats.values() for report in reports
             if getattr(report, "when", None) == "call"
             for name, value in getattr(report, "user_properties", ()) if name == PROPERTY]
    if lines:
        terminalreporter.section("speed targets")
        for line in lines:
            terminalreporter.write_line(line)
