"""Render the HTML report from a store."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

import salbench
from salbench.report.model import build_sections
from salbench.report.svg import Line, line_plot
from salbench.store import Store


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}"


def _env() -> Environment:
    env = Environment(loader=PackageLoader("salbench.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["num"] = _fmt
    return env


def render(store: Store, title: str = "salbench report") -> str:
    runs = list(store.runs())
    sections = build_sections(runs)
    plots = {}
    for s in sections:
        if not s.main_metric:
            continue
        lines = []
        for g in s.groups:
            t, mean, low, high = g.series(s.main_metric)
            if t:
                lines.append(Line(g.name, [x / 1000 for x in t], mean, low, high))
        plots[(s.scenario, s.profile)] = line_plot(
            lines, xlabel="biological time (s)", ylabel=s.main_metric)
    provenance = next((r.provenance for r in reversed(runs) if r.provenance), {})
    return _env().get_template("report.html.j2").render(
        title=title, sections=sections, plots=plots, runs=runs, provenance=provenance,
        generated=dt.datetime.now().isoformat(timespec="seconds"), version=salbench.__version__,
        store_path=str(store.path),
    )


def write_report(store: Store, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    html = render(store)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
