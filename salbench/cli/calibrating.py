"""`salbench calibrate --backend NAME`: measure a backend's LIF sampling-unit calibration
(activation function and weight translation), cache it, print the fit and its quality."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from salbench.cli.common import EXIT_OK, EXIT_RUNS_FAILED, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("calibrate", help="calibrate LIF sampling units on a PyNN backend "
                       "(cached; re-run with --force)")
    p.add_argument("--backend", required=True, metavar="NAME",
                   help="backend or backend profile (a PyNN backend: nest, neuron, bss2...)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="neuron or background setting (salbench.spec.translation), e.g. "
                        "noise=white or bg_rate_hz=4000")
    p.add_argument("--tau-ref", type=float, default=10.0, help="tau_ref = tau_syn in ms (10)")
    p.add_argument("--duration", type=float, default=None,
                   help="biological seconds of the measurement (default 20)")
    p.add_argument("--force", action="store_true", help="measure even if a cached one exists")
    p.add_argument("--json", action="store_true", help="print the calibration as JSON")


def main(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from pydantic import ValidationError

    from salbench.backends.pynn import PyNNBackend
    from salbench.realisation import calibration as cal_mod
    from salbench.runner.backend_sources import backend_class, check_backend, resolve_backend
    from salbench.runner.overrides import parse_override
    from salbench.spec.units import LIFUnitParams

    source = resolve_backend(args.backend)
    cls = backend_class(source)
    reason = cls.unavailable_reason(source.settings)
    if reason:
        raise UsageError(f"backend '{args.backend}' is not usable here: {reason}")
    check_backend(source)
    backend = cls(source.settings)
    if not isinstance(backend, PyNNBackend):
        raise UsageError(f"backend '{args.backend}' is not a PyNN backend; only LIF sampling "
                         "units on PyNN simulators are calibrated")
    settings: dict[str, Any] = {}
    for item in args.overrides:
        parts, value = parse_override(item)  # the same KEY=VALUE syntax as `run --set`
        settings[".".join(parts)] = value
    try:
        unit = backend.unit_settings(LIFUnitParams(**settings))
    except ValidationError as err:
        first = err.errors()[0]
        raise UsageError(f"bad unit setting {first['loc']}: {first['msg']}") from None
    sweep = cal_mod.Sweep()
    if args.duration:
        sweep = replace(sweep, duration_ms=1000.0 * args.duration)
    key = cal_mod.host_key(backend, unit, args.tau_ref, sweep)
    cal = None if args.force else cal_mod.load(backend.name, key)
    cached = cal is not None
    if cal is None:
        try:
            backend.check_unit(unit)
        except ValueError as err:
            raise UsageError(str(err)) from None
        try:
            cal = cal_mod.get_calibration(backend, unit, args.tau_ref, sweep, rebuild=True)
        except RuntimeError as err:  # the measurement's own process failed: say why, once
            print(f"salbench: {err}", file=sys.stderr)
            return EXIT_RUNS_FAILED
    if args.json:
        print(json.dumps(cal.to_json(), indent=1))
        return EXIT_OK
    _print(cal, unit, cached)
    return EXIT_OK


def _print(cal: Any, unit: Any, cached: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from salbench.realisation.calibration import cache_path

    console = Console()
    versions = ", ".join(f"{k} {v}" for k, v in cal.identity.get("versions", {}).items())
    noise = (f"white current {unit.noise_std_nA:g} nA every {unit.noise_dt_ms:g} ms"
             if unit.noise == "white"
             else f"Poisson {unit.bg_rate_hz:g} Hz x {1000 * unit.bg_weight_uS:g} nS")
    table = Table(title=f"LIF sampling-unit calibration · {cal.backend} ({versions}) · "
                        f"noise: {noise}", show_header=True)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("meaning")
    rows = [
        ("v0", f"{cal.v0_mV:.3f} mV", "rest potential where p(z=1) = 0.5 (bias 0)"),
        ("alpha", f"{cal.alpha_mV:.3f} mV", "logistic width: one abstract bias unit"),
        ("R² (activation)", f"{cal.r2:.5f}", "logistic fit of p(z=1) against v_rest"),
        ("exc weight", f"{1000 * cal.exc_uS_per_unit:.3f} nS",
         f"per abstract unit (theory {1000 * cal.theory_exc_uS_per_unit:.3f} nS)"),
        ("inh weight", f"{1000 * cal.inh_uS_per_unit:.3f} nS",
         f"per abstract unit (theory {1000 * cal.theory_inh_uS_per_unit:.3f} nS)"),
        ("R² (weights)", f"{cal.weight_r2_exc:.3f} / {cal.weight_r2_inh:.3f}",
         "exc / inh: measured log odds ratio against conductance"),
        ("tau_eff", f"{cal.tau_eff_ms:.3f} ms", "free membrane time constant"),
        ("time step", f"{cal.timestep_ms:g} ms", f"tau_ref = tau_syn = {cal.tau_ref_ms:g} ms"),
        ("synaptic delay", f"{cal.delay_ms:g} ms", "as in the runs"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    where = cache_path(cal.backend, cal.key)
    console.print(f"{'cached' if cached else 'measured in'} "
                  f"{'' if cached else f'{cal.wall_s:.0f} s, saved to '}{where}")
