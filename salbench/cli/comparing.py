"""`salbench compare BASELINE NEW`: the regression view as a terminal table, for CI.

Exit 0 when no threshold is crossed, 1 when one is, 2 on bad usage (including a threshold
naming no compared metric, so that a typo cannot make CI pass silently).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from salbench.cli.common import EXIT_OK, EXIT_RUNS_FAILED, UsageError, fmt

EXIT_REGRESSION = EXIT_RUNS_FAILED


def add_parser(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare two stores; exit 1 when a metric regressed")
    p.add_argument("baseline", metavar="BASELINE.sqlite")
    p.add_argument("new", metavar="NEW.sqlite")
    p.add_argument("--fail-on", nargs="+", action="extend", metavar="METRIC:+X%",
                   dest="fail_on",
                   help="thresholds, e.g. dkl:+10%% runtime:+20%% gradient_alignment:-0.05 "
                        "(sign = worse direction, +- = either, none = the metric's own; "
                        "globs allowed; default runtime:+20%% memory:+20%% *:10%%)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="a crossing must also be significant at this level (Welch t-test) "
                        "when both sides have 2+ seeds; 1 disables (default 0.05)")
    p.add_argument("--all", action="store_true", help="list unchanged metrics too")


def _row(c: Any) -> list[str]:
    rel = c.relative
    return [c.where, c.metric, fmt(c.base.mean), fmt(c.new.mean),
            "–" if not math.isfinite(rel) else f"{100 * rel:+.1f}%",
            "–" if not c.diff.testable else f"{c.diff.p:.3g}",
            c.threshold.text if c.threshold else "–", c.status.upper() if c.crossed else c.status]


def _table(rows: list[list[str]]) -> str:
    head = ["configuration", "metric", "baseline", "new", "change", "p", "threshold", "status"]
    rows = [head, *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from salbench.report.regression import ThresholdError, compare, unknown_threshold_names
    from salbench.store import Store

    if not 0 < args.alpha <= 1:
        raise UsageError(f"--alpha must be in (0, 1] (got {args.alpha})")
    base = Store.open_existing(args.baseline)
    new = Store.open_existing(args.new)
    try:
        result = compare(list(base.runs()), list(new.runs()), args.fail_on, args.alpha)
    except ThresholdError as err:
        raise UsageError(str(err)) from None
    finally:
        base.close()
        new.close()
    if not result.changes:
        raise UsageError(f"{args.baseline} and {args.new} have no configuration in common "
                         "(same scenario, profile, backend and sweep point); nothing to compare")
    unknown = unknown_threshold_names(result, args.fail_on or [])
    if unknown:
        raise UsageError(f"--fail-on names no compared metric: {', '.join(unknown)}; "
                         f"known: {', '.join(result.metrics)}")
    shown = result.changes if args.all else [c for c in result.changes if c.status != "same"]
    shown = sorted(shown, key=lambda c: not c.crossed)  # regressions first (stable sort)
    if shown:
        print(_table([_row(c) for c in shown]))
    crossed = result.crossed
    summary = (f"{len(result.changes)} comparisons, {len(crossed)} crossed a threshold "
               f"({', '.join(t.text for t in result.thresholds)}; alpha {args.alpha})")
    if result.only_base or result.only_new:
        summary += (f"; {len(result.only_base)} configurations only in the baseline, "
                    f"{len(result.only_new)} only in the new store")
    print(summary, file=sys.stderr)
    return EXIT_REGRESSION if crossed else EXIT_OK
