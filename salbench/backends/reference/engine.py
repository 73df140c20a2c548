"""The paper's abstract discrete-time sampling neuron (Buesing et al. 2011), exact and fast.

This is the engine of the ``reference`` backend: no PyNN, no simulator, a numba kernel.

Model (one time step = ``dt_ms``; all model times are integer numbers of steps)
-------------------------------------------------------------------------------
* spike probability of a non-refractory unit in step t: ``logistic(u_i(t) - ln t_ref)``;
* absolute refractoriness of ``t_ref`` steps;
* rectangular PSP; ``u_i(t) = b_i + sum_j W[i, j] * PSP_j(t)``, ``W[post, pre]``;
* state ``z_i = 1`` for ``t_ref`` steps after a spike.

Timing conventions
------------------
Two conventions, chosen with ``timing=``; they differ by one step in two places and agree
on everything else.

``timing="authors"`` (default) reproduces the SAL authors' code step by step
(github.com/unibe-cns/sal-code at d1c07c0; ``network.py`` =
spiking_sampling_network/src/neuralsampling/network.py, ``utils.py`` likewise):

1. Synchronous update.  In step t the membrane potentials of *all* units are computed from
   the spikes of steps < t (``sim_poisson_neurons``, network.py l. 77-80: ``calc_inst_rate``
   once per step, before any unit fires); a spike emitted in step t reaches the other units
   from step t+1 on.  p = logistic(u - ln t_ref), t_ref in steps (network.py l. 33-34, 60).
2. PSP.  ``rect_kernel(x) = H(x) * H(tau_syn - x)`` with ``H(x) = 1 iff x > 0`` (network.py
   l. 37-47), evaluated at ``x = t - t_spike`` (l. 57): a spike in step s adds ``W[i, j]``
   to ``u_i`` in steps s+1 ... s+tau_syn-1, i.e. for **tau_syn - 1 steps**.  The authors
   use tau_syn = t_ref (scripts/ssn/minimal_working_example.yaml; scripts/sal_principle/
   ppd.ipynb passes t_ref twice).  PSPs of successive spikes of one unit add up (the kernel
   is summed over the last 10 spikes, l. 57/75); they overlap only if tau_syn > t_ref + 2.
3. Refractoriness.  A unit may fire in step t only if ``t_last < t - t_ref`` (network.py
   l. 86): silent in steps s+1 ... s+t_ref after a spike in step s, minimal inter-spike
   interval **t_ref + 1** steps.  Random numbers are drawn for every unit in every step,
   refractory or not (l. 82).
4. State.  ``z_i(t) = 1 iff 1 <= t - t_last <= t_ref`` for the state sampled at the start of
   step t (utils.py ``get_states_from_spikes`` l. 58-90: a spike enters the state at sample
   times strictly after it and leaves at sample times strictly after t_spike + t_ref).  The
   authors sample at times 0, t_ref/2, ... of a phase (network.py l. 133-136).
   Consequence: an isolated unit has p(z=1) = t_ref / (t_ref + 1 + t_ref e^-b), i.e.
   logistic(b) only up to O(1/t_ref) (0.490 instead of 0.5 at b = 0, t_ref = 25).

``timing="buesing"`` is Buesing et al. (2011)'s discrete-time sampler (a spike in step s sets
the refractory counter to t_ref; z = 1 while the counter is >= 1; u(t) is computed from the
states z(t-1)).  Rules 1 and 4 as above; rule 2: the PSP lasts the full tau_syn steps
s+1 ... s+tau_syn (so PSP_j(t) = z_j(t) when tau_syn = t_ref); rule 3: minimal
inter-spike interval **t_ref** (a unit whose state is in its last refractory step may fire
again).  An isolated unit then has p(z=1) = logistic(b) exactly.

Common to both: random numbers come from a seeded ``numpy.random.Generator`` (PCG64), one
uniform per unit per step in unit order, drawn in blocks; a spike in step t is reported at
``t * dt_ms``; steps count from 0 at construction and keep counting across calls (the
authors restart at 0 per phase); ``sample_states`` samples at steps t0, t0 + every, ... of
the call, before that step's draws.

All state (last spike steps, step counter, RNG) carries across calls, so ``run(a); run(b)``
gives bit-for-bit the spikes of ``run(a + b)``.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["DiscreteSamplingNetwork"]

# "never spiked": far enough in the past for every window, far from int64 overflow
_NEVER = np.int64(-(2**62))
# steps per block of pre-drawn uniforms (the block holds about this many numbers)
_BLOCK_NUMBERS = 1 << 18


@numba.njit(cache=True, nogil=True)
def _simulate_block(
    t_start: np.int64,
    n_steps: np.int64,
    weights: NDArray[np.float64],
    biases: NDArray[np.float64],
    log_t_ref: float,
    t_ref: np.int64,
    min_isi: np.int64,
    psp_max: np.int64,
    last_spikes: NDArray[np.int64],
    newest: NDArray[np.int64],
    uniforms: NDArray[np.float64],
    spike_steps: NDArray[np.int64],
    spike_units: NDArray[np.int64],
    sample_origin: np.int64,
    sample_every: np.int64,
    samples: NDArray[np.uint8],
    sal: NDArray[np.float64],
    sal_causal: NDArray[np.float64],
    sal_acausal: NDArray[np.float64],
    sal_plastic: NDArray[np.bool_],
    sal_last: NDArray[np.int64],
    sal_before: NDArray[np.int64],
    fired: NDArray[np.int64],
) -> tuple[int, int]:
    """Advance n_steps from global step t_start; return (n_spikes, n_samples).

    last_spikes (n, k) is a ring buffer of the last k spike steps of each unit, newest[i] the
    index of the newest entry; both are updated in place.  uniforms is (n_steps, n).
    Spikes are written in time order to spike_steps / spike_units.  If sample_every > 0 the
    state z is written to samples at every step t with (t - sample_origin) % sample_every == 0.

    Online SAL (``sal[0] > 0``; sal = [eta, dt / tau, w_min, w_max]): after each step's
    synchronous update (so that the step's potentials never see its own learning), each
    spike of the step is paired in unit order by :func:`_sal_spike`, and ``weights`` change
    in place.
    """
    n = biases.shape[0]
    k = last_spikes.shape[1]
    psp = np.zeros(n, dtype=np.int64)
    active = np.empty(n, dtype=np.int64)
    n_spk = 0
    n_smp = 0
    online = sal[0] > 0.0
    for step in range(n_steps):
        n_fired = 0
        t = t_start + step
        # rule 4: state at the start of step t
        if sample_every > 0 and (t - sample_origin) % sample_every == 0:
            for i in range(n):
                d = t - last_spikes[i, newest[i]]
                samples[n_smp, i] = 1 if (d >= 1 and d <= t_ref) else 0
            n_smp += 1
        # rule 2: PSP counts from spikes of steps < t (active for 1 <= t - s <= psp_max)
        n_act = 0
        for j in range(n):
            c = 0
            for m in range(k):
                d = t - last_spikes[j, m]
                if d >= 1 and d <= psp_max:
                    c += 1
            if c > 0:
                psp[n_act] = c
                active[n_act] = j
                n_act += 1
        # rules 1, 3: synchronous update; only non-refractory units can fire
        for i in range(n):
            if t - last_spikes[i, newest[i]] < min_isi:
                continue
            u = biases[i]
            for a in range(n_act):
                u += weights[i, active[a]] * psp[a]
            p = 1.0 / (1.0 + math.exp(-(u - log_t_ref)))
            if uniforms[step, i] < p:
                spike_steps[n_spk] = t
                spike_units[n_spk] = i
                n_spk += 1
                # safe to register at once: the PSPs of step t are already fixed (rule 1)
                h = newest[i] + 1
                if h == k:
                    h = 0
                newest[i] = h
                last_spikes[i, h] = t
                fired[n_fired] = i
                n_fired += 1
        if online:
            for f in range(n_fired):
                _sal_spike(t, fired[f], weights, sal, sal_causal, sal_acausal, sal_plastic,
                           sal_last, sal_before)
    return n_spk, n_smp


@numba.njit(cache=True, nogil=True)
def _sal_spike(
    t: np.int64,
    i: np.int64,
    weights: NDArray[np.float64],
    sal: NDArray[np.float64],
    a_causal: NDArray[np.float64],
    a_acausal: NDArray[np.float64],
    plastic: NDArray[np.bool_],
    last: NDArray[np.int64],
    before: NDArray[np.int64],
) -> None:
    """SAL's weight changes from unit i's spike in step t, at once (design.md 1.1).

    The same pairs as the host rule (salbench.rules.pairing, nearest): the spike pairs with
    every other unit j's last spike s before t if s came after i's own previous spike; then
    W[i, j] (pre j before post i: causal lobe) changes by -eta·a_causal·K(t - s) and W[j, i]
    (post j before pre i: acausal lobe) by +eta·a_acausal·K(t - s), K(s) = exp(-s·dt/tau).
    A unit j that fired in the same step and was paired first is a tie: K(0)/2 both ways
    (both lobes of both synapses), and j's spike before t is paired as above.
    Each change is clipped to [w_min, w_max] as it happens.
    """
    eta, dt_over_tau, w_min, w_max = sal[0], sal[1], sal[2], sal[3]
    n = weights.shape[0]
    prev_i = last[i]
    for j in range(n):
        if j == i:
            continue
        s = last[j]
        if s == t:
            # tie: half of K(0) = 1 for each lobe of each synapse
            for post, pre in ((i, j), (j, i)):
                if plastic[post, pre]:
                    w = weights[post, pre] + eta * 0.5 * (a_acausal[post, pre]
                                                          - a_causal[post, pre])
                    weights[post, pre] = min(max(w, w_min), w_max)
            s = before[j]
        if s > prev_i:
            k = math.exp(-(t - s) * dt_over_tau)
            if plastic[i, j]:
                w = weights[i, j] - eta * a_causal[i, j] * k
                weights[i, j] = min(max(w, w_min), w_max)
            if plastic[j, i]:
                w = weights[j, i] + eta * a_acausal[j, i] * k
                weights[j, i] = min(max(w, w_min), w_max)
    before[i] = last[i]
    last[i] = t


class DiscreteSamplingNetwork:
    """A network of discrete-time stochastic sampling units (conventions: module docstring).

    Parameters
    ----------
    weights : (n, n) array, W[post, pre], abstract units (added to u for the PSP duration).
    biases : (n,) array, abstract units.
    t_ref_steps : refractory period and state duration, in steps.
    dt_ms : length of one step in ms (only used to convert times).
    seed : seed of the numpy PCG64 generator; same seed, same calls -> identical output.
    tau_syn_steps : PSP parameter tau_syn in steps, default t_ref_steps.  The PSP lasts
        tau_syn - 1 steps with timing="authors" and tau_syn steps with timing="buesing".
    timing : "authors" (default; the SAL authors' code) or "buesing" (Buesing et al. 2011).
    """

    def __init__(
        self,
        weights: np.ndarray,
        biases: np.ndarray,
        *,
        t_ref_steps: int,
        dt_ms: float,
        seed: int,
        tau_syn_steps: int | None = None,
        timing: str = "authors",
    ) -> None:
        b = np.ascontiguousarray(biases, dtype=np.float64).copy()
        if b.ndim != 1 or b.shape[0] < 1:
            raise ValueError(f"biases must be a non-empty 1-d array, got shape {b.shape}")
        self._n = int(b.shape[0])
        if int(t_ref_steps) != t_ref_steps or t_ref_steps < 1:
            raise ValueError(f"t_ref_steps must be a positive integer, got {t_ref_steps!r}")
        if tau_syn_steps is None:
            tau_syn_steps = t_ref_steps
        if int(tau_syn_steps) != tau_syn_steps or tau_syn_steps < 1:
            raise ValueError(f"tau_syn_steps must be a positive integer, got {tau_syn_steps!r}")
        if not dt_ms > 0:
            raise ValueError(f"dt_ms must be positive, got {dt_ms!r}")
        self._t_ref = int(t_ref_steps)
        self._tau_syn = int(tau_syn_steps)
        if timing == "authors":
            self._min_isi, self._psp_max = self._t_ref + 1, self._tau_syn - 1
        elif timing == "buesing":
            self._min_isi, self._psp_max = self._t_ref, self._tau_syn
        else:
            raise ValueError(f"timing must be 'authors' or 'buesing', got {timing!r}")
        self._timing = timing
        self._dt = float(dt_ms)
        self._biases = b
        self._weights = np.zeros((self._n, self._n))
        self.set_weights(weights)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        # how many spikes of one unit can overlap in a PSP window (min ISI t_ref + 1)
        k = max(1, (self._psp_max - 1) // self._min_isi + 1)
        self._last = np.full((self._n, k), _NEVER, dtype=np.int64)
        self._newest = np.zeros(self._n, dtype=np.int64)
        self._step = 0
        self.stop_online_sal()

    # -- parameters ----------------------------------------------------------------------
    @property
    def n_units(self) -> int:
        return self._n

    @property
    def t_ref_steps(self) -> int:
        return self._t_ref

    @property
    def tau_syn_steps(self) -> int:
        return self._tau_syn

    @property
    def timing(self) -> str:
        return self._timing

    @property
    def dt_ms(self) -> float:
        return self._dt

    @property
    def step(self) -> int:
        """Number of steps simulated so far (the index of the next step)."""
        return self._step

    @property
    def t_ms(self) -> float:
        return self._step * self._dt

    def set_weights(self, weights: np.ndarray) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (self._n, self._n):
            raise ValueError(f"weights must have shape {(self._n, self._n)}, got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("weights must be finite")
        self._weights = np.ascontiguousarray(w).copy()

    def get_weights(self) -> np.ndarray:
        return self._weights.copy()

    def set_biases(self, biases: np.ndarray) -> None:
        b = np.asarray(biases, dtype=np.float64)
        if b.shape != (self._n,):
            raise ValueError(f"biases must have shape {(self._n,)}, got {b.shape}")
        if not np.all(np.isfinite(b)):
            raise ValueError("biases must be finite")
        self._biases = np.ascontiguousarray(b).copy()

    def get_biases(self) -> np.ndarray:
        return self._biases.copy()

    # -- online plasticity ---------------------------------------------------------------
    def start_online_sal(self, *, eta: float, tau_ms: float, plastic: np.ndarray,
                         a_causal: np.ndarray | float = 1.0,
                         a_acausal: np.ndarray | float = 1.0,
                         w_min: float = -np.inf, w_max: float = np.inf) -> None:
        """Learn by SAL during the run, at each spike (see :func:`_sal_spike`): `eta` is the
        weight change per unit of K, `plastic[post, pre]` says which weights learn, the
        amplitudes are scalars or (n, n) matrices indexed like W. Calling it again changes
        the parameters and keeps the pairing state (spikes before now still pair)."""
        n = self._n
        if not (eta > 0 and np.isfinite(eta)):
            raise ValueError(f"eta must be positive and finite, got {eta!r}")
        if not tau_ms > 0:
            raise ValueError(f"tau_ms must be positive, got {tau_ms!r}")
        if not w_min <= w_max:
            raise ValueError(f"need w_min <= w_max, got {w_min!r} > {w_max!r}")
        self._sal = np.array([eta, self._dt / tau_ms, w_min, w_max], dtype=np.float64)
        self._sal_plastic = np.ascontiguousarray(np.broadcast_to(plastic, (n, n)), dtype=np.bool_)
        self._sal_causal = np.ascontiguousarray(np.broadcast_to(a_causal, (n, n)), np.float64)
        self._sal_acausal = np.ascontiguousarray(np.broadcast_to(a_acausal, (n, n)), np.float64)

    def stop_online_sal(self) -> None:
        """Stop learning; the pairing state (every unit's last two spikes) is kept."""
        n = self._n
        self._sal = np.zeros(4)
        self._sal_plastic = np.zeros((n, n), dtype=np.bool_)
        self._sal_causal = np.zeros((n, n))
        self._sal_acausal = np.zeros((n, n))
        if not hasattr(self, "_sal_last"):
            self._sal_last = np.full(n, _NEVER, dtype=np.int64)
            self._sal_before = np.full(n, _NEVER, dtype=np.int64)

    @property
    def online_sal(self) -> bool:
        return bool(self._sal[0] > 0)

    # -- simulation ----------------------------------------------------------------------
    def _n_steps(self, duration_ms: float) -> int:
        n = round(duration_ms / self._dt)
        if n < 0:
            raise ValueError(f"duration_ms must be >= 0, got {duration_ms!r}")
        return int(n)

    def _advance(self, n_steps: int, every_steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Simulate n_steps; return (spike steps, spike units, states) of this interval."""
        n = self._n
        block = max(1, _BLOCK_NUMBERS // n)
        max_spk_block = n * (min(block, n_steps) // self._min_isi + 1)
        origin = self._step
        n_smp_total = 0 if every_steps <= 0 else -(-n_steps // every_steps)
        samples = np.zeros((n_smp_total, n), dtype=np.uint8)
        smp_buf = np.zeros((0 if every_steps <= 0 else -(-block // every_steps) + 1, n), np.uint8)
        steps_out, units_out = [], []
        done = 0
        n_smp = 0
        log_t_ref = math.log(self._t_ref)
        fired = np.empty(n, dtype=np.int64)
        while done < n_steps:
            m = min(block, n_steps - done)
            uniforms = self._rng.random((m, n))
            spk_steps = np.empty(max_spk_block, dtype=np.int64)
            spk_units = np.empty(max_spk_block, dtype=np.int64)
            n_spk, k = _simulate_block(
                np.int64(self._step), np.int64(m), self._weights, self._biases, log_t_ref,
                np.int64(self._t_ref), np.int64(self._min_isi), np.int64(self._psp_max),
                self._last, self._newest,
                uniforms, spk_steps, spk_units, np.int64(origin), np.int64(max(every_steps, 0)),
                smp_buf, self._sal, self._sal_causal, self._sal_acausal, self._sal_plastic,
                self._sal_last, self._sal_before, fired,
            )  # fmt: skip
            steps_out.append(spk_steps[:n_spk])
            units_out.append(spk_units[:n_spk])
            if k:
                samples[n_smp : n_smp + k] = smp_buf[:k]
                n_smp += k
            self._step += m
            done += m
        assert n_smp == n_smp_total
        if steps_out:
            return np.concatenate(steps_out), np.concatenate(units_out), samples
        return np.empty(0, np.int64), np.empty(0, np.int64), samples

    def _split(self, steps: np.ndarray, units: np.ndarray) -> list[np.ndarray]:
        order = np.argsort(units, kind="stable")  # time order is kept within each unit
        counts = np.bincount(units, minlength=self._n)
        times = steps[order].astype(np.float64) * self._dt
        return np.split(times, np.cumsum(counts)[:-1])

    def run(self, duration_ms: float) -> list[np.ndarray]:
        """Advance round(duration_ms / dt_ms) steps; return the absolute spike times (ms) of
        each unit in this interval, one sorted float64 array per unit."""
        steps, units, _ = self._advance(self._n_steps(duration_ms), 0)
        return self._split(steps, units)

    def run_with_states(
        self, duration_ms: float, every_steps: int
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Like ``run``, and also return the states z sampled every `every_steps` steps
        (first sample at the current step, before its draws), shape (n_samples, n), uint8."""
        if int(every_steps) != every_steps or every_steps < 1:
            raise ValueError(f"every_steps must be a positive integer, got {every_steps!r}")
        steps, units, samples = self._advance(self._n_steps(duration_ms), int(every_steps))
        return self._split(steps, units), samples

    def sample_states(self, duration_ms: float, every_steps: int) -> np.ndarray:
        """Run and return the binary states z sampled every `every_steps` steps,
        shape (n_samples, n), dtype uint8 (for D_KL validation)."""
        return self.run_with_states(duration_ms, every_steps)[1]
