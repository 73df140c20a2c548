"""`salbench report`: one self-contained HTML file from the store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from salbench.cli.common import DEFAULT_REPORT, DEFAULT_STORE, EXIT_OK, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report from the store")
    p.add_argument("--store", default=DEFAULT_STORE)
    p.add_argument("--out", help=f"HTML file (default {DEFAULT_REPORT})")
    p.add_argument("--title", default="salbench report", help="heading of the report")
    p.add_argument("--baseline", metavar="OTHER.sqlite",
                   help="add a regression view against this store")
    p.add_argument("--threshold", action="append", metavar="METRIC:+X%", dest="thresholds",
                   help="regression threshold, as for `salbench compare --fail-on` "
                        "(repeatable; default runtime:+20%%, memory:+20%%, *:10%%)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="significance level a regression must also reach (default 0.05)")
    p.add_argument("--benchmarks", metavar="DIR",
                   help="add pytest-benchmark JSON results from DIR (e.g. .benchmarks/)")
    p.add_argument("--set", action="append", default=[], metavar="margins.METRIC=X",
                   dest="margins",
                   help="judge by another equivalence margin: 0.05 absolute, 25%% relative "
                        "(repeatable; over the margins the runs recorded)")


def main(args: argparse.Namespace) -> int:
    from salbench.report.html import write_report
    from salbench.report.regression import ThresholdError, parse_threshold
    from salbench.runner.overrides import margin_overrides
    from salbench.store import Store

    margins = margin_overrides(getattr(args, "margins", None) or [])
    thresholds = getattr(args, "thresholds", None)
    try:
        for text in thresholds or []:
            parse_threshold(text)
    except ThresholdError as err:
        raise UsageError(str(err)) from None
    bench = getattr(args, "benchmarks", None)
    if bench and not Path(bench).is_dir():
        raise UsageError(f"--benchmarks {bench} is not a directory")
    store = Store.open_existing(args.store)
    baseline = Store.open_existing(args.baseline) if getattr(args, "baseline", None) else None
    try:
        out = write_report(store, Path(args.out or DEFAULT_REPORT),
                           title=getattr(args, "title", None) or "salbench report",
                           baseline=baseline, thresholds=thresholds,
                           alpha=getattr(args, "alpha", 0.05), benchmarks=bench,
                           margins=margins)
    finally:
        store.close()
        if baseline is not None:
            baseline.close()
    print(out.resolve())
    return EXIT_OK
