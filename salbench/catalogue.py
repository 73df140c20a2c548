"""Where the TOML catalogues (`scenarios/`, `backends/`) are found.

In a source checkout they sit at the top level of the repository; in an installed wheel they
are shipped inside the package as `salbench/_catalogue/`. A `scenarios/` or `backends/`
folder in the current directory is searched first, so a lab can keep its own catalogue.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def catalogue_dirs(kind: str) -> list[Path]:
    """Folders holding `kind` ('scenarios' or 'backends') TOML files, most specific first."""
    candidates = [Path.cwd() / kind, _PACKAGE.parent / kind, _PACKAGE / "_catalogue" / kind]
    seen: list[Path] = []
    for path in candidates:
        if path.is_dir() and path.resolve() not in seen:
            seen.append(path.resolve())
    return seen


def catalogue_files(kind: str) -> dict[str, Path]:
    """name -> TOML path; earlier folders shadow later ones."""
    found: dict[str, Path] = {}
    for folder in reversed(catalogue_dirs(kind)):
        for path in sorted(folder.glob("*.toml")):
            found[path.stem] = path
    return found
