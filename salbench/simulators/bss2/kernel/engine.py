"""Clock-driven integrator of the emulated chip, vectorised over the whole network (numba).

Time grid and event semantics (chosen to match NEST with the minimal delay of one step):

* a spike carries the *stamp* j (time j*h): neurons that cross threshold during step
  (t_{j-1}, t_j] get stamp j; spike sources emit at their grid time;
* spikes with stamp j are added to the synaptic conductances/currents at the end of step
  (t_{j+D-1}, t_{j+D}], i.e. they act from t_{j+D} on, D = the chip's delay in steps (D = 1:
  "no synaptic delay", the next step, as NEST with the minimal delay; D > 1 as NEST with
  delay D*h); increments in flight wait in a ring buffer of D slots per neuron;
* the membrane is integrated over each step with the synaptic variables decaying exactly:
  IF_curr_exp with the exact propagator (as NEST's iaf_psc_exp), IF_cond_exp with classical RK4
  on the exact conductance time course (sub-stepped when the total conductance is large);
* after a spike the membrane is clamped to v_reset for round(tau_refrac/h) steps;
* on-chip Poisson sources draw exact Poisson counts per step (exponential inter-event times
  from a counter-based generator, so a long run equals the same time in chunks);
* correlation sensors (see ../plasticity.py) are updated at every spike stamp with nearest-
  neighbour pairing, strictly earlier partner spikes only.

The network and its state come in as the named records of records.py (packed by chip.py).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from ..portable import libm_exp
from .records import (
    Neurons,
    NeuronState,
    PoissonSources,
    Recording,
    Sensors,
    SpikeArrays,
    Synapses,
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def _next_u64(rng: NDArray[np.uint64]) -> np.uint64:
    rng[0] += _GOLDEN
    z = rng[0]
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _uniform(rng: NDArray[np.uint64]) -> float:
    """Uniform in (0, 1)."""
    return (float(_next_u64(rng) >> _S11) + 0.5) * _INV53


@njit(cache=True, inline="always")
def _exponential(rng: NDArray[np.uint64]) -> float:
    return -math.log(_uniform(rng))


@njit(cache=True, inline="always")
def _normal(rng: NDArray[np.uint64]) -> float:
    u1 = _uniform(rng)
    u2 = _uniform(rng)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, inline="always")
def _dv_cond(v: float, g_leak: float, e_leak: float, ge: float, e_exc: float, gi: float,
             e_inh: float, i_off: float, inv_cm: float) -> float:
    return (g_leak * (e_leak - v) + ge * (e_exc - v) + gi * (e_inh - v) + i_off) * inv_cm


@njit(cache=True)
def advance(n_steps: int, step0: int, h: float, neurons: Neurons, state: NeuronState,
            poisson: PoissonSources, arrays: SpikeArrays, synapses: Synapses, sensors: Sensors,
            recording: Recording, rng: NDArray[np.uint64]
            ) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
    """Integrate steps step0 .. step0 + n_steps - 1 (records: see :mod:`.records`).

    Updates ``state``, the sources' positions, ``sensors`` and ``recording.buf`` in place and
    draws from ``rng`` (uint64[1], the counter-based generator's state).  Returns the spike
    buffers (``recording``'s, or larger ones if they filled) and the number of spikes in them.
    """
    v, ge, gi, refr = state.v, state.ge, state.gi, state.refr
    pend_node, pend_n = state.pend_node, state.pend_n
    node_neuron, neuron_node = synapses.node_neuron, neurons.node
    out_ptr, out_post, out_w, out_rec = (synapses.out_ptr, synapses.out_post, synapses.out_w,
                                         synapses.out_rec)
    last_spike = sensors.last_spike
    node_rec = recording.node_rec
    spk_node, spk_step = recording.spike_node, recording.spike_step
    n_spk = 0
    n_neurons = v.shape[0]
    n_nodes = node_neuron.shape[0]
    cur_node = np.empty(n_nodes, np.int64)
    cur_cnt = np.empty(n_nodes, np.int64)
    n_sample = 0
    n_rec_cols = recording.slot.shape[0]
    sensors_on = sensors.causal.shape[0] > 0
    for j in range(step0, step0 + n_steps):
        t_j = j * h
        # ---- spikes with stamp j: neurons (previous step) and sources ---------------------
        n_cur = 0
        for k in range(pend_n[0]):
            cur_node[n_cur] = pend_node[k]
            cur_cnt[n_cur] = 1
            n_cur += 1
        pend_n[0] = 0
        for k in range(poisson.node.shape[0]):
            rate = poisson.rate[k]
            if rate <= 0.0:
                continue
            if poisson.next_t[k] < 0.0:
                base = max(poisson.start[k], t_j - h)
                poisson.next_t[k] = base + _exponential(rng) / rate
            cnt = 0
            while poisson.next_t[k] <= t_j + 1e-9:
                if poisson.next_t[k] > poisson.stop[k] + 1e-9:
                    poisson.next_t[k] = np.inf
                    break
                cnt += 1
                poisson.next_t[k] += _exponential(rng) / rate
            if cnt > 0:
                cur_node[n_cur] = poisson.node[k]
                cur_cnt[n_cur] = cnt
                n_cur += 1
        for k in range(arrays.node.shape[0]):
            pos = arrays.pos[k]
            end = arrays.ptr[k + 1]
            while pos < end and arrays.steps[pos] < j:
                pos += 1
            cnt = 0
            while pos < end and arrays.steps[pos] == j:
                pos += 1
                cnt += 1
            arrays.pos[k] = pos
            if cnt > 0:
                cur_node[n_cur] = arrays.node[k]
                cur_cnt[n_cur] = cnt
                n_cur += 1
        # ---- correlation sensors (nearest-neighbour, strictly earlier partners) ------------
        if sensors_on:
            for k in range(n_cur):
                p = cur_node[k]
                own_last = last_spike[p]
                i = node_neuron[p]
                if i >= 0:
                    for e in range(synapses.in_ptr[i], synapses.in_ptr[i + 1]):
                        lq = last_spike[synapses.in_pre[e]]
                        if lq >= 0 and lq > own_last:
                            s = synapses.in_syn[e]
                            sensors.causal[s] += sensors.c_amp[s] * math.exp(
                                -(j - lq) * h * sensors.c_itau[s])
                for e in range(out_ptr[p], out_ptr[p + 1]):
                    lq = last_spike[neuron_node[out_post[e]]]
                    if lq >= 0 and lq > own_last:
                        s = synapses.out_syn[e]
                        sensors.acausal[s] += sensors.a_amp[s] * math.exp(
                            -(j - lq) * h * sensors.a_itau[s])
        for k in range(n_cur):
            p = cur_node[k]
            last_spike[p] = j
            if node_rec[p]:
                c = cur_cnt[k]
                if n_spk + c > spk_node.shape[0]:
                    size = 2 * spk_node.shape[0] + c + 1024
                    new_node = np.empty(size, np.int64)
                    new_step = np.empty(size, np.int64)
                    new_node[:n_spk] = spk_node[:n_spk]
                    new_step[:n_spk] = spk_step[:n_spk]
                    spk_node = new_node
                    spk_step = new_step
                for _ in range(c):
                    spk_node[n_spk] = p
                    spk_step[n_spk] = j
                    n_spk += 1
        # ---- analog recording: state at t_j, before the update ------------------------------
        if n_rec_cols > 0 and j % recording.every == 0:
            for c in range(n_rec_cols):
                i = recording.slot[c]
                var = recording.var[c]
                if var == 0:
                    recording.buf[n_sample, c] = v[i]
                elif var == 1:
                    recording.buf[n_sample, c] = ge[i]
                else:
                    recording.buf[n_sample, c] = gi[i]
            n_sample += 1
        # ---- membrane update over (t_j, t_{j+1}] --------------------------------------------
        for i in range(n_neurons):
            if refr[i] > 0:
                refr[i] -= 1
                v[i] = neurons.v_reset[i]
            else:
                if neurons.is_cond[i]:
                    v[i] = _cond_step(v[i], ge[i], gi[i], h, neurons, i)
                else:
                    v[i] = (neurons.e_leak[i] + neurons.p22[i] * (v[i] - neurons.e_leak[i])
                            + neurons.p21e[i] * ge[i] + neurons.p21i[i] * gi[i]
                            + neurons.p20[i] * neurons.i_off[i])
                if neurons.noise_amp[i] > 0.0:
                    v[i] += neurons.noise_amp[i] * _normal(rng)
                if v[i] >= neurons.v_th[i]:
                    pend_node[pend_n[0]] = neuron_node[i]
                    pend_n[0] += 1
                    refr[i] = neurons.ref_steps[i]
                    v[i] = neurons.v_reset[i]
            ge[i] *= neurons.de_full[i]
            gi[i] *= neurons.di_full[i]
        # ---- deliver stamp-j spikes: D = 1 at once (they act from t_{j+1}); D > 1 into ring
        # slot j % D, and slot (j + 1) % D, filled D - 1 steps ago, acts from t_{j+1} -------
        ring_e, ring_i = state.ring_e, state.ring_i
        n_slots = ring_e.shape[0]
        slot = j % n_slots
        for k in range(n_cur):
            p = cur_node[k]
            c = cur_cnt[k]
            for e in range(out_ptr[p], out_ptr[p + 1]):
                if n_slots == 1:
                    if out_rec[e] == 0:
                        ge[out_post[e]] += c * out_w[e]
                    else:
                        gi[out_post[e]] += c * out_w[e]
                elif out_rec[e] == 0:
                    ring_e[slot, out_post[e]] += c * out_w[e]
                else:
                    ring_i[slot, out_post[e]] += c * out_w[e]
        if n_slots > 1:
            due = (j + 1) % n_slots
            for i in range(n_neurons):
                ge[i] += ring_e[due, i]
                gi[i] += ring_i[due, i]
                ring_e[due, i] = 0.0
                ring_i[due, i] = 0.0
    return spk_node, spk_step, n_spk


@njit(cache=True, inline="always")
def _cond_step(vi: float, g0e: float, g0i: float, h: float, neurons: Neurons, i: int
               ) -> float:
    """v after one step of IF_cond_exp: RK4 on the exactly decaying conductances, sub-stepped
    when the total conductance is large."""
    gl = neurons.g_leak[i]
    inv_cm = neurons.inv_cm[i]
    rate = (gl + g0e + g0i) * inv_cm * h
    nsub = 1
    if rate > 0.5:
        nsub = int(rate / 0.5) + 1
    hs = h / nsub
    if nsub == 1:
        feh, fef = neurons.de_half[i], neurons.de_full[i]
        fih, fif = neurons.di_half[i], neurons.di_full[i]
    else:
        feh = math.exp(-0.5 * hs / neurons.tau_e[i])
        fef = feh * feh
        fih = math.exp(-0.5 * hs / neurons.tau_i[i])
        fif = fih * fih
    e_leak, e_exc, e_inh, i_off = (neurons.e_leak[i], neurons.e_exc[i], neurons.e_inh[i],
                                   neurons.i_off[i])
    for _ in range(nsub):
        k1 = _dv_cond(vi, gl, e_leak, g0e, e_exc, g0i, e_inh, i_off, inv_cm)
        k2 = _dv_cond(vi + 0.5 * hs * k1, gl, e_leak, g0e * feh, e_exc, g0i * fih, e_inh,
                      i_off, inv_cm)
        k3 = _dv_cond(vi + 0.5 * hs * k2, gl, e_leak, g0e * feh, e_exc, g0i * fih, e_inh,
                      i_off, inv_cm)
        k4 = _dv_cond(vi + hs * k3, gl, e_leak, g0e * fef, e_exc, g0i * fif, e_inh, i_off,
                      inv_cm)
        vi += hs / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        g0e *= fef
        g0i *= fif
    return vi


def n_samples_in(step0: int, n_steps: int, every: int) -> int:
    """Number of analog samples (steps divisible by ``every``) in [step0, step0 + n_steps)."""
    first = -(-step0 // every) * every
    last = step0 + n_steps - 1
    return 0 if last < first else (last - first) // every + 1


def psc_propagators(h: float, tau_m: ArrayLike, tau_syn: ArrayLike, cm: ArrayLike
                    ) -> NDArray[np.float64]:
    """Exact propagator P21 of iaf_psc_exp (current -> membrane), safe for tau_m == tau_syn."""
    tau_m = np.asarray(tau_m, float)
    tau_syn = np.asarray(tau_syn, float)
    cm = np.asarray(cm, float)
    diff = tau_m - tau_syn
    close = np.abs(diff) < 1e-9 * tau_m
    safe = np.where(close, 1.0, diff)
    regular = tau_syn * tau_m / (cm * safe) * (libm_exp(-h / tau_m) - libm_exp(-h / tau_syn))
    singular = h / cm * libm_exp(-h / tau_m)
    return np.where(close, singular, regular)
