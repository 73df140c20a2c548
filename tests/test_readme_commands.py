"""The README as a newcomer meets it: its two commands at the top (the quick benchmark and
the tests) are the ones `.ci/run` runs, and its command synopsis names every option the real
parser has."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = re.compile(r"^<!-- command: (\S+) -->$")


def fenced_blocks(text: str) -> list[tuple[str | None, str, list[str]]]:
    """Every top-level fenced block: (marker name on the line before or None, info string,
    lines)."""
    lines = text.splitlines()
    blocks: list[tuple[str | None, str, list[str]]] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            info = lines[i][3:].strip()
            marker = MARKER.match(lines[i - 1]) if i else None
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            blocks.append((marker.group(1) if marker else None, info, lines[i + 1:j]))
            i = j + 1
        else:
            i += 1
    return blocks


def readme_commands() -> dict[str, str]:
    text = README.read_text()
    names = [m.group(1) for line in text.splitlines() if (m := MARKER.match(line))]
    assert names == ["quick", "tests"], f"README.md's command markers: {names}"
    blocks = fenced_blocks(text)
    first_section = text.index("\n## ")
    # the two marked blocks are the README's first two, above its first section
    assert [b[0] for b in blocks[:2]] == ["quick", "tests"], blocks[:2]
    assert all(text.index(f"<!-- command: {n} -->") < first_section for n in names)
    commands = {}
    for name, info, body in blocks[:2]:
        assert name is not None and info == "bash", (name, info)
        assert len(body) == 1, f"README command {name} is not one line: {body}"
        commands[name] = body[0]
    return commands


def test_readme_commands_at_the_top() -> None:
    commands = readme_commands()
    assert commands["tests"].split("&&")[-1].split()[0] == "pytest", commands["tests"]
    last = commands["quick"].split("&&")[-1].split()
    assert last[:2] == ["salbench", "run"] and last[-1] == "--report", commands["quick"]


@pytest.mark.parametrize("name", ["quick", "tests"])
def test_ci_extracts_the_same_command(name: str) -> None:
    out = subprocess.run([str(ROOT / ".ci" / "readme-command"), name], capture_output=True,
                         text=True, check=True).stdout
    assert out.rstrip("\n") == readme_commands()[name]


def test_ci_runs_the_tests_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "$(.ci/readme-command tests)" in script
    assert "awk" not in script and "README.md" not in script  # no second way to read it
    proc = subprocess.run([str(ROOT / ".ci" / "readme-command"), "no-such-command"],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no fenced block" in proc.stderr


def synopsis() -> dict[str, str]:
    """The ```text block under "## Using it", split per command (its `salbench CMD` lines)."""
    text = README.read_text()
    section = text[text.index("\n## Using it\n"):]
    blocks = [b for b in fenced_blocks(section) if b[1] == "text"]
    assert blocks, "no ```text synopsis under ## Using it"
    per_command: dict[str, list[str]] = {}
    current = None
    for line in blocks[0][2]:
        assert len(line) <= 100, f"synopsis line over 100 columns: {line!r}"
        if line.startswith("salbench "):
            current = line.split()[1]
            assert current not in per_command, f"{current} twice in the synopsis"
            per_command[current] = []
        if line.strip():
            assert current is not None, f"synopsis line before any command: {line!r}"
            per_command[current].append(line)
    return {name: "\n".join(lines) for name, lines in per_command.items()}


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_synopsis_names_every_command_and_option() -> None:
    import argparse

    from salbench.cli.main import build_parser

    parser, _ = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    documented = synopsis()
    assert set(documented) == set(sub.choices), (sorted(documented), sorted(sub.choices))
    missing = []
    for name, command in sub.choices.items():
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            words = [o for o in action.option_strings if o.startswith("--")] or \
                [str(action.metavar) if action.metavar else action.dest.upper()]
            words += [str(c) for c in action.choices or ()]
            missing += [f"{name} {w}" for w in words if not _mentions(documented[name], w)]
    assert not missing, f"README synopsis omits: {', '.join(missing)}"


def test_synopsis_names_every_profile() -> None:
    from salbench.runner.scenario_sources import scenario_sources

    profiles = {p for src in scenario_sources().values() if not isinstance(src, str)
                for p in src.profiles}
    run = synopsis()["run"]
    assert all(_mentions(run, p) for p in profiles), (sorted(profiles), run)
