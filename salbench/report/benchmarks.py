"""pytest-benchmark results (its `--benchmark-autosave` JSON files) as report rows."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class BenchmarkRow:
    name: str
    group: str
    mean_s: float
    stddev_s: float
    min_s: float
    median_s: float
    rounds: int
    file: str
    saved: str
    commit: str
    machine: str
    extra: dict[str, Any] = field(default_factory=dict)
    previous_mean_s: float = math.nan

    @property
    def change(self) -> float:
        """Relative change of the mean against the previous saved run of this benchmark."""
        if not (math.isfinite(self.previous_mean_s) and self.previous_mean_s > 0):
            return math.nan
        return self.mean_s / self.previous_mean_s - 1.0


@dataclass
class BenchmarkSet:
    rows: list[BenchmarkRow]
    files: int
    problems: list[str]


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan


def load_benchmarks(folder: str | Path) -> BenchmarkSet:
    """The latest result of every benchmark under `folder` (pytest-benchmark's
    .benchmarks/<machine>/NNNN_*.json), with the mean of the save before it."""
    root = Path(folder)
    files = sorted(root.rglob("*.json")) if root.is_dir() else []
    problems = [] if root.is_dir() else [f"{root} is not a directory"]
    history: dict[str, list[BenchmarkRow]] = {}
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            benches = data["benchmarks"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            problems.append(f"{path.name}: not a pytest-benchmark file ({type(err).__name__})")
            continue
        info = data.get("machine_info") or {}
        commit = data.get("commit_info") or {}
        machine = " ".join(str(info.get(k, "")) for k in ("node", "cpu")
                           if info.get(k) and not isinstance(info.get(k), dict))
        cpu = info.get("cpu")
        if isinstance(cpu, dict):
            machine = f"{info.get('node', '')} {cpu.get('brand_raw', '')}".strip()
        for b in benches:
            st = b.get("stats") or {}
            row = BenchmarkRow(
                name=str(b.get("fullname") or b.get("name")), group=str(b.get("group") or ""),
                mean_s=_num(st.get("mean")), stddev_s=_num(st.get("stddev")),
                min_s=_num(st.get("min")), median_s=_num(st.get("median")),
                rounds=int(st.get("rounds") or 0), file=str(path.relative_to(root)),
                saved=str(data.get("datetime", "")), commit=str(commit.get("id", ""))[:12]
                + ("+dirty" if commit.get("dirty") else ""),
                machine=machine, extra=dict(b.get("extra_info") or {}))
            history.setdefault(row.name, []).append(row)
    rows = []
    for name in sorted(history):
        runs = sorted(history[name], key=lambda r: (r.saved, r.file))
        latest = runs[-1]
        if len(runs) > 1:
            latest.previous_mean_s = runs[-2].mean_s
        rows.append(latest)
    return BenchmarkSet(rows, len(files), problems)
