"""The engine's structured state: named records of arrays, which numba takes as tuples.

Each record is a ``typing.NamedTuple`` of NumPy arrays (and, for ``Recording.every``, one
integer).  numba compiles a function taking them like one taking the arrays one by one (the
fields are unpacked into the same LLVM values) and caches it (``cache=True``), as long as
every field keeps its dtype, dimension and C layout; the builders in :mod:`.chip` make sure of
that.  The price is in the call, not the loop: numba's dispatcher types NamedTuple arguments
more slowly than plain arrays (measured: about 25 us per ``advance`` call for these records,
about 10 us for the same arrays passed one by one), which matters only for runs of a few
steps.  Records are immutable, so a counter the engine updates is a one-element array
(``NeuronState.pend_n``), and the spike buffers it may grow are returned by ``advance``.

Indices: a *node* is any cell (neuron or spike source), numbered in creation order; a *slot*
is a neuron circuit (0 .. number of neurons - 1); a *synapse id* is a synapse's position in
creation order (what the correlation sensors and the per-synapse mismatch are indexed by).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Neurons(NamedTuple):
    """Per slot: the effective parameters (nominal ones with the chip's fixed-pattern noise)
    and what the integrator derives from them; constant during a run."""

    node: np.ndarray        # int64, the node of each slot
    is_cond: np.ndarray     # bool, IF_cond_exp (else IF_curr_exp)
    e_leak: np.ndarray      # mV
    inv_cm: np.ndarray      # 1/nF
    g_leak: np.ndarray      # uS, cm / tau_m
    e_exc: np.ndarray       # mV
    e_inh: np.ndarray       # mV
    i_off: np.ndarray       # nA
    v_th: np.ndarray        # mV
    v_reset: np.ndarray     # mV
    ref_steps: np.ndarray   # int64, refractory clamp in steps
    de_full: np.ndarray     # exp(-h/tau_syn_E)
    de_half: np.ndarray     # exp(-h/(2 tau_syn_E))
    di_full: np.ndarray     # exp(-h/tau_syn_I)
    di_half: np.ndarray     # exp(-h/(2 tau_syn_I))
    tau_e: np.ndarray       # ms
    tau_i: np.ndarray       # ms
    p22: np.ndarray         # exp(-h/tau_m)
    p21e: np.ndarray        # current -> membrane propagators (IF_curr_exp)
    p21i: np.ndarray
    p20: np.ndarray         # offset current -> membrane
    noise_amp: np.ndarray   # mV per step (amp * sqrt(h))


class NeuronState(NamedTuple):
    """Per slot: the dynamic state, carried from one run to the next."""

    v: np.ndarray           # mV
    ge: np.ndarray          # uS (IF_cond_exp) or nA (IF_curr_exp)
    gi: np.ndarray
    refr: np.ndarray        # int64, refractory steps left
    ring_e: np.ndarray      # (delay slots, slots): increments in flight, slot = step % delay
    ring_i: np.ndarray
    pend_node: np.ndarray   # int64, nodes that spiked in the last step (stamp = next step)
    pend_n: np.ndarray      # int64[1], how many


class PoissonSources(NamedTuple):
    """On-chip Poisson sources, in creation order."""

    node: np.ndarray        # int64
    rate: np.ndarray        # per ms
    start: np.ndarray       # ms
    stop: np.ndarray        # ms
    next_t: np.ndarray      # ms, next event (-1: not drawn yet, inf: done)


class SpikeArrays(NamedTuple):
    """Spike-array sources, in creation order: CSR of sorted spike steps."""

    node: np.ndarray        # int64
    ptr: np.ndarray         # int64, len(node) + 1
    steps: np.ndarray       # int64
    pos: np.ndarray         # int64, next unread position of each source


class Synapses(NamedTuple):
    """Connectivity: outgoing CSR by presynaptic node, incoming CSR by postsynaptic slot."""

    node_neuron: np.ndarray  # int64, slot of each node, -1 for sources
    out_ptr: np.ndarray      # int64, n_nodes + 1
    out_post: np.ndarray     # int64, postsynaptic slot
    out_w: np.ndarray        # effective weight (uS or nA, signed)
    out_rec: np.ndarray      # int8, 0 excitatory, 1 inhibitory
    out_syn: np.ndarray      # int64, synapse id
    in_ptr: np.ndarray       # int64, n_slots + 1
    in_pre: np.ndarray       # int64, presynaptic node
    in_syn: np.ndarray       # int64, synapse id


class Sensors(NamedTuple):
    """Correlation sensors per synapse id, and the last spike stamp of every node."""

    causal: np.ndarray
    acausal: np.ndarray
    c_amp: np.ndarray
    c_itau: np.ndarray      # 1/ms
    a_amp: np.ndarray
    a_itau: np.ndarray
    last_spike: np.ndarray  # int64 per node, -1: none yet


class Recording(NamedTuple):
    """What a run records: spikes of flagged nodes, analog columns every ``every`` steps."""

    node_rec: np.ndarray    # bool per node
    spike_node: np.ndarray  # int64 buffer (the engine returns a larger one when it fills)
    spike_step: np.ndarray  # int64 buffer
    slot: np.ndarray        # int64 per analog column
    var: np.ndarray         # int64 per column: 0 v, 1 ge, 2 gi
    every: int              # steps between samples
    buf: np.ndarray         # (samples, columns)
