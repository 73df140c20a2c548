"""`salbench show`: the stored runs with status and final metrics."""

from __future__ import annotations

import argparse
import json
from typing import Any

from salbench.cli.common import DEFAULT_STORE, EXIT_OK, fmt


def add_parser(sub: Any) -> None:
    p = sub.add_parser("show", help="list stored runs with status and final metrics")
    p.add_argument("--store", default=DEFAULT_STORE)
    p.add_argument("--json", action="store_true")


def main(args: argparse.Namespace) -> int:
    from salbench.store import Store

    store = Store.open_existing(args.store)
    runs = list(store.runs())
    store.close()
    if args.json:
        rows = [{"id": r.id, "scenario": r.scenario, "profile": r.profile, "backend": r.backend,
                 "seed": r.seed, "sweep": r.sweep, "status": r.status, "error": r.error,
                 "wall_s": r.wall_s, "final": r.final} for r in runs]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(runs)} runs in {args.store}", title_justify="left")
    for col in ("id", "scenario", "backend", "seed", "sweep", "status", "wall s",
                "final metrics"):
        table.add_column(col)
    for r in runs:
        finals = "\n".join(f"{k}={fmt(v)}" for k, v in r.final.items())
        status = r.status if r.status == "ok" else f"[red]{r.status}[/]: {r.error or ''}"
        table.add_row(str(r.id), r.scenario, r.backend, str(r.seed),
                      " ".join(f"{k}={v}" for k, v in r.sweep.items()), status,
                      fmt(r.wall_s), finals)
    Console().print(table)
    return EXIT_OK
