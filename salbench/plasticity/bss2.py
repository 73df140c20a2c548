"""SAL on the bss2 emulation: the chip's plasticity processor runs it online from the sensors.

``sal_synapse(bss2, ...)`` returns ``bss2.PlasticSynapse(plasticity_rule=SALProcessorRule)``.
Every ``period`` ms during the run the processor reads each synapse's causal and acausal
correlation sensors through the ADC (nearest-neighbour sums of K(dt) = exp(-dt/tau) since the
last read, design.md 1.1) and writes

    w <- clip(w + eta * (a_acausal * acausal - a_causal * causal), w_min, w_max)

rounded to the chip's 6-bit grid as the profile says (``quantise_weights``,
``processor_rounding``).  Signs as in salbench.rules.sal.sal_update: the causal lobe (pre
before post) depresses, the acausal lobe (post before pre) potentiates; ``eta`` is in weight
units (uS) per unit of K, with no 1/T epoch scaling (each pair counts once, when it is read).

Semantics against an event-driven SAL synapse (as on NEST): the pairs are the same
(nearest-neighbour, strictly earlier partners, a pre and a post spike in the same time step
do not pair), but a pair's change is applied at the first period boundary after its later
spike, not at the spike, and the pairs of one period all use the weight of its start.  The
sensors pair the spikes' emission times on the chip's grid: the synaptic delay shifts when a
PSP acts, not the pairing (as on NEST's and NEURON's SAL synapses).
With ``bss2-ideal`` (exact sensors, no ADC, no quantisation) the weight trajectory is then
exactly that of :func:`reference_trajectory` (tests/test_bss2_online.py).

The default period, 10 ms: it is tau_ref of salbench's sampling units (SAL's window), so a
weight lags its pairs by at most one window; on the chip it is 10 us of hardware time at the
1000x acceleration, the order of what one processor pass (an ADC read of the synapse rows, the
arithmetic, a weight write) takes, whereas 0.1 ms (one step, 100 ns of hardware) could not be
run; and the sums read per period stay far below the ADC's full scale (about 41 units of K),
so readings do not clip, which 3 s epochs do (25 % of the readings in the 50 -> 50 feedback
setting).  The emulator's cost is one engine stop per period: 50 LIF units with Poisson
background and 2450 plastic synapses, 2 s on bss2: 0.09 s static, 0.27 s online at 10 ms,
1.35 s online at 1 ms, 0.36 s for the host loop reading and writing every 10 ms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from salbench.plasticity.params import SALSynapseParams
from salbench.simulators.bss2.kernel.processor import SynapseAccess, Timer
from salbench.simulators.bss2.plastic import PlasticityRule

__all__ = ["DEFAULT_PERIOD_MS", "SALProcessorRule", "reference_trajectory", "sal_synapse"]

#: the processor's default update period (ms), see the module docstring
DEFAULT_PERIOD_MS = 10.0
#: the windows the chip's sensors measure
WINDOWS = ("exponential",)


class SALProcessorRule(PlasticityRule):
    """SAL as a program of the chip's plasticity processor (see the module docstring)."""

    synapse_parameters: ClassVar[dict[str, float]] = {"a_causal": 1.0, "a_acausal": 1.0}

    def __init__(self, timer: Timer, *, eta: float, tau: float, w_min: float | None,
                 w_max: float | None, observables: Sequence[str] = ()) -> None:
        super().__init__(timer, observables)
        self.eta = float(eta)
        self.tau = float(tau)
        # None: the end of the weight range of the projection (6-bit, its sign)
        self.w_min = None if w_min is None else float(w_min)
        self.w_max = None if w_max is None else float(w_max)

    def bounds(self, weight_range: tuple[float, float]) -> tuple[float, float]:
        """[w_min, w_max] on a projection whose weights lie in ``weight_range``."""
        return (weight_range[0] if self.w_min is None else self.w_min,
                weight_range[1] if self.w_max is None else self.w_max)

    def check_projection(self, projection: Any) -> None:
        """The chip's sensors must measure SAL's window, and [w_min, w_max] must be weights
        this projection can hold."""
        taus = np.unique(projection.sensor_tau_ms())
        if taus.size and np.any(np.abs(taus - self.tau) > 1e-9 * self.tau):
            raise ValueError(
                f"bss2 sal_synapse: tau={self.tau:g} ms, but the correlation sensors of "
                f"{projection.label_text!r} have tau {sorted(taus.tolist())} ms (the hardware "
                "setting sensor_tau_ms, or 'tau_refrac': the post neuron's tau_refrac); give "
                "tau equal to it or change the setting")
        low, high = projection.weight_range
        unit = "uS" if projection.conductance_based else "nA"
        w_min, w_max = self.bounds((low, high))
        bad = [f"{name}={value:g}" for name, value in (("w_min", w_min), ("w_max", w_max))
               if not low - 1e-12 <= value <= high + 1e-12]
        if bad:
            raise ValueError(
                f"bss2 sal_synapse: {', '.join(bad)} {unit} outside what "
                f"{projection.label_text!r} can hold, [{low:g}, {high:g}] {unit} (6-bit "
                "weights, sign fixed by the receptor type)")

    def kernel(self, access: SynapseAccess) -> Mapping[str, ArrayLike]:
        causal, acausal = access.read_correlations()
        p = access.params
        w_min, w_max = self.bounds(access.weight_range)
        wanted = access.weights() + self.eta * (p["a_acausal"] * acausal
                                                - p["a_causal"] * causal)
        held = access.write_weights(np.clip(wanted, w_min, w_max), w_min, w_max)
        return {"weight": held, "causal": causal, "acausal": acausal}


def _scalar_or_array(name: str, value: Any) -> None:
    """Amplitudes: a non-negative number, array, or a PyNN random distribution."""
    if hasattr(value, "next"):            # pyNN.random.RandomDistribution: drawn per synapse
        return
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"bss2 sal_synapse: unsupported {name}={value!r}: amplitudes are "
                         "finite and >= 0")


def sal_synapse(sim: ModuleType, *, weight: Any = 0.0, delay: float | None = None,
                tau: float = SALSynapseParams().tau, eta: float = SALSynapseParams().eta,
                a_causal: Any = 1.0, a_acausal: Any = 1.0, w_min: float | None = None,
                w_max: float | None = None, window: str = "exponential",
                period: float = DEFAULT_PERIOD_MS, start: float | None = None,
                num_periods: int | None = None, observables: Sequence[str] = (),
                **unknown: Any) -> Any:
    """A SAL synapse type of the bss2 emulation (``sim`` = salbench.simulators.bss2).

    ``weight`` (uS for conductance cells), ``delay`` (ms; None: the chip's one delay, the only
    one it has), ``tau`` (ms, must equal the sensors' time constant), ``eta`` (uS per unit of
    K), ``a_causal``/``a_acausal`` (scalars, arrays or RandomDistributions: per synapse),
    ``w_min``/``w_max`` (uS; None: the ends of the projection's 6-bit range), ``window``
    (``exponential``); the processor's ``period`` (ms), first execution ``start`` (default:
    one period) and ``num_periods`` (None: every period until reset); ``observables`` (of "weight",
    "causal", "acausal") are recorded at every execution (``rule.get_data()``).
    """
    if unknown:
        raise ValueError(f"bss2 sal_synapse: unknown parameters {sorted(unknown)}")
    if window not in WINDOWS:
        raise ValueError(f"bss2 sal_synapse: unsupported window={window!r}: the chip's "
                         f"correlation sensors measure {list(WINDOWS)} only")
    bad = [f"{name}={value!r}" for name, value, ok in (
        ("tau", tau, math.isfinite(tau) and tau > 0),
        ("eta", eta, math.isfinite(eta) and eta >= 0),
        ("period", period, math.isfinite(period) and period > 0))
        if not ok]
    if bad:
        raise ValueError(f"bss2 sal_synapse: unsupported {', '.join(bad)} (tau and period "
                         "> 0, eta >= 0)")
    for name, value in (("a_causal", a_causal), ("a_acausal", a_acausal)):
        _scalar_or_array(name, value)
    for name, value in (("w_min", w_min), ("w_max", w_max)):
        if value is not None and not math.isfinite(value):
            raise ValueError(f"bss2 sal_synapse: unsupported {name}={value!r}")
    if w_min is not None and w_max is not None and not w_min <= w_max:
        raise ValueError(f"bss2 sal_synapse: unsupported w_min={w_min:g} > w_max={w_max:g}")
    if np.ndim(weight) == 0 and not hasattr(weight, "next") and (
            (w_min is not None and float(weight) < w_min)
            or (w_max is not None and float(weight) > w_max)):
        raise ValueError(f"bss2 sal_synapse: weight={float(weight):g} outside "
                         f"[w_min, w_max] = [{w_min}, {w_max}]")
    unknown_obs = sorted(set(observables) - {"weight", "causal", "acausal"})
    if unknown_obs:
        raise ValueError(f"bss2 sal_synapse: unknown observables {unknown_obs}")
    timer = sim.Timer(start=period if start is None else start, period=period,
                      num_periods=num_periods)
    rule = SALProcessorRule(timer, eta=eta, tau=tau, w_min=w_min, w_max=w_max,
                            observables=observables)
    return sim.PlasticSynapse(plasticity_rule=rule, weight=weight, delay=delay,
                              a_causal=a_causal, a_acausal=a_acausal)


def reference_trajectory(pre: ArrayLike, post: ArrayLike, *, dt: float, w0: float, eta: float,
                         tau: float, a_causal: float, a_acausal: float, w_min: float,
                         w_max: float, start_step: int, period_step: int, n_executions: int,
                         lsb: float | None = None) -> np.ndarray:
    """The chip's SAL for one synapse from its spike steps, event by event: the weights after
    each of ``n_executions`` processor executions (exact sensors, no ADC, no quantisation).

    ``pre`` and ``post`` are spike *steps* (time / dt on the grid).  Each spike, in time
    order, pairs with the partner's last spike if that came strictly earlier and after the
    spike's own previous one, adding exp(-(steps apart) * dt / tau) to its sensor (the
    engine's arithmetic, so that the sums are bit-equal); execution k at step
    start_step + k * period_step holds the pairs whose later spike has a step below it.
    With ``lsb`` the written weight is rounded to nearest on that grid (``quantise_weights``
    with ``processor_rounding = "nearest"``), as the processor does (for w_min >= 0)."""
    pre_s = np.unique(np.asarray(pre, dtype=np.int64))
    post_s = np.unique(np.asarray(post, dtype=np.int64))
    itau = 1.0 / tau
    events = sorted([(int(s), 0) for s in pre_s] + [(int(s), 1) for s in post_s])
    last = {0: -1, 1: -1}
    boundaries = [start_step + k * period_step for k in range(n_executions)]
    w = float(w0)
    out = np.empty(n_executions)
    causal = acausal = 0.0
    e = 0
    for k, boundary in enumerate(boundaries):
        while e < len(events) and events[e][0] < boundary:
            # all spikes of one step first see the last spikes *before* the step
            step = events[e][0]
            same = [kind for s, kind in events[e:] if s == step]
            for kind in same:
                own, partner = last[kind], last[1 - kind]
                if partner >= 0 and partner > own:
                    value = math.exp(-(step - partner) * dt * itau)
                    if kind == 1:           # post spike after pre: causal
                        causal += value
                    else:
                        acausal += value
            for kind in same:
                last[kind] = step
            e += len(same)
        w = min(max(w + eta * (a_acausal * acausal - a_causal * causal), w_min), w_max)
        if lsb is not None:
            code = min(max(float(np.rint(w / lsb)), math.ceil(w_min / lsb - 1e-9)),
                       math.floor(w_max / lsb + 1e-9))
            w = code * lsb
        causal = acausal = 0.0
        out[k] = w
    return out
