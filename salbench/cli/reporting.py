"""`salbench report`: one self-contained HTML file from the store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from salbench.cli.common import DEFAULT_REPORT, DEFAULT_STORE, EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report from the store")
    p.add_argument("--store", default=DEFAULT_STORE)
    p.add_argument("--out", help=f"HTML file (default {DEFAULT_REPORT})")


def main(args: argparse.Namespace) -> int:
    from salbench.report.html import write_report
    from salbench.store import Store

    store = Store.open_existing(args.store)
    try:
        out = write_report(store, Path(args.out or DEFAULT_REPORT))
    finally:
        store.close()
    print(out.resolve())
    return EXIT_OK
