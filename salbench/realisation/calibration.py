"""Per-backend calibration of LIF sampling units, cached on disk.

Measure the activation function p(z = 1) = rate·tau_ref of unconnected sampling units against
their rest potential over a sweep, fit a logistic p = 1 / (1 + exp(−(v_rest − v0)/alpha)),
and derive the translation of abstract units (Petrovici et al. 2016):

- bias b -> v_rest = v0 + alpha·b (the abstract unit fires with logistic(b));
- weight W -> conductance. Theory first (Petrovici et al. 2016): the conductance whose PSP,
  averaged over tau_ref, is alpha·W. In the high-conductance state a conductance kernel
  w·exp(−t/tau_syn) moves the free membrane potential by PSP(t) = w (E_rev − mu) / g_tot ·
  tau_syn / (tau_syn − tau_eff) · (exp(−t/tau_syn) − exp(−t/tau_eff)), with g_tot the mean
  total conductance, tau_eff = cm / g_tot and mu the mean free membrane potential at v0 — the
  rectangular PSP of the abstract model has height W for tau_ref. Measured here, that theory
  overestimates the conductance a weight needs about 2x (the spike mechanism reacts to the PSP
  beyond the free-membrane picture: its tail after tau_ref, the threshold crossing), so the
  weight translation is then measured: reciprocally connected pairs at probe conductances
  (fractions of the theory value) sample a two-unit Boltzmann machine whose weight is exactly
  the log odds ratio log(p11·p00 / (p10·p01)) of the joint states; a line through the origin
  per sign gives abstract units per uS.

A calibration is identified by the PyNN module, the simulator's version, the neuron and
background parameters, tau_ref, the time step, the synaptic delay and the sweep (the weight
translation is measured with the delay the runs use: a PSP that starts later overlaps less
with the presynaptic unit's z = 1 window); it is cached as JSON under
$SALBENCH_CACHE (default ~/.cache/salbench)/calibrations. A missing or stale cache is rebuilt in
a fresh process (`python -m salbench.realisation.calibration`) so a run's own simulator
state is never touched.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import curve_fit

from salbench.realisation.units import LIFUnitParams
from salbench.versions import package_version

#: bumped whenever the measurement or the translation changes: old caches become stale
CALIBRATION_VERSION = 3

#: which distribution's version identifies each PyNN backend module
SIMULATOR_DISTS = {"pyNN.nest": "nest-simulator", "pyNN.neuron": "neuron",
                   "pyNN.brian2": "brian2"}


@dataclass(frozen=True)
class Sweep:
    """How the activation function is measured: v_rest from v_thresh + lo to v_thresh + hi."""

    lo_mV: float = -5.5
    hi_mV: float = 3.5
    points: int = 25
    duration_ms: float = 20000.0
    #: probe conductances of the weight measurement, as fractions of the theory value of
    #: one abstract unit; pairs per probe and sign
    probes: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    pairs_per_probe: int = 4
    seed: int = 4321


@dataclass
class Calibration:
    module: str
    simulator_version: str
    key: str
    tau_ref_ms: float
    timestep_ms: float
    delay_ms: float
    v0_mV: float
    alpha_mV: float
    r2: float
    mu_mV: float
    g_tot_uS: float
    tau_eff_ms: float
    exc_uS_per_unit: float
    inh_uS_per_unit: float
    #: the Petrovici et al. (2016) free-membrane values, for comparison with the measured ones
    theory_exc_uS_per_unit: float = math.nan
    theory_inh_uS_per_unit: float = math.nan
    #: R² of the weight fits (measured log odds ratio against conductance)
    weight_r2_exc: float = math.nan
    weight_r2_inh: float = math.nan
    v_rest_mV: list[float] = field(default_factory=list)
    p_on: list[float] = field(default_factory=list)
    probe_uS: list[float] = field(default_factory=list)
    probe_weight: list[float] = field(default_factory=list)
    wall_s: float = math.nan

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def cache_dir() -> Path:
    root = os.environ.get("SALBENCH_CACHE") or Path.home() / ".cache" / "salbench"
    return Path(root) / "calibrations"


def simulator_version(module: str) -> str:
    """Version string of the simulator stack behind a PyNN backend module."""
    dists = ["PyNN", SIMULATOR_DISTS.get(module, "salbench")]
    return ",".join(f"{dist}=={package_version(dist)}" for dist in dists)


def calibration_key(module: str, unit: LIFUnitParams, tau_ref_ms: float, timestep_ms: float,
                    sweep: Sweep = Sweep(), delay_ms: float | None = None) -> str:
    data = {"v": CALIBRATION_VERSION, "module": module, "sim": simulator_version(module),
            "unit": unit.neuron_key(), "tau_ref_ms": tau_ref_ms, "timestep_ms": timestep_ms,
            "delay_ms": _delay(timestep_ms, delay_ms), "sweep": asdict(sweep)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _delay(timestep_ms: float, delay_ms: float | None) -> float:
    """The synaptic delay of a calibration: one time step unless the runs use another."""
    return float(timestep_ms if delay_ms is None else delay_ms)


def cache_path(module: str, key: str) -> Path:
    return cache_dir() / f"{module.replace('.', '_')}-{key}.json"


# -- the physics ---------------------------------------------------------------------------
def logistic(v: np.ndarray, v0: float, alpha: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(np.asarray(v, dtype=float) - v0) / alpha))


def fit_logistic(v: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    """(v0, alpha, R²) of the least-squares logistic through the points (v, p)."""
    v = np.asarray(v, dtype=float)
    p = np.asarray(p, dtype=float)
    guess_v0 = float(v[np.argmin(np.abs(p - 0.5))])
    (v0, alpha), _ = curve_fit(logistic, v, p, p0=(guess_v0, 1.0), maxfev=10000)
    resid = p - logistic(v, v0, alpha)
    r2 = 1.0 - float(np.sum(resid**2) / np.sum((p - p.mean()) ** 2))
    return float(v0), float(alpha), r2


def free_membrane(unit: LIFUnitParams, tau_syn_ms: float,
                  v_rest: float) -> tuple[float, float, float]:
    """(mu mV, g_tot uS, tau_eff ms) of the free membrane under the Poisson background."""
    g_l = unit.cm / unit.tau_m  # nF / ms = uS
    g_bg = unit.bg_rate_hz * 1e-3 * unit.bg_weight_uS * tau_syn_ms  # mean of each channel
    g_tot = g_l + 2.0 * g_bg
    mu = (g_l * v_rest + g_bg * unit.e_rev_E + g_bg * unit.e_rev_I) / g_tot
    return mu, g_tot, unit.cm / g_tot


def mean_psp_per_uS(e_rev: float, mu: float, g_tot: float, tau_syn: float, tau_eff: float,
                    tau_ref: float) -> float:
    """Mean over [0, tau_ref] of the PSP of a 1 uS conductance-based synapse (mV)."""
    amp = (e_rev - mu) / g_tot * tau_syn / (tau_syn - tau_eff)
    integral = (tau_syn * (1 - math.exp(-tau_ref / tau_syn))
                - tau_eff * (1 - math.exp(-tau_ref / tau_eff)))
    return amp * integral / tau_ref


# -- measuring ------------------------------------------------------------------------------
def _sampling_units(sim: Any, unit: LIFUnitParams, tau_ref_ms: float, v_rest: np.ndarray,
                    delay_ms: float) -> tuple[Any, list[Any]]:
    """Sampling units with private Poisson background; the projections must be kept alive."""
    n = len(v_rest)
    cells = sim.Population(n, sim.IF_cond_exp(
        cm=unit.cm, tau_m=unit.tau_m, e_rev_E=unit.e_rev_E, e_rev_I=unit.e_rev_I,
        v_thresh=unit.v_thresh, v_reset=unit.v_reset, tau_refrac=tau_ref_ms,
        tau_syn_E=tau_ref_ms, tau_syn_I=tau_ref_ms, v_rest=list(map(float, v_rest))))
    cells.initialize(v=list(map(float, v_rest)))
    pairs = [(i, i, unit.bg_weight_uS, delay_ms) for i in range(n)]
    keep = []
    for receptor in ("excitatory", "inhibitory"):
        source = sim.Population(n, sim.SpikeSourcePoisson(rate=unit.bg_rate_hz))
        keep.append(sim.Projection(source, cells, sim.FromListConnector(pairs),
                                   sim.StaticSynapse(), receptor_type=receptor))
    cells.record("spikes")
    return cells, keep


def _spike_trains(cells: Any) -> list[np.ndarray]:
    segment = cells.get_data("spikes").segments[-1]
    out = [np.empty(0)] * cells.size
    for st in segment.spiketrains:
        out[st.annotations["source_index"]] = np.asarray(st.magnitude, dtype=float)
    return out


def measure(sim: Any, unit: LIFUnitParams, tau_ref_ms: float, sweep: Sweep, delay_ms: float,
            probe_uS: np.ndarray, progress: Callable[[float], None] | None = None,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """On a simulator already set up, in one simulation: p(z = 1) = rate·tau_ref of unconnected
    units over the rest-potential sweep, and the log odds ratio of reciprocally connected pairs
    at each signed probe conductance (> 0 excitatory, < 0 inhibitory; v_rest = v_thresh).
    Returns (v_rest, p_on, probe weights in abstract units)."""
    from salbench.protocols.boltzmann import StateReader

    v_rest = unit.v_thresh + np.linspace(sweep.lo_mV, sweep.hi_mV, sweep.points)
    n_pairs = len(probe_uS)
    v_all = np.concatenate([v_rest, np.full(2 * n_pairs, unit.v_thresh)])
    cells, keep = _sampling_units(sim, unit, tau_ref_ms, v_all, delay_ms)
    base = len(v_rest)
    for receptor, sign in (("excitatory", 1.0), ("inhibitory", -1.0)):
        conns = []
        for k, g in enumerate(probe_uS):
            if g * sign > 0:
                a, b = base + 2 * k, base + 2 * k + 1
                conns += [(a, b, abs(g), delay_ms), (b, a, abs(g), delay_ms)]
        if conns:
            keep.append(sim.Projection(cells, cells, sim.FromListConnector(conns),
                                       sim.StaticSynapse(), receptor_type=receptor))
    warmup = 10 * tau_ref_ms
    sim.run(warmup)
    chunks = 20
    for k in range(chunks):
        sim.run(sweep.duration_ms / chunks)
        if progress:
            progress((k + 1) / chunks)
    spikes = _spike_trains(cells)
    counts = np.array([np.count_nonzero(s >= warmup) for s in spikes[:base]], dtype=float)
    p_on = counts * tau_ref_ms / sweep.duration_ms
    reader = StateReader(2 * n_pairs, tau_ref_ms)
    states = reader.states([s[s >= warmup] for s in spikes[base:]], warmup, sweep.duration_ms,
                           tau_ref_ms / 2).astype(int)
    weights = np.empty(n_pairs)
    for k in range(n_pairs):
        joint = np.bincount(2 * states[:, 2 * k] + states[:, 2 * k + 1], minlength=4) + 0.5
        weights[k] = math.log(joint[3] * joint[0] / (joint[1] * joint[2]))
    return v_rest, p_on, weights


def _slope_through_origin(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of y = s·x and its R²."""
    s = float(np.dot(x, y) / np.dot(x, x))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - s * x) ** 2)) / ss_tot if ss_tot > 0 else math.nan
    return s, r2


def _seed_kwargs(module: str, seed: int) -> dict[str, int]:
    # pyNN.neuron ignores rng_seed; its random streams come from native_rng_baseseed
    return {"native_rng_baseseed": seed} if module == "pyNN.neuron" else {"rng_seed": seed}


def run_calibration(module: str, unit: LIFUnitParams, tau_ref_ms: float, timestep_ms: float,
                    sweep: Sweep = Sweep(),
                    progress: Callable[[float], None] | None = None,
                    delay_ms: float | None = None) -> Calibration:
    """Measure and fit in this process (sets up and ends the simulator)."""
    import time

    start = time.perf_counter()
    delay = _delay(timestep_ms, delay_ms)
    sim = importlib.import_module(module)
    sim.setup(timestep=timestep_ms, min_delay=delay, **_seed_kwargs(module, sweep.seed))
    if module == "pyNN.nest":
        sim.nest.set_verbosity("M_ERROR")
    # theory first: it sets the probe conductances (0.8 mV is a typical alpha; only the
    # probe range depends on it)
    mu, g_tot, tau_eff = free_membrane(unit, tau_ref_ms, unit.v_thresh)
    guess_alpha = 0.8
    exc_theory = guess_alpha / mean_psp_per_uS(unit.e_rev_E, mu, g_tot, tau_ref_ms, tau_eff,
                                               tau_ref_ms)
    inh_theory = guess_alpha / -mean_psp_per_uS(unit.e_rev_I, mu, g_tot, tau_ref_ms, tau_eff,
                                                tau_ref_ms)
    fractions = np.repeat(np.asarray(sweep.probes, dtype=float), sweep.pairs_per_probe)
    probe = np.concatenate([fractions * exc_theory, -fractions * inh_theory])
    try:
        v_rest, p, w_probe = measure(sim, unit, tau_ref_ms, sweep, delay, probe, progress)
    finally:
        sim.end()
    v0, alpha, r2 = fit_logistic(v_rest, p)
    mu, g_tot, tau_eff = free_membrane(unit, tau_ref_ms, v0)
    exc = mean_psp_per_uS(unit.e_rev_E, mu, g_tot, tau_ref_ms, tau_eff, tau_ref_ms)
    inh = mean_psp_per_uS(unit.e_rev_I, mu, g_tot, tau_ref_ms, tau_eff, tau_ref_ms)
    pos = probe > 0
    s_exc, r2_exc = _slope_through_origin(probe[pos], w_probe[pos])
    s_inh, r2_inh = _slope_through_origin(-probe[~pos], -w_probe[~pos])
    return Calibration(
        module=module, simulator_version=simulator_version(module),
        key=calibration_key(module, unit, tau_ref_ms, timestep_ms, sweep, delay),
        tau_ref_ms=tau_ref_ms, timestep_ms=timestep_ms, delay_ms=delay, v0_mV=v0,
        alpha_mV=alpha, r2=r2,
        mu_mV=mu, g_tot_uS=g_tot, tau_eff_ms=tau_eff,
        exc_uS_per_unit=1.0 / s_exc, inh_uS_per_unit=1.0 / s_inh,
        theory_exc_uS_per_unit=alpha / exc, theory_inh_uS_per_unit=alpha / -inh,
        weight_r2_exc=r2_exc, weight_r2_inh=r2_inh,
        v_rest_mV=v_rest.tolist(), p_on=p.tolist(), probe_uS=probe.tolist(),
        probe_weight=w_probe.tolist(), wall_s=time.perf_counter() - start,
    )


def save(cal: Calibration) -> Path:
    path = cache_path(cal.module, cal.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cal.to_json(), indent=1))
    tmp.replace(path)  # atomic: concurrent runs never read half a file
    return path


def load(module: str, key: str) -> Calibration | None:
    path = cache_path(module, key)
    try:
        data = json.loads(path.read_text())
        cal = Calibration(**data)
    except (OSError, ValueError, TypeError):
        return None
    return cal if cal.key == key else None


def get_calibration(module: str, unit: LIFUnitParams, tau_ref_ms: float, timestep_ms: float,
                    sweep: Sweep = Sweep(), rebuild: bool = False,
                    delay_ms: float | None = None) -> Calibration:
    """The cached calibration, or a new one measured in a fresh process (with a progress
    display on stderr)."""
    key = calibration_key(module, unit, tau_ref_ms, timestep_ms, sweep, delay_ms)
    cal = None if rebuild else load(module, key)
    if cal is not None:
        return cal
    request = {"module": module, "unit": unit.model_dump(), "tau_ref_ms": tau_ref_ms,
               "timestep_ms": timestep_ms, "delay_ms": delay_ms, "sweep": asdict(sweep)}
    done = subprocess.run([sys.executable, "-m", "salbench.realisation.calibration",
                           json.dumps(request)], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"calibration of {module} failed (exit {done.returncode})")
    cal = load(module, key)
    if cal is None:
        raise RuntimeError(f"calibration of {module} wrote no cache file {cache_path(module, key)}")
    return cal


def calibrate_with_progress(module: str, unit: LIFUnitParams, tau_ref_ms: float,
                            timestep_ms: float, sweep: Sweep = Sweep(),
                            delay_ms: float | None = None) -> Calibration:
    """Measure with a rich progress bar (on stderr) and save to the cache."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn(f"calibrating {module}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task("sweep", total=1.0)
        cal = run_calibration(module, unit, tau_ref_ms, timestep_ms, sweep,
                              progress=lambda f: bar.update(task, completed=f),
                              delay_ms=delay_ms)
    save(cal)
    return cal


class CalibratedTranslation:
    """Abstract units -> LIF parameters through a `Calibration`."""

    def __init__(self, cal: Calibration, unit: LIFUnitParams) -> None:
        self.cal = cal
        self.exc_uS_per_unit = cal.exc_uS_per_unit * unit.weight_scale
        self.inh_uS_per_unit = cal.inh_uS_per_unit * unit.weight_scale

    def v_rest(self, biases: np.ndarray) -> np.ndarray:
        return self.cal.v0_mV + self.cal.alpha_mV * np.asarray(biases, dtype=float)

    def conductances(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = np.asarray(weights, dtype=float)
        return np.maximum(w, 0.0) * self.exc_uS_per_unit, np.maximum(-w, 0.0) * self.inh_uS_per_unit

    def weights(self, exc_uS: np.ndarray, inh_uS: np.ndarray) -> np.ndarray:
        return exc_uS / self.exc_uS_per_unit - inh_uS / self.inh_uS_per_unit


def _main(argv: list[str]) -> int:
    request = json.loads(argv[0])
    cal = calibrate_with_progress(request["module"], LIFUnitParams(**request["unit"]),
                                  request["tau_ref_ms"], request["timestep_ms"],
                                  Sweep(**{**request["sweep"],
                                           "probes": tuple(request["sweep"]["probes"])}),
                                  request.get("delay_ms"))
    print(cache_path(cal.module, cal.key))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
