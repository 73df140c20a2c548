"""Regression view: the same configurations in two stores, compared metric by metric.

A threshold `NAME:[+|-|+-]X[%]` says how much change of a metric counts as a regression:
`dkl:+10%` flags D_KL rising by more than 10 % of the baseline, `gradient_alignment:-0.05`
flags it falling by more than 0.05, `rate_hz:+-20%` either way. Without a sign the metric's
worse direction is used (metrics.better), or both directions when it is unknown. NAME may be
a glob (`angle_deg*`, `*`); the first threshold that matches a metric applies. Run-level
quantities are `runtime` (wall s), `memory` (peak MB), `hardware_time` (bss2: emulated
hardware s) and `emulator_time` (bss2: emulator wall s).

A threshold counts as crossed only when the change is also significant (Welch t-test,
p < alpha) whenever both sides have at least two seeds: seed noise alone must not fail CI.

Beside the threshold status every change has the report's verdict (model.Agreement):
equivalent / different / inconclusive against the metric's equivalence margin, TOST and
Welch Holm-adjusted per metric over the configurations.

Runtimes are a property of the machine as much as of the code: as asv and pytest-benchmark
keep results per machine, quantities in MACHINE_BOUND are compared only between runs from
the same machine (provenance `machine`: hostname, CPU model, cores, architecture). Otherwise
their changes get status `other-machine`, cross no threshold, and `salbench compare` says so
(and refuses an explicit --fail-on on them), unless `cross_machine` asks for the comparison
anyway; then each such change is flagged.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass, field

from salbench.margins import Margin, margin_for
from salbench.report import metrics as mx
from salbench.report.model import (
    Agreement,
    Group,
    build_sections,
    compare_samples,
    judge_per_metric,
)
from salbench.report.stats import Difference, Summary, mean_ci, welch
from salbench.store import RunRecord

DEFAULT_THRESHOLDS = ("runtime:+20%", "memory:+20%", "*:10%")
COMPARED_RUN_QUANTITIES = ("runtime", "memory", "hardware_time", "emulator_time")
#: quantities that depend on the machine a run ran on (hardware_time is the emulated chip's,
#: computed from the model: the same everywhere)
MACHINE_BOUND = ("runtime", "memory", "emulator_time", "rtf")
#: the provenance fields that identify a machine for timing purposes
MACHINE_FIELDS = ("hostname", "cpu_model", "cores", "arch")
_THRESHOLD = re.compile(r"^(?P<name>[^:]+):(?P<sign>\+-|±|-\+|\+|-)?(?P<amount>\d+(\.\d*)?"
                        r"([eE][-+]?\d+)?|\.\d+)(?P<pct>%)?$")
# changes this small are floating-point noise, not regressions (e.g. a conserved sum)
_NOISE_FLOOR = 1e-12


class ThresholdError(ValueError):
    """A threshold that cannot be parsed."""


@dataclass(frozen=True)
class Threshold:
    pattern: str
    sign: int | None  # +1: increase is bad, -1: decrease is bad, 0: both, None: from metric
    amount: float
    relative: bool
    text: str

    def applies(self, metric: str) -> bool:
        return fnmatch.fnmatchcase(metric, self.pattern)

    def bad_sign(self, metric: str) -> int:
        return -mx.better(metric) if self.sign is None else self.sign

    def beyond(self, base: float, diff: float) -> bool:
        """Is a change of `diff` from `base` larger than the threshold (either direction)?"""
        if not (math.isfinite(base) and math.isfinite(diff)):
            return False
        if abs(diff) <= _NOISE_FLOOR * max(1.0, abs(base)):
            return False
        limit = self.amount * abs(base) if self.relative else self.amount
        return abs(diff) > limit


def parse_threshold(text: str) -> Threshold:
    m = _THRESHOLD.match(text.strip())
    if not m:
        raise ThresholdError(
            f"threshold '{text}' must look like METRIC:+10% or METRIC:-0.05 "
            "(sign: + worse when rising, - worse when falling, +- either; no sign: the "
            "metric's own worse direction)")
    sign = {"+": 1, "-": -1, "+-": 0, "-+": 0, "±": 0, None: None}[m["sign"]]
    amount = float(m["amount"]) / (100.0 if m["pct"] else 1.0)
    return Threshold(m["name"].strip(), sign, amount, bool(m["pct"]), text.strip())


@dataclass
class Change:
    """One metric of one configuration, baseline against new."""

    scenario: str
    profile: str
    backend: str
    point: str
    metric: str
    base: Summary
    new: Summary
    diff: Difference
    threshold: Threshold | None
    status: str  # worse | better | changed | same | untested | other-machine
    #: the equivalence verdict of new against baseline (model.Agreement)
    judgement: Agreement | None = None
    #: a machine-bound quantity compared across machines (only with cross_machine)
    cross_machine: bool = False

    @property
    def verdict(self) -> str:
        if self.status == "other-machine":
            return "not compared"
        return self.judgement.verdict if self.judgement is not None else "untested"

    @property
    def relative(self) -> float:
        b = self.base.mean
        if not math.isfinite(b) or not math.isfinite(self.diff.diff):
            return math.nan
        if b == 0:
            return 0.0 if self.diff.diff == 0 else math.copysign(math.inf, self.diff.diff)
        return self.diff.diff / abs(b)

    @property
    def crossed(self) -> bool:
        return self.status in ("worse", "changed")

    @property
    def where(self) -> str:
        text = f"{self.scenario} ({self.profile}) · {self.backend}"
        return f"{text} · {self.point}" if self.point else text


@dataclass
class Comparison:
    changes: list[Change] = field(default_factory=list)
    only_base: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    alpha: float = 0.05
    #: machine(s) of each side when they differ (machine_id), else empty
    machines_base: list[str] = field(default_factory=list)
    machines_new: list[str] = field(default_factory=list)

    @property
    def other_machine(self) -> list[Change]:
        return [c for c in self.changes if c.status == "other-machine"]

    @property
    def crossed(self) -> list[Change]:
        return [c for c in self.changes if c.crossed]

    @property
    def metrics(self) -> list[str]:
        return sorted({c.metric for c in self.changes})

    @property
    def notable(self) -> list[Change]:
        """Changes that crossed a threshold (first) or improved beyond one."""
        order = {"worse": 0, "changed": 1, "better": 2}
        return sorted((c for c in self.changes if c.status in order),
                      key=lambda c: order[c.status])

    @property
    def unremarkable(self) -> list[Change]:
        return [c for c in self.changes if c.status in ("same", "untested", "other-machine")]


def machine_id(run: RunRecord) -> str:
    """The machine a run ran on, as one readable string ('unknown' without provenance)."""
    prov = run.provenance if isinstance(run.provenance, dict) else {}
    machine = prov.get("machine")
    if not isinstance(machine, dict) or not machine:
        return "unknown"
    return " · ".join(str(machine.get(k, "?")) for k in MACHINE_FIELDS)


def _machines(g: Group) -> set[str]:
    return {machine_id(r) for r in g.ok}


def _groups(runs: list[RunRecord], margins: dict[str, Margin] | None = None,
            context: list[RunRecord] | None = None,
            ) -> dict[tuple[str, str, str, str], tuple[Group, str, dict[str, Margin]]]:
    out = {}
    for s in build_sections(runs, margins, context):
        for g in s.groups:
            out[(s.scenario, s.profile, g.backend, g.point)] = (g, s.main_metric, s.margins)
    return out


def _status(th: Threshold | None, metric: str, base: Summary, d: Difference,
            alpha: float) -> str:
    if not (math.isfinite(base.mean) and math.isfinite(d.diff)):
        return "untested"
    if th is None or not th.beyond(base.mean, d.diff):
        return "same"
    if d.testable and not d.p < alpha:
        return "same"  # beyond the threshold but within seed noise
    bad = th.bad_sign(metric)
    if bad == 0:
        return "changed"
    return "worse" if math.copysign(1, d.diff) == bad else "better"


def compare(base_runs: list[RunRecord], new_runs: list[RunRecord],
            thresholds: list[str] | None = None, alpha: float = 0.05, *,
            margins: dict[str, Margin] | None = None,
            cross_machine: bool = False) -> Comparison:
    """Compare every configuration present in both stores on every final metric and on
    runtime, memory and hardware time (machine-bound ones only on the same machine unless
    `cross_machine`); `margins` over those the new store's runs recorded."""
    parsed = [parse_threshold(t) for t in (thresholds or DEFAULT_THRESHOLDS)]
    # both stores grouped by the settings varied in either, so that the same configuration
    # has the same name on both sides
    base = _groups(base_runs, margins, new_runs)
    new = _groups(new_runs, margins, base_runs)
    out = Comparison(thresholds=parsed, alpha=alpha)
    out.only_base = [" · ".join(k) for k in sorted(set(base) - set(new))]
    out.only_new = [" · ".join(k) for k in sorted(set(new) - set(base))]
    samples: list[tuple[list[float], list[float]]] = []
    judged: list[Agreement] = []
    seen_base: set[str] = set()
    seen_new: set[str] = set()
    for key in sorted(set(base) & set(new)):
        (gb, main, section_margins), (gn, _, new_margins) = base[key], new[key]
        section_margins = {**section_margins, **new_margins}
        mb, mn = _machines(gb), _machines(gn)
        other_machine = bool(mb and mn and mb != mn)
        if other_machine:
            seen_base |= mb
            seen_new |= mn
        names: dict[str, None] = {main: None} if main else {}
        for g in (gb, gn):
            for r in g.ok:
                names.update({k: None for k, v in r.final.items()
                              if isinstance(v, int | float) and not isinstance(v, bool)})
        names.update({q: None for q in COMPARED_RUN_QUANTITIES})
        for metric in names:
            a, b = gb.values(metric), gn.values(metric)
            if not a and not b:
                continue
            th = next((t for t in parsed if t.applies(metric)), None)
            d = welch(a, b)
            sa = mean_ci(a)
            machine_bound = other_machine and metric in MACHINE_BOUND
            status = ("other-machine" if machine_bound and not cross_machine
                      else _status(th, metric, sa, d, alpha))
            judgement = compare_samples(key[3], "baseline", "new", metric, a, b,
                                        margin_for(section_margins, metric))
            out.changes.append(Change(key[0], key[1], key[2], key[3], metric, sa, mean_ci(b),
                                      d, th, status, judgement, machine_bound))
            judged.append(judgement)
            samples.append((a, b))
    # one family per metric over all configurations, as the report's cross-backend tests
    judge_per_metric(judged, samples, alpha)
    out.machines_base, out.machines_new = sorted(seen_base), sorted(seen_new)
    return out


def unknown_threshold_names(cmp: Comparison, given: list[str]) -> list[str]:
    """Thresholds (from `given`) whose name matches no compared metric: likely typos."""
    names = cmp.metrics
    bad = []
    for text in given:
        th = parse_threshold(text)
        if not any(th.applies(m) for m in names):
            bad.append(th.pattern)
    return bad
