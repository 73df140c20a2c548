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

The weight probes sit where p(z = 1) = 0.5 (at the fitted v0, set after the activation
sweep): with white current noise the midpoint moves away from v_thresh, and probes there
measure noise (native-sal.md).

A calibration belongs to the backend that measures it (`SimulatorHost`): the backend sets the
simulator up exactly as for its runs (profile settings, seeding, delays) and says which of its
settings change a unit. Its identity is that, the neuron and noise-model parameters, tau_ref,
the time step, the synaptic delay and the sweep (the weight translation is measured with the
delay the runs use: a PSP that starts later overlaps less with the presynaptic unit's z = 1
window); it is cached as JSON under $SALBENCH_CACHE (default ~/.cache/salbench)/calibrations.
A missing or stale cache is rebuilt in a fresh process (`python -m
salbench.realisation.calibration`) that rebuilds the backend from its relaunch request, so a
run's own simulator state is never touched.
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

from salbench.cache import cache_dir as salbench_cache
from salbench.realisation.cells import sampling_cells
from salbench.realisation.host import SimulatorHost
from salbench.spec.translation import Translation
from salbench.spec.units import LIFUnitParams

#: bumped whenever the measurement or the translation changes: old caches become stale
CALIBRATION_VERSION = 4


@dataclass(frozen=True)
class Sweep:
    """How the activation function is measured: v_rest from v_thresh + lo to v_thresh + hi
    under Poisson background; under white current noise the midpoint and the width scale
    with the free membrane's std sigma_V (measured on NEST: v0 ≈ v_thresh − 2.1 sigma_V,
    alpha ≈ 0.5 sigma_V at 1.0 and 1.5 nA), so the sweep spans v_thresh + lo_sigma·sigma_V to
    v_thresh + hi_sigma·sigma_V: a fixed mV range misses v0 at strong noise."""

    lo_mV: float = -5.5
    hi_mV: float = 3.5
    lo_sigma: float = -5.0
    hi_sigma: float = 0.8
    points: int = 25
    duration_ms: float = 20000.0
    #: probe conductances of the weight measurement, as fractions of the theory value of
    #: one abstract unit; pairs per probe and sign
    probes: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    pairs_per_probe: int = 4
    seed: int = 4321


@dataclass
class Calibration:
    #: the backend that measured it, and its identity (versions, settings)
    backend: str
    identity: dict[str, Any]
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
    return salbench_cache("calibrations")


def calibration_key(identity: dict[str, Any], unit: LIFUnitParams, tau_ref_ms: float,
                    timestep_ms: float, delay_ms: float, sweep: Sweep = Sweep()) -> str:
    data = {"v": CALIBRATION_VERSION, "backend": identity, "unit": unit.neuron_key(),
            "tau_ref_ms": tau_ref_ms, "timestep_ms": timestep_ms, "delay_ms": delay_ms,
            "sweep": asdict(sweep)}
    blob = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def host_key(host: SimulatorHost, unit: LIFUnitParams, tau_ref_ms: float,
             sweep: Sweep = Sweep()) -> str:
    """The key of the calibration `host` measures (and its runs use) for `unit`."""
    return calibration_key(host.calibration_identity(), unit, tau_ref_ms, host.timestep_ms,
                           host.delay_ms, sweep)


def cache_path(backend: str, key: str) -> Path:
    return cache_dir() / f"{backend}-{key}.json"


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
    """(mu mV, g_tot uS, tau_eff ms) of the free membrane under the background (a white
    current adds no conductance)."""
    g_l = unit.cm / unit.tau_m  # nF / ms = uS
    g_bg = 0.0
    if unit.noise == "poisson":
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
def free_membrane_std(unit: LIFUnitParams) -> float:
    """Stationary std (mV) of the free membrane under the white current noise: the AR(1)
    process of a current held for noise_dt_ms through the leaky membrane."""
    p = math.exp(-unit.noise_dt_ms / unit.tau_m)
    return unit.noise_std_nA * unit.tau_m / unit.cm * math.sqrt((1 - p) / (1 + p))


def sweep_offsets(unit: LIFUnitParams, sweep: Sweep) -> tuple[float, float]:
    """(lo, hi) of the rest-potential sweep relative to v_thresh, mV."""
    if unit.noise == "white":
        sigma = free_membrane_std(unit)
        return sweep.lo_sigma * sigma, sweep.hi_sigma * sigma
    return sweep.lo_mV, sweep.hi_mV


def _spike_trains(cells: Any) -> list[np.ndarray]:
    segment = cells.get_data("spikes").segments[-1]
    out = [np.empty(0)] * cells.size
    for st in segment.spiketrains:
        out[st.annotations["source_index"]] = np.asarray(st.magnitude, dtype=float)
    return out


def measure(host: SimulatorHost, unit: LIFUnitParams, tau_ref_ms: float, sweep: Sweep,
            probe_uS: np.ndarray, progress: Callable[[float], None] | None = None,
            ) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float], np.ndarray]:
    """On `host`'s simulator, already set up, in one simulation of two stages:
    1. p(z = 1) = rate·tau_ref of unconnected units over the rest-potential sweep, fitted
       with a logistic (v0, alpha);
    2. the log odds ratio of reciprocally connected pairs at each signed probe conductance
       (> 0 excitatory, < 0 inhibitory), their rest potential moved to v0 (p = 0.5) first.
    Returns (v_rest, p_on, the logistic fit (v0, alpha, R²), probe weights in abstract
    units)."""
    from salbench.spec.boltzmann import StateReader

    sim = host.sim
    v_rest = unit.v_thresh + np.linspace(*sweep_offsets(unit, sweep), sweep.points)
    n_pairs = len(probe_uS)
    v_all = np.concatenate([v_rest, np.full(2 * n_pairs, unit.v_thresh)])
    cells, keep = sampling_cells(host, unit, tau_ref_ms, v_all, label="calibration units")
    base = len(v_rest)
    delay = host.delay_ms
    for receptor, sign in (("excitatory", 1.0), ("inhibitory", -1.0)):
        conns = []
        for k, g in enumerate(probe_uS):
            if g * sign > 0:
                a, b = base + 2 * k, base + 2 * k + 1
                conns += [(a, b, abs(g), delay), (b, a, abs(g), delay)]
        if conns:
            keep.append(sim.Projection(cells, cells, sim.FromListConnector(conns),
                                       sim.StaticSynapse(), receptor_type=receptor))
    cells.record("spikes")
    warmup = 10 * tau_ref_ms
    chunks = 20
    sim.run(warmup)
    for k in range(chunks):
        sim.run(sweep.duration_ms / chunks)
        if progress:
            progress(0.5 * (k + 1) / chunks)
    t_probe = warmup + sweep.duration_ms
    spikes = _spike_trains(cells)
    window = [(s >= warmup) & (s < t_probe) for s in spikes[:base]]
    counts = np.array([np.count_nonzero(w) for w in window], dtype=float)
    p_on = counts * tau_ref_ms / sweep.duration_ms
    fit = fit_logistic(v_rest, p_on)
    v0 = fit[0]
    pairs = sim.PopulationView(cells, np.arange(base, base + 2 * n_pairs))
    pairs.set(v_rest=v0)
    sim.run(warmup)
    for k in range(chunks):
        sim.run(sweep.duration_ms / chunks)
        if progress:
            progress(0.5 + 0.5 * (k + 1) / chunks)
    start = t_probe + warmup
    spikes = _spike_trains(cells)
    reader = StateReader(2 * n_pairs, tau_ref_ms)
    states = reader.states([s[s >= start] for s in spikes[base:]], start, sweep.duration_ms,
                           tau_ref_ms / 2).astype(int)
    weights = np.empty(n_pairs)
    for k in range(n_pairs):
        joint = np.bincount(2 * states[:, 2 * k] + states[:, 2 * k + 1], minlength=4) + 0.5
        weights[k] = math.log(joint[3] * joint[0] / (joint[1] * joint[2]))
    return v_rest, p_on, fit, weights


def _slope_through_origin(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of y = s·x and its R²."""
    s = float(np.dot(x, y) / np.dot(x, x))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y - s * x) ** 2)) / ss_tot if ss_tot > 0 else math.nan
    return s, r2


def run_calibration(host: SimulatorHost, unit: LIFUnitParams, tau_ref_ms: float,
                    sweep: Sweep = Sweep(),
                    progress: Callable[[float], None] | None = None) -> Calibration:
    """Measure and fit on `host`, set up for this (it should hold nothing else)."""
    import time

    start = time.perf_counter()
    # theory first: it sets the probe conductances (a typical alpha: 0.8 mV under the
    # Poisson background, half the free membrane's std under white noise; only the probe
    # range depends on it)
    mu, g_tot, tau_eff = free_membrane(unit, tau_ref_ms, unit.v_thresh)
    guess_alpha = 0.5 * free_membrane_std(unit) if unit.noise == "white" else 0.8
    exc_theory = guess_alpha / mean_psp_per_uS(unit.e_rev_E, mu, g_tot, tau_ref_ms, tau_eff,
                                               tau_ref_ms)
    inh_theory = guess_alpha / -mean_psp_per_uS(unit.e_rev_I, mu, g_tot, tau_ref_ms, tau_eff,
                                                tau_ref_ms)
    fractions = np.repeat(np.asarray(sweep.probes, dtype=float), sweep.pairs_per_probe)
    probe = np.concatenate([fractions * exc_theory, -fractions * inh_theory])
    v_rest, p, (v0, alpha, r2), w_probe = measure(host, unit, tau_ref_ms, sweep, probe,
                                                  progress)
    mu, g_tot, tau_eff = free_membrane(unit, tau_ref_ms, v0)
    exc = mean_psp_per_uS(unit.e_rev_E, mu, g_tot, tau_ref_ms, tau_eff, tau_ref_ms)
    inh = mean_psp_per_uS(unit.e_rev_I, mu, g_tot, tau_ref_ms, tau_eff, tau_ref_ms)
    pos = probe > 0
    s_exc, r2_exc = _slope_through_origin(probe[pos], w_probe[pos])
    s_inh, r2_inh = _slope_through_origin(-probe[~pos], -w_probe[~pos])
    return Calibration(
        backend=host.name, identity=host.calibration_identity(),
        key=host_key(host, unit, tau_ref_ms, sweep),
        tau_ref_ms=tau_ref_ms, timestep_ms=host.timestep_ms, delay_ms=host.delay_ms,
        v0_mV=v0, alpha_mV=alpha, r2=r2,
        mu_mV=mu, g_tot_uS=g_tot, tau_eff_ms=tau_eff,
        exc_uS_per_unit=1.0 / s_exc, inh_uS_per_unit=1.0 / s_inh,
        theory_exc_uS_per_unit=alpha / exc, theory_inh_uS_per_unit=alpha / -inh,
        weight_r2_exc=r2_exc, weight_r2_inh=r2_inh,
        v_rest_mV=v_rest.tolist(), p_on=p.tolist(), probe_uS=probe.tolist(),
        probe_weight=w_probe.tolist(), wall_s=time.perf_counter() - start,
    )


def save(cal: Calibration) -> Path:
    path = cache_path(cal.backend, cal.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cal.to_json(), indent=1))
    tmp.replace(path)  # atomic: concurrent runs never read half a file
    return path


def load(backend: str, key: str) -> Calibration | None:
    path = cache_path(backend, key)
    try:
        data = json.loads(path.read_text())
        cal = Calibration(**data)
    except (OSError, ValueError, TypeError):
        return None
    return cal if cal.key == key else None


def get_calibration(host: SimulatorHost, unit: LIFUnitParams, tau_ref_ms: float,
                    sweep: Sweep = Sweep(), rebuild: bool = False) -> Calibration:
    """The cached calibration of `host`'s backend, or a new one measured in a fresh process
    on a fresh copy of that backend (with a progress display on stderr)."""
    key = host_key(host, unit, tau_ref_ms, sweep)
    cal = None if rebuild else load(host.name, key)
    if cal is not None:
        return cal
    request = {"backend": host.relaunch_request(), "unit": unit.model_dump(),
               "tau_ref_ms": tau_ref_ms, "sweep": asdict(sweep)}
    done = subprocess.run([sys.executable, "-m", "salbench.realisation.calibration",
                           json.dumps(request)], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        lines = done.stdout.strip().splitlines()  # the measuring process's one-line reason
        why = lines[-1] if lines else f"exit {done.returncode}"
        raise RuntimeError(f"calibration on backend {host.name} failed: {why}")
    cal = load(host.name, key)
    if cal is None:
        raise RuntimeError(f"calibration on backend {host.name} wrote no cache file "
                           f"{cache_path(host.name, key)}")
    return cal


def calibrate_with_progress(host: SimulatorHost, unit: LIFUnitParams, tau_ref_ms: float,
                            sweep: Sweep = Sweep()) -> Calibration:
    """Measure on `host` with a rich progress bar (on stderr) and save to the cache."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn(f"calibrating {host.name}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task("sweep", total=1.0)
        cal = run_calibration(host, unit, tau_ref_ms, sweep,
                              progress=lambda f: bar.update(task, completed=f))
    save(cal)
    return cal


class CalibratedTranslation(Translation):
    """Abstract units -> LIF parameters through a `Calibration`: v_rest = v0 + alpha * b,
    weights with the measured conductance per abstract unit (times the unit's weight_scale)."""

    def __init__(self, cal: Calibration, unit: LIFUnitParams) -> None:
        self.cal = cal
        super().__init__(cal.v0_mV, cal.alpha_mV, cal.exc_uS_per_unit * unit.weight_scale,
                         cal.inh_uS_per_unit * unit.weight_scale)


def relaunched_host(request: dict[str, Any], seed: int) -> Any:
    """A backend rebuilt from its `relaunch_request()` in this process, set up with `seed`."""
    module, _, name = request["target"].partition(":")
    cls = getattr(importlib.import_module(module), name)
    host = cls(request["settings"])
    host.setup(seed)
    return host


def _main(argv: list[str]) -> int:
    """Measure in this process; print the cache file, or one line saying why not."""
    request = json.loads(argv[0])
    sweep = Sweep(**{**request["sweep"], "probes": tuple(request["sweep"]["probes"])})
    try:
        host = relaunched_host(request["backend"], sweep.seed)
        try:
            cal = calibrate_with_progress(host, LIFUnitParams(**request["unit"]),
                                          request["tau_ref_ms"], sweep)
        finally:
            host.end()
    except Exception as err:  # the parent reports it (runs record it as their error)
        print(f"{type(err).__name__}: {err}".splitlines()[0])
        return 1
    print(cache_path(cal.backend, cal.key))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
