"""Equivalence margins: how far apart two backends (or two stores) may be on a metric and
still count as the same.

A margin is absolute (`0.05`: |B − A| ≤ 0.05 in the metric's unit) or relative (`"25%"`:
|B − A| ≤ 25 % of the larger of |mean A| and |mean B|). Relative margins scale with the
metric and suit quantities that span orders of magnitude between scenarios and profiles
(D_KL, the sampling asymmetry); absolute ones suit bounded quantities with a natural unit
(an angle in degrees, a cosine, the pair asymmetry in [0, 1]).

Where margins come from, later ones winning, key by key:

1. the protocol's ``margins`` ClassVar (salbench/protocols/*.py; each value says why);
2. the scenario TOML's ``[margins]`` table (``dkl = "20%"``, ``"angle_deg*" = 2.0``);
3. ``salbench run --set margins.METRIC=VALUE`` (e.g. ``--set margins.asymmetry=0.02``).

Keys are metric names or globs (``angle_deg*`` covers every layer's angle). Each run records
the margins it was run with (``config["margins"]``), so the report, derived from the store
only, judges it by them; `salbench report` and `salbench compare` take the same
``--set margins.METRIC=VALUE`` to judge stored runs by another margin without re-running.

This module needs only pydantic: protocols, runner and report all import it.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class MarginError(ValueError):
    """A margin that cannot be read (one line, for the CLI's exit code 2)."""


class Margin(BaseModel):
    """±value around zero difference; `relative`: value is a fraction of the larger mean."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(gt=0, allow_inf_nan=False)
    relative: bool = False
    #: why this margin (shown in the report; protocol defaults give their reason)
    why: str = ""

    def bound(self, mean_a: float, mean_b: float) -> float:
        """The margin in the metric's unit for means `mean_a` and `mean_b` (NaN if unknown).

        Relative to the larger |mean| so that the bound does not depend on which side is
        called A: 20 % of the larger is the usual "within 20 % of each other"."""
        if not self.relative:
            return self.value
        ref = max(abs(mean_a), abs(mean_b))
        return self.value * ref if math.isfinite(ref) else math.nan

    @property
    def text(self) -> str:
        return f"±{100 * self.value:g} %" if self.relative else f"±{self.value:g}"


def parse_margin(raw: Any, where: str = "margin") -> Margin:
    """`0.05`, `"0.05"`, `"25%"` or a table {value, relative, why} -> Margin."""
    try:
        if isinstance(raw, Margin):
            return raw
        if isinstance(raw, dict):
            return Margin(**raw)
        if isinstance(raw, bool):
            raise MarginError(f"{where}: {raw!r} is not a number")
        if isinstance(raw, int | float):
            return Margin(value=float(raw))
        if isinstance(raw, str):
            text = raw.strip()
            relative = text.endswith("%")
            number = float(text.rstrip("%").strip())
            return Margin(value=number / 100 if relative else number, relative=relative)
    except (ValueError, ValidationError, TypeError):
        pass
    raise MarginError(f"{where} must be a positive number (absolute, e.g. 0.05) or a "
                      f"percentage (relative, e.g. \"25%\"); got {raw!r}")


def parse_margins(table: Mapping[str, Any], where: str) -> dict[str, Margin]:
    if not isinstance(table, Mapping):
        raise MarginError(f"{where} must be a table of METRIC = margin")
    return {str(k): parse_margin(v, f"{where} {k}") for k, v in table.items()}


def margin_for(margins: Mapping[str, Margin], metric: str) -> Margin | None:
    """The margin of `metric`: its exact name first, else the most specific matching glob
    (the longest pattern), else None."""
    if metric in margins:
        return margins[metric]
    globs = [p for p in margins if any(c in p for c in "*?[") and fnmatch.fnmatchcase(metric, p)]
    return margins[max(globs, key=len)] if globs else None


def dump_margins(margins: Mapping[str, Margin]) -> dict[str, dict[str, Any]]:
    """Plain JSON for the store (a run's config)."""
    return {k: m.model_dump(mode="json") for k, m in margins.items()}


def load_margins(data: Any) -> dict[str, Margin]:
    """A run config's margins back as models; what cannot be read is skipped (old stores)."""
    out: dict[str, Margin] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            try:
                out[str(k)] = parse_margin(v)
            except MarginError:
                continue
    return out
