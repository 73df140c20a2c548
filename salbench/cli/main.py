"""`salbench` command line. Exit codes: 0 all runs ok; 1 some runs failed (the others are
stored); 2 bad usage or configuration (one line on stderr, nothing run, nothing written).

Each command is a module with `add_parser(subparsers)` and `main(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import NoReturn

from salbench.cli.common import EXIT_USAGE, UsageError

COMMAND_MODULES = ("listing", "running", "showing", "reporting", "comparing", "preparing",
                   "calibrating")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage dump
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = _Parser(prog="salbench", description="Benchmark suite for spike-based "
                     "alignment learning on NEST, NEURON and a BrainScaleS-2-style emulation")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands: dict[str, ModuleType] = {}
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"salbench.cli.{name}")
        before = set(sub.choices)
        module.add_parser(sub)
        for command in set(sub.choices) - before:
            commands[command] = module
    return parser, commands


def main(argv: list[str] | None = None) -> int:
    from salbench.runner.errors import ConfigError
    from salbench.store import StoreError

    try:
        parser, commands = build_parser()
        args = parser.parse_args(argv)
        return commands[args.command].main(args)
    except (UsageError, ConfigError, StoreError) as err:
        print(f"salbench: error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
