"""`salbench run`: every (scenario, backend, seed, sweep point) cell in its own process."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from salbench.cli.common import DEFAULT_STORE, EXIT_OK, EXIT_RUNS_FAILED, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="run scenarios on backends and store every run")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="catalogue name, entry point, or path to a TOML file")
    p.add_argument("--backend", action="append", metavar="NAME",
                   help="backend or backend profile (repeatable; default: all usable)")
    p.add_argument("--ablation", choices=("hardware",),
                   help="also run every profile of the ablation: hardware = bss2-ideal, one "
                        "bss2-<effect> profile per single hardware effect, and bss2 (all)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    p.add_argument("--profile", default="quick", help="scenario profile (default quick)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override a parameter; sweep.KEY=a,b,c runs one cell per value")
    p.add_argument("--store", default=DEFAULT_STORE, help=f"SQLite store ({DEFAULT_STORE})")
    p.add_argument("--jobs", type=int, default=1,
                   help="runs in parallel on this machine, each in its own process (default 1)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="where runs happen: child processes here (local, default) or the "
                        "workers of a Dask cluster (dask; needs --scheduler)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address for --executor dask, e.g. tcp://head:8786")
    p.add_argument("--timeout", type=float, help="time limit per run in seconds")
    p.add_argument("--resume", action="store_true",
                   help="skip cells already stored ok; re-run failed ones")
    p.add_argument("--report", metavar="FILE", nargs="?", const="",
                   help="write an HTML report afterwards (default path under reports/)")


def main(args: argparse.Namespace) -> int:
    from salbench.runner.cells import expand_cells
    from salbench.runner.sweep import run_sweep
    from salbench.store import Store

    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {args.jobs})")
    if args.executor == "dask" and not args.scheduler:
        raise UsageError("--executor dask needs --scheduler ADDRESS (the address "
                         "dask-scheduler prints, e.g. tcp://head-node:8786)")
    if args.scheduler and args.executor != "dask":
        raise UsageError("--scheduler is only used with --executor dask")
    if args.executor == "dask" and args.jobs != 1:
        raise UsageError("--jobs applies to --executor local; a Dask cluster runs as many "
                         "cells at once as its workers have threads")
    backends = args.backend
    if args.ablation:
        from salbench.catalogue import ablation_profiles

        backends = [*(args.backend or []),
                    *(b for b in ablation_profiles(args.ablation) if b not in (args.backend or []))]
    cells = expand_cells(args.scenarios, backends, args.seeds, args.profile,
                         args.overrides, args.timeout)
    executor = None
    if args.executor == "dask":
        from salbench.runner.executors import DaskExecutor

        try:
            executor = DaskExecutor(args.scheduler)
        except (OSError, TimeoutError, RuntimeError) as err:
            raise UsageError(f"cannot reach the Dask scheduler at {args.scheduler}: {err}; "
                             "is dask-scheduler running there?") from None
    store = Store(args.store)
    # a scheduler's SIGTERM stops a sweep the way Ctrl-C does: children killed, finished runs
    # kept, resumable
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        counts = run_sweep(cells, store, jobs=args.jobs, resume=args.resume,
                           executor=executor)
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        store.close()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"{len(cells)} cells: {summary}; stored in {args.store}", file=sys.stderr)
    if args.report is not None:
        from salbench.cli import reporting

        args.out = args.report or None
        reporting.main(args)
    bad = sum(n for status, n in counts.items() if status not in ("ok", "skipped"))
    return EXIT_RUNS_FAILED if bad else EXIT_OK
