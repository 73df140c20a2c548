"""`salbench list`: scenarios and backends, and which backends are usable here."""

from __future__ import annotations

import argparse
import json
from typing import Any

from salbench.cli.common import EXIT_OK
from salbench.runner.backend_sources import backend_class, backend_sources
from salbench.runner.errors import ConfigError
from salbench.runner.scenario_sources import scenario_sources


def add_parser(sub: Any) -> None:
    p = sub.add_parser("list", help="scenarios and backends, and which backends work here")
    p.add_argument("--json", action="store_true", help="print JSON")


def collect() -> dict[str, list[dict[str, Any]]]:
    scenarios, backends = [], []
    for name, src in scenario_sources().items():
        if isinstance(src, str):
            scenarios.append({"name": name, "description": src, "ok": False})
        else:
            scenarios.append({"name": name, "description": src.label, "protocol": src.protocol,
                              "profiles": sorted(src.profiles), "ok": True,
                              "source": src.path or "entry point"})
    for name, backend_src in backend_sources().items():
        if isinstance(backend_src, str):
            backends.append({"name": name, "description": backend_src, "usable": False,
                             "reason": backend_src})
            continue
        try:
            cls = backend_class(backend_src)
            reason = cls.unavailable_reason(backend_src.settings)
            kind = cls.kind
        except ConfigError as err:
            reason, kind = str(err), "?"
        backends.append({"name": name, "adapter": backend_src.adapter, "kind": kind,
                         "description": backend_src.description, "usable": reason is None,
                         "reason": reason})
    return {"scenarios": scenarios, "backends": backends}


def main(args: argparse.Namespace) -> int:
    data = collect()
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Scenarios", title_justify="left")
    for col in ("name", "protocol", "profiles", "description"):
        table.add_column(col)
    for s in data["scenarios"]:
        table.add_row(s["name"], s.get("protocol", "?"), ", ".join(s.get("profiles", [])),
                      s["description"])
    console.print(table)
    table = Table(title="Backends", title_justify="left")
    for col in ("name", "adapter", "usable here", "description"):
        table.add_column(col)
    for b in data["backends"]:
        usable = "[green]yes[/]" if b["usable"] else f"[red]no[/] ({b['reason']})"
        table.add_row(b["name"], b.get("adapter", "?"), usable, b["description"])
    console.print(table)
    return EXIT_OK
