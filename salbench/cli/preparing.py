"""`salbench prepare`: one-off simulator set-up (e.g. compiling NEURON's PyNN mechanisms) so
that no timed run pays for it. Each backend is prepared in its own process: two PyNN
simulators should not be imported into one interpreter."""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

from salbench.cli.common import EXIT_OK, EXIT_RUNS_FAILED


def add_parser(sub: Any) -> None:
    p = sub.add_parser("prepare", help="compile simulator extensions now (NEURON mechanisms)")
    p.add_argument("--backend", action="append", metavar="NAME",
                   help="backend to prepare (repeatable; default: all usable)")


def prepare_one(name: str) -> str:
    from salbench.runner.backend_sources import backend_class, resolve_backend

    source = resolve_backend(name)
    return backend_class(source).prepare(source.settings)


def main(args: argparse.Namespace) -> int:
    from salbench.runner.backend_sources import resolve_backend, usable_backends

    names = args.backend or usable_backends(include_ablation=True)
    for name in names:
        resolve_backend(name)  # unknown names are usage errors before anything runs
    failed = 0
    for name in names:
        proc = subprocess.run(
            [sys.executable, "-c",
             f"from salbench.cli.preparing import prepare_one; print(prepare_one({name!r}))"],
            capture_output=True, text=True)
        if proc.returncode == 0:
            print(f"{name}: {proc.stdout.strip().splitlines()[-1]}")
        else:
            failed += 1
            last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
            print(f"{name}: FAILED ({last})", file=sys.stderr)
    return EXIT_RUNS_FAILED if failed else EXIT_OK
