"""`salbench compare BASELINE NEW`: the regression view as a terminal table, for CI.

Exit 0 when no threshold is crossed, 1 when one is, 2 on bad usage (including a threshold
naming no compared metric, so that a typo cannot make CI pass silently, and an explicit
threshold on runtime or memory between stores from different machines: such a comparison
measures the machines, not the code; --cross-machine makes it anyway, flagged).

Each row also carries the equivalence verdict of new against baseline (equivalent /
different / inconclusive against the metric's margin), as the report's.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
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
    p.add_argument("--set", action="append", default=[], metavar="margins.METRIC=X",
                   dest="margins",
                   help="judge by another equivalence margin: 0.05 absolute, 25%% relative "
                        "(repeatable; over the margins the runs recorded)")
    p.add_argument("--cross-machine", action="store_true", dest="cross_machine",
                   help="compare runtime and memory even between stores from different "
                        "machines (flagged); default: not compared")


def _verdict(c: Any) -> str:
    j = c.judgement
    text = c.verdict
    if j is not None and text == "inconclusive" and j.seeds:
        text += f" ({j.seeds} seeds)"
    if j is not None and j.margin is not None and text != "not compared":
        text += f" {j.margin.text}"
    return text + (" [other machine]" if c.cross_machine else "")


def _row(c: Any) -> list[str]:
    rel = c.relative
    return [c.where, c.metric, fmt(c.base.mean), fmt(c.new.mean),
            "–" if not math.isfinite(rel) else f"{100 * rel:+.1f}%",
            "–" if not c.diff.testable else f"{c.diff.p:.3g}",
            c.threshold.text if c.threshold else "–", c.status.upper() if c.crossed else c.status,
            _verdict(c)]


def _table(rows: list[list[str]]) -> str:
    head = ["configuration", "metric", "baseline", "new", "change", "p", "threshold", "status",
            "verdict"]
    rows = [head, *rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from salbench.report.model import VERDICTS
    from salbench.report.regression import (
        MACHINE_BOUND,
        ThresholdError,
        compare,
        parse_threshold,
        unknown_threshold_names,
    )
    from salbench.runner.overrides import margin_overrides
    from salbench.store import Store

    if not 0 < args.alpha <= 1:
        raise UsageError(f"--alpha must be in (0, 1] (got {args.alpha})")
    margins = margin_overrides(args.margins)
    base = Store.open_existing(args.baseline)
    new = Store.open_existing(args.new)
    try:
        result = compare(list(base.runs()), list(new.runs()), args.fail_on, args.alpha,
                         margins=margins, cross_machine=args.cross_machine)
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
    refused = result.other_machine
    if refused:
        where = (f"the baseline ran on {' / '.join(result.machines_base)}, the new store on "
                 f"{' / '.join(result.machines_new)}")
        explicit = sorted({c.metric for c in refused for t in args.fail_on or []
                           if parse_threshold(t).applies(c.metric)
                           and parse_threshold(t).pattern in MACHINE_BOUND})
        if explicit:
            raise UsageError(f"--fail-on {', '.join(explicit)} compares timings of different "
                             f"machines ({where}); run both on one machine, or pass "
                             "--cross-machine to compare them anyway")
        print(f"not compared: {', '.join(sorted({c.metric for c in refused}))} ({where}; "
              "timings of different machines; --cross-machine compares them, flagged)",
              file=sys.stderr)
    elif args.cross_machine and result.machines_base:
        print("cross-machine: runtime and memory compared between different machines "
              f"({' / '.join(result.machines_base)} against {' / '.join(result.machines_new)})"
              "; rows marked [other machine]", file=sys.stderr)
    hidden = ("same", "other-machine")
    shown = result.changes if args.all else [c for c in result.changes
                                              if c.status not in hidden]
    shown = sorted(shown, key=lambda c: not c.crossed)  # regressions first (stable sort)
    if shown:
        print(_table([_row(c) for c in shown]))
    crossed = result.crossed
    verdicts = Counter(c.verdict for c in result.changes if c.status != "other-machine")
    summary = (f"{len(result.changes)} comparisons, {len(crossed)} crossed a threshold "
               f"({', '.join(t.text for t in result.thresholds)}; alpha {args.alpha}); "
               "new against baseline: "
               + ", ".join(f"{verdicts[v]} {v}" for v in VERDICTS if verdicts.get(v)))
    if result.only_base or result.only_new:
        summary += (f"; {len(result.only_base)} configurations only in the baseline, "
                    f"{len(result.only_new)} only in the new store")
    print(summary, file=sys.stderr)
    return EXIT_REGRESSION if crossed else EXIT_OK
