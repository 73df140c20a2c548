"""`salbench show`: the stored runs, one table per scenario and profile, one row per run with
its status and headline metrics (the protocol's main metric, where it started, the units'
mean rate), narrow enough for an 80-column terminal; `--json` has every final metric."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from typing import Any

from salbench.cli.common import DEFAULT_STORE, EXIT_OK, fmt
from salbench.store import RunRecord


def add_parser(sub: Any) -> None:
    p = sub.add_parser("show", help="list stored runs with status and headline metrics "
                       "(--json: every final metric)")
    p.add_argument("--store", default=DEFAULT_STORE)
    p.add_argument("--json", action="store_true")


def _number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def headline_metrics(runs: list[RunRecord]) -> list[tuple[str, str]]:
    """(column heading, final-metric name) of at most three headline metrics for runs of one
    scenario: its main metric (as the protocol names it in the runs' notes), the main metric's
    start value where recorded, and the units' mean rate. Without a main metric, the first two
    numeric final metrics."""
    finals = [r.final for r in runs]
    main = next((r.notes["main_metric"] for r in runs if isinstance(r.notes, dict)
                 and isinstance(r.notes.get("main_metric"), str)), None)
    columns: list[tuple[str, str]] = []
    if main is not None:
        columns.append((main, main))
        if any(_number(f.get(f"{main}_start")) for f in finals):
            columns.append(("from", f"{main}_start"))
    else:
        names = dict.fromkeys(k for f in finals for k, v in f.items()
                              if _number(v) and k != "rate_hz")
        columns += [(k, k) for k in list(names)[:2]]
    if any(_number(f.get("rate_hz")) for f in finals):
        columns.append(("rate Hz", "rate_hz"))
    return columns


def _value(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))


def main(args: argparse.Namespace) -> int:
    from salbench.store import Store

    store = Store.open_existing(args.store)
    runs = list(store.runs())
    store.close()
    if args.json:
        rows = [{"id": r.id, "scenario": r.scenario, "profile": r.profile, "backend": r.backend,
                 "seed": r.seed, "sweep": r.sweep, "status": r.status, "error": r.error,
                 "wall_s": r.wall_s, "main_metric": r.notes.get("main_metric"),
                 "final": r.final} for r in runs]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"{len(runs)} runs in {args.store} (every final metric: --json)")
    sections: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in runs:
        sections[(r.scenario, r.profile)].append(r)
    for (scenario, profile), section in sections.items():
        metrics = headline_metrics(section)
        # one column per swept setting, headed by its name: values are short, names long
        swept = list(dict.fromkeys(k for r in section for k in r.sweep))
        table = Table(title=f"{scenario} · {profile}", title_justify="left",
                      box=None, pad_edge=False, padding=(0, 1),
                      header_style="bold underline")
        # text columns wrap at spaces; numbers are never cut (they are short)
        table.add_column("id", justify="right", no_wrap=True)
        table.add_column("backend", overflow="fold")
        table.add_column("seed", justify="right", no_wrap=True)
        for key in swept:
            table.add_column(key, overflow="fold")
        table.add_column("status", overflow="fold")
        table.add_column("wall s", justify="right", no_wrap=True)
        for heading, _ in metrics:
            table.add_column(heading, justify="right", no_wrap=True)
        failures = []
        for r in section:
            status = r.status if r.status == "ok" else f"[red]{r.status}[/]"
            cells = [str(r.id), r.backend, str(r.seed),
                     *(_value(r.sweep[k]) if k in r.sweep else "" for k in swept),
                     status, fmt(r.wall_s), *(fmt(r.final.get(name)) for _, name in metrics)]
            table.add_row(*cells)
            if r.status != "ok" and r.error:
                failures.append(f"run {r.id} {r.status}: {r.error.splitlines()[0]}")
        console.print()
        console.print(table)
        for line in failures:
            console.print(line, markup=False, highlight=False)
    return EXIT_OK
