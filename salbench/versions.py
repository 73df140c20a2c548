"""Versions of installed distributions, for provenance. Depends on nothing in salbench."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version(dist: str) -> str:
    """The installed version of distribution `dist`, or 'not installed'."""
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"
