"""Synthetic stores for the report's tests and benchmark (test-only: not part of the package).

The runs look like real ones (same fields, series against biological time, phase timings,
provenance, sweeps, failures) but cost nothing to produce, so a 1000-run store is made in
about a second. Values follow simple known laws (exponential decay towards a floor, runtime
linear in size), which lets tests check what the report says about them.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from salbench.store import RunRecord, Store

BACKENDS = {  # name -> (asymmetry floor, seconds per biological second, peak MB)
    "nest": (0.020, 0.40, 330.0),
    "neuron": (0.022, 0.25, 290.0),
    "bss2": (0.060, 0.90, 410.0),
    "reference": (0.010, 0.005, 260.0),
}


def _provenance(backend: str, hardware_s: float | None) -> dict:
    extra: dict = {"simulator_seed": 1}
    if hardware_s is not None:
        extra["hardware_time_s"] = hardware_s
        extra["emulator_wall_time_s"] = 1000 * hardware_s * 0.6
    return {"salbench": "0.1.0", "git_commit": "0123456789abcdef", "python": "3.11.7",
            "numpy": "2.4.6", "simulators": {backend: "1.0"},
            "machine": {"hostname": "synthetic", "cpu_model": "test CPU", "cores": 2,
                        "memory_gb": 8.0, "os": "Linux"},
            "backend": extra}


def synthetic_run(scenario: str, backend: str, seed: int, *, sweep: dict | None = None,
                  status: str = "ok", label: str | None = None, epochs: int = 100,
                  floor_scale: float = 1.0, time_scale: float = 1.0,
                  size: int = 2) -> RunRecord:
    """One run record; `floor_scale` and `time_scale` shift the final asymmetry and the
    runtime (what a regression would change)."""
    sweep = dict(sweep or {})
    # crc32, not hash(): string hashes change from process to process
    rng = np.random.default_rng(zlib.crc32(repr((scenario, backend, seed,
                                                  sorted(sweep.items()))).encode()))
    floor, speed, mem = BACKENDS.get(backend, (0.03, 0.5, 300.0))
    floor *= floor_scale * (1 + 5 * float(sweep.get("sigma_syn", 0.0))
                            * (0.1 if sweep.get("sal", True) else 1.0))
    epoch_ms = 1000.0
    t = [i * epoch_ms for i in range(epochs + 1)]
    tau = epochs / 4
    asym = [floor + (0.5 - floor) * math.exp(-i / tau) + float(rng.normal(0, 0.01))
            for i in range(epochs + 1)]
    # no rate at t = 0 yet: None, which is how a stored NaN reads back
    rate: list[Any] = [None] + [float(20 + rng.normal(0, 2)) for _ in range(epochs)]
    bio_ms = epochs * epoch_ms
    wall = speed * time_scale * bio_ms / 1000 * (size / 2) * float(rng.uniform(0.9, 1.1)) + 1.0
    timings = {"import": 0.6, "build": 0.05 * size, "calibrate": 0.0, "simulate": 0.6 * wall,
               "readout": 0.05 * wall, "learn": 0.1 * wall, "write": 0.05 * wall}
    timings["total"] = wall
    hw = bio_ms / 1000 / 1000 if backend == "bss2" else None  # 1000x accelerated hardware
    params = {"epochs": epochs, "epoch_ms": epoch_ms, "eta": 2.0, "window": "exponential",
              "w12": 1.5, "w21": 0.5, "unit": {}, **sweep}
    final = {"asymmetry": asym[-1], "asymmetry_start": asym[0],
             "rate_hz": float(np.mean(rate[1:])), "decay_tau_ms": tau * epoch_ms}
    ok = status == "ok"
    return RunRecord(
        cell_key=f"{scenario}-{backend}-{seed}-{sorted(sweep.items())}", scenario=scenario,
        label=label or f"synthetic {scenario}", protocol="pair", profile="quick",
        backend=backend, adapter=backend, seed=seed, status=status, sweep=sweep,
        error=None if ok else f"RuntimeError: synthetic {status}",
        config={"scenario": scenario, "profile": "quick", "backend": backend, "seed": seed,
                "params": params, "settings": {}, "sweep": sweep, "timeout_s": 300.0},
        provenance=_provenance(backend, hw), timings=timings if ok else {},
        peak_mem_mb=mem * (1 + 0.01 * size), bio_time_ms=bio_ms, wall_s=wall,
        final=final if ok else {}, series={"t_ms": t, "asymmetry": asym, "rate_hz": rate}
        if ok else {}, notes={"main_metric": "asymmetry", "regime": "sampling"},
    )


def fill_store(store: Store, n_runs: int = 1000, *, epochs: int = 100,
               floor_scale: float = 1.0, time_scale: float = 1.0) -> int:
    """About n_runs runs over three scenarios (one with a noise × SAL sweep, one with a
    size sweep), four backends, a few failures and timeouts. Returns the number stored."""
    backends = list(BACKENDS)
    plan: list[tuple[str, dict]] = [("pair", {})]
    plan += [("noise", {"sigma_syn": s, "sal": sal}) for s in (0.0, 0.4, 0.8)
             for sal in (True, False)]
    plan += [("scaling", {"n_units": n}) for n in (2, 8, 32)]
    per_cell = max(1, n_runs // (len(plan) * len(backends)))
    count = 0
    for scenario, sweep in plan:
        for backend in backends:
            for seed in range(per_cell):
                if count >= n_runs:
                    return count
                status = "ok"
                if seed == per_cell - 1 and per_cell > 3 and backend == "bss2":
                    status = "timeout" if scenario == "scaling" else "failed"
                store.add(synthetic_run(
                    scenario, backend, seed, sweep=sweep, status=status, epochs=epochs,
                    floor_scale=floor_scale, time_scale=time_scale,
                    size=int(sweep.get("n_units", 2))))
                count += 1
    return count


def synthetic_store(path: str | Path, n_runs: int = 1000, **kwargs: float) -> Store:
    store = Store(path)
    # synthetic data needs no durability: without an fsync per run 1000 runs take ~1 s
    store.conn.execute("PRAGMA synchronous=OFF")
    fill_store(store, n_runs, **kwargs)  # type: ignore[arg-type]
    return store
