"""salbench's on-disk cache: $SALBENCH_CACHE, default ~/.cache/salbench. Each user of it
(calibrations, NEURON mechanisms, NEST modules) keeps a folder of its own there."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(name: str) -> Path:
    """The cache folder `name` (not created)."""
    root = os.environ.get("SALBENCH_CACHE") or Path.home() / ".cache" / "salbench"
    return Path(root) / name
