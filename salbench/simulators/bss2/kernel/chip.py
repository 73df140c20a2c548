"""The emulated chip: the PyNN-free kernel that owns every array of the network.

:class:`Chip` is to the bss2 PyNN backend what NEST's kernel is to ``pyNN.nest``: the PyNN
classes (populations.py, projections.py, recording.py, simulator.py) translate PyNN objects
into calls on it, and it holds the cells' parameters and state, the synapses, the sensors,
the recorded data and the random streams.  Its calls::

    nodes, slots = chip.create_neurons(n, params, conductance_based=True)
    nodes = chip.create_poisson_sources(rate_hz, start_ms, duration_ms)
    nodes = chip.create_spike_arrays(spike_times_ms)
    syn = chip.connect(pre_nodes, post_slots, weights, "excitatory")
    chip.set_neuron_params(slots, tau_m=...); chip.set_weights(syn, w)
    chip.record_spikes(nodes); chip.record_analog(slots, "v", every_steps)
    new = chip.run(n_steps)
    causal, acausal = chip.read_sensors(syn)
    chip.add_program(PlasticityProgram(kernel, Timer(start, period, n), syn, lsb, sign))
    chip.reset()

Numbering (see records.py): *nodes* are all cells in creation order, *slots* the neuron
circuits (they index the frozen fixed-pattern noise), *synapse ids* the synapses in creation
order.  A neuron's parameters are named as PyNN's standard LIF parameters (ms, mV, nF, nA,
uS); weights are the values the chip holds (signed, uS for a conductance-based, nA for a
current-based target), before the frozen per-synapse gain.

The engine's records are packed lazily before a run when the network or a parameter changed
(which also restarts the Poisson sources' next-event draws and the spike arrays' read
positions), or only the weights when just they changed.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ..hardware import HardwareConfig
from ..plasticity import adc_digitise
from ..portable import libm_exp
from . import engine
from .processor import AdcCounts, AdcRead, PlasticityProgram, SynapseAccess, execution_steps
from .records import (
    Neurons,
    NeuronState,
    PoissonSources,
    Recording,
    Sensors,
    SpikeArrays,
    Synapses,
)

#: a neuron's parameters (PyNN's standard names); e_rev_E/e_rev_I only for conductance-based
NEURON_PARAMETERS = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I",
                     "i_offset", "v_reset", "v_thresh", "e_rev_E", "e_rev_I")
_CURRENT_OPTIONAL = ("e_rev_E", "e_rev_I")
POISSON_PARAMETERS = ("rate", "start", "duration")    # Hz, ms, ms
#: a neuron's state variables: membrane potential, excitatory and inhibitory synaptic
#: conductance (uS) or current (nA)
STATE_VARIABLES = ("v", "ge", "gi")
_VAR_CODE = {"v": 0, "ge": 1, "gi": 2}
NEURON, POISSON, ARRAY = 0, 1, 2     # node kinds
RECEPTORS = ("excitatory", "inhibitory")
_FPN_NAMES = ("v_rest", "v_thresh", "v_reset", "e_rev_E", "e_rev_I", "tau_m", "tau_syn_E",
              "tau_syn_I", "tau_refrac", "cm")
#: frozen per-synapse sensor mismatch, drawn per connect() group in this order
_MISMATCH = ("c_amp", "a_amp", "c_tau", "a_tau")
#: frozen per-column ADC mismatch: on the chip every synapse column (one postsynaptic neuron
#: circuit) has its own causal and acausal ADC channel, shared by all synapses along it
_ADC_MISMATCH = ("c_off", "a_off", "c_gain", "a_gain")


def truncated_normal(rng: np.random.Generator, size: int | tuple[int, ...], clip: float
                     ) -> np.ndarray:
    """Standard normal draws truncated (by redrawing) at +-clip."""
    z = rng.standard_normal(size)
    bad = np.abs(z) > clip
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > clip
    return z


class NewData(NamedTuple):
    """What one run recorded (also kept by the chip, see ``recorded_spikes``/``trace``)."""

    spike_node: np.ndarray
    spike_step: np.ndarray
    samples: np.ndarray      # (samples, analog columns), columns as ``analog_columns``


class _Packed(NamedTuple):
    neurons: Neurons
    poisson: PoissonSources
    arrays: SpikeArrays
    synapses: Synapses
    order: np.ndarray        # synapse ids in the outgoing CSR's order
    position: np.ndarray     # the inverse: each synapse id's position in the CSR
    c_amp: np.ndarray
    c_itau: np.ndarray
    a_amp: np.ndarray
    a_itau: np.ndarray
    rec_slot: np.ndarray
    rec_var: np.ndarray


def _cat(xs: Sequence[np.ndarray], dt: DTypeLike = float) -> np.ndarray:
    return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)


class Chip:
    """One emulated chip with the network placed on it.

    ``config`` holds the hardware model, ``dt`` the time step (ms), ``rng_seed`` seeds the
    temporal randomness (membrane noise and Poisson sources in the engine, ADC read noise,
    the plasticity processor's stochastic rounding); ``config.chip_seed`` the frozen
    fixed-pattern noise.
    """

    def __init__(self, config: HardwareConfig, dt: float, rng_seed: int = 12345) -> None:
        self.config = config
        self.dt = float(dt)
        self.rng_seed = int(rng_seed)
        self.delay_steps = config.delay_steps(self.dt)
        chip = np.random.default_rng([config.chip_seed, 1])
        clip = config.fpn_clip_sigma
        self._fpn = {name: truncated_normal(chip, config.max_neurons, clip)
                     for name in _FPN_NAMES}
        # the ADC channels' offset (codes) and gain deviation, one per synapse column (slot)
        columns = np.random.default_rng([config.chip_seed, 3])
        spread = {"off": config.adc_offset_spread_codes, "gain": config.adc_gain_spread}
        self._adc_column = {name: spread[name[2:]] * truncated_normal(columns,
                                                                      config.max_neurons, clip)
                            for name in _ADC_MISMATCH}
        self.read_rng = np.random.default_rng([self.rng_seed, 7])    # ADC read noise
        self.round_rng = np.random.default_rng([self.rng_seed, 11])  # stochastic rounding
        seed = (self.rng_seed * 0x9E3779B1 + 0x7F4A7C15) % (1 << 64)
        self.rng = np.array([seed], dtype=np.uint64)                  # the engine's stream
        # nodes
        self.node_kind = np.zeros(0, np.int8)
        self.node_neuron = np.zeros(0, np.int64)    # slot of each node, -1 for sources
        self._node_index = np.zeros(0, np.int64)    # position among the nodes of its kind
        self.neuron_node = np.zeros(0, np.int64)
        # neurons: nominal parameters, per-cell extra noise, initial values, state
        self._par = {name: np.zeros(0) for name in NEURON_PARAMETERS}
        self._is_cond = np.zeros(0, np.bool_)
        self._noise = np.zeros(0)
        self._initial = {var: np.zeros(0) for var in STATE_VARIABLES}
        self.v = np.zeros(0)
        self.ge = np.zeros(0)
        self.gi = np.zeros(0)
        self.refr = np.zeros(0, np.int64)
        self.pend_node = np.zeros(0, np.int64)
        self.pend_n = np.zeros(1, np.int64)
        # conductance/current increments in flight: slot (step % delay_steps), per neuron
        self.ring_e = np.zeros((1, 0))
        self.ring_i = np.zeros((1, 0))
        self.last_spike = np.zeros(0, np.int64)
        # sources
        self._pois = {name: np.zeros(0) for name in POISSON_PARAMETERS}
        self._pois_node = np.zeros(0, np.int64)
        self._arr_node = np.zeros(0, np.int64)
        self._arr_times: list[np.ndarray] = []
        # synapses: pre node, post slot, receptor, held weight, frozen mismatch, sensors
        self._n_groups = 0
        self._syn_pre = np.zeros(0, np.int64)
        self._syn_post = np.zeros(0, np.int64)
        self._syn_rec = np.zeros(0, np.int8)
        self._syn_w = np.zeros(0)
        self._syn_gain = np.zeros(0)
        self._mismatch = {name: np.zeros(0) for name in _MISMATCH}
        self.causal = np.zeros(0)
        self.acausal = np.zeros(0)
        # ADC accounting (every read, host or processor) and the plasticity processor
        self.adc = AdcCounts()
        self.last_adc_read: AdcRead | None = None
        self.programs: list[PlasticityProgram] = []
        self.n_executions = 0
        # recording
        self.node_rec = np.zeros(0, np.bool_)
        self.analog_columns: list[tuple[int, int]] = []    # (slot, variable code)
        self.rec_every: int | None = None
        self._spike_chunks: list[tuple[np.ndarray, np.ndarray]] = []
        # pending spikes (see pending_spikes) already read and cleared: not recorded again
        self._forgotten_pending = np.zeros(0, np.int64)
        self._traces: defaultdict[tuple[int, int], list[np.ndarray]] = defaultdict(list)
        # accounting
        self.step = 0
        self.hardware_time_s = 0.0
        self.wall_time_s = 0.0
        self.n_runs = 0
        self.n_updates = 0
        self._structure_dirty = True
        self._weights_dirty = False
        self._packed: _Packed | None = None
        self.reset()

    # ---------------------------------------------------------------------------- sizes --
    @property
    def n_nodes(self) -> int:
        return int(self.node_kind.size)

    @property
    def n_neurons(self) -> int:
        return int(self.neuron_node.size)

    @property
    def n_synapses(self) -> int:
        return int(self._syn_pre.size)

    @property
    def t(self) -> float:
        return self.step * self.dt

    def neuron_slots(self, nodes: ArrayLike) -> np.ndarray:
        """The slot of each node (-1 for spike sources)."""
        return self.node_neuron[np.asarray(nodes, np.int64)]

    # ------------------------------------------------------------------------- creation --
    def _add_nodes(self, n: int, kind: int, slots: np.ndarray, index: np.ndarray
                   ) -> np.ndarray:
        first = self.n_nodes
        nodes = np.arange(first, first + n, dtype=np.int64)
        self.node_kind = np.concatenate([self.node_kind, np.full(n, kind, np.int8)])
        self.node_neuron = np.concatenate([self.node_neuron, slots])
        self._node_index = np.concatenate([self._node_index, index])
        self.node_rec = np.concatenate([self.node_rec, np.zeros(n, np.bool_)])
        self.last_spike = np.concatenate([self.last_spike, np.full(n, -1, np.int64)])
        self._structure_dirty = True
        return nodes

    def create_neurons(self, n: int, params: Mapping[str, Any], *,
                       conductance_based: bool) -> tuple[np.ndarray, np.ndarray]:
        """Place ``n`` LIF neurons (IF_cond_exp if ``conductance_based``, else IF_curr_exp);
        ``params`` holds every name of NEURON_PARAMETERS (scalar or one value per neuron;
        the reversal potentials only for conductance-based ones).  Initial state: v = v_rest,
        no synaptic input.  Returns (nodes, slots)."""
        values = self._neuron_values(n, params, conductance_based)
        self.config.check_neuron_count(self.n_neurons + n)
        first = self.n_neurons
        slots = np.arange(first, first + n, dtype=np.int64)
        nodes = self._add_nodes(n, NEURON, slots, slots.copy())
        self.neuron_node = np.concatenate([self.neuron_node, nodes])
        for name in NEURON_PARAMETERS:
            self._par[name] = np.concatenate([self._par[name], values[name]])
        self._is_cond = np.concatenate([self._is_cond, np.full(n, bool(conductance_based))])
        self._noise = np.concatenate([self._noise, np.zeros(n)])
        initial = {"v": values["v_rest"], "ge": np.zeros(n), "gi": np.zeros(n)}
        for var in STATE_VARIABLES:
            self._initial[var] = np.concatenate([self._initial[var], initial[var]])
        self.v = np.concatenate([self.v, initial["v"]])
        self.ge = np.concatenate([self.ge, np.zeros(n)])
        self.gi = np.concatenate([self.gi, np.zeros(n)])
        self.refr = np.concatenate([self.refr, np.zeros(n, np.int64)])
        # room for every neuron to spike in one step; the spikes of the last step of a
        # previous run (stamp = the next step, still to be delivered) are kept
        pend = np.zeros(self.n_neurons, np.int64)
        pend[:self.pend_n[0]] = self.pend_node[:self.pend_n[0]]
        self.pend_node = pend
        in_flight = np.zeros((self.ring_e.shape[0], n))
        self.ring_e = np.concatenate([self.ring_e, in_flight], axis=1)
        self.ring_i = np.concatenate([self.ring_i, in_flight], axis=1)
        return nodes, slots

    def _neuron_values(self, n: int, params: Mapping[str, Any], conductance_based: bool
                       ) -> dict[str, np.ndarray]:
        unknown = sorted(set(params) - set(NEURON_PARAMETERS))
        if unknown:
            raise ValueError(f"bss2 chip: unknown neuron parameters {unknown}; "
                             f"known: {list(NEURON_PARAMETERS)}")
        optional = _CURRENT_OPTIONAL if not conductance_based else ()
        missing = [name for name in NEURON_PARAMETERS
                   if name not in params and name not in optional]
        if missing:
            raise ValueError(f"bss2 chip: neuron parameters {missing} are missing")
        return {name: _per_cell(params.get(name, 0.0), n, name) for name in NEURON_PARAMETERS}

    def create_poisson_sources(self, rate: ArrayLike, start: ArrayLike, duration: ArrayLike
                               ) -> np.ndarray:
        """On-chip Poisson sources: rate (Hz), start and duration (ms), one value per source
        (their common length is the number of sources).  Returns the nodes."""
        rate, start, duration = np.broadcast_arrays(*(np.asarray(x, dtype=float)
                                                      for x in (rate, start, duration)))
        n = rate.size
        index = np.arange(self._pois_node.size, self._pois_node.size + n, dtype=np.int64)
        nodes = self._add_nodes(n, POISSON, np.full(n, -1, np.int64), index)
        self._pois_node = np.concatenate([self._pois_node, nodes])
        for name, value in zip(POISSON_PARAMETERS, (rate, start, duration), strict=True):
            self._pois[name] = np.concatenate([self._pois[name], value.ravel()])
        return nodes

    def create_spike_arrays(self, spike_times: Sequence[ArrayLike]) -> np.ndarray:
        """Spike-array sources, one per sequence of spike times (ms; each time acts on the
        nearest step).  Returns the nodes."""
        n = len(spike_times)
        index = np.arange(self._arr_node.size, self._arr_node.size + n, dtype=np.int64)
        nodes = self._add_nodes(n, ARRAY, np.full(n, -1, np.int64), index)
        self._arr_node = np.concatenate([self._arr_node, nodes])
        self._arr_times.extend(_times(seq) for seq in spike_times)
        return nodes

    def connect(self, pre_nodes: ArrayLike, post_slots: ArrayLike, weights: ArrayLike,
                receptor: str = "excitatory", *,
                label: str = "projection") -> np.ndarray:
        """Synapses pre_nodes[k] -> post_slots[k] onto the ``receptor`` input, with the
        weights the chip holds (scalar or one per synapse).  One call is one group: its
        frozen per-synapse mismatch (gain, sensor amplitude and time constant) is drawn from
        the chip seed and the group's number; the ADC's offset and gain belong to the synapse
        column (the post slot), drawn once per chip.  Refuses (HardwareLimitError,
        naming ``label``) if a neuron would need more synapse rows than the fan-in limit.
        Returns the synapse ids."""
        if receptor not in RECEPTORS:
            raise ValueError(f"bss2 chip: receptor {receptor!r}; use one of {RECEPTORS}")
        pre = np.atleast_1d(np.asarray(pre_nodes, dtype=np.int64))
        post = np.atleast_1d(np.asarray(post_slots, dtype=np.int64))
        n = pre.size
        if post.size != n:
            raise ValueError("bss2 chip: connect needs as many post slots as pre nodes")
        if n and (post.min() < 0 or post.max() >= self.n_neurons):
            raise ValueError("bss2 chip: a postsynaptic slot is not a neuron")
        if n and (pre.min() < 0 or pre.max() >= self.n_nodes):
            raise ValueError("bss2 chip: a presynaptic node does not exist")
        w = _per_cell(weights, n, "weights")
        code = RECEPTORS.index(receptor)
        cfg = self.config
        rng = np.random.default_rng([cfg.chip_seed, 2, self._n_groups])
        clip = cfg.fpn_clip_sigma
        gain = 1.0 + cfg.synapse_gain_spread * truncated_normal(rng, n, clip)
        spread = {"amp": cfg.sensor_amp_spread, "tau": cfg.sensor_tau_spread}
        mismatch = {}
        for name in _MISMATCH:
            kind = name[2:]
            mismatch[name] = 1.0 + spread[kind] * truncated_normal(rng, n, clip)
        rec = np.full(n, code, np.int8)
        self._check_fan_in(pre, post, rec, label)
        offset = self.n_synapses
        self._syn_pre = np.concatenate([self._syn_pre, pre])
        self._syn_post = np.concatenate([self._syn_post, post])
        self._syn_rec = np.concatenate([self._syn_rec, rec])
        self._syn_w = np.concatenate([self._syn_w, w])
        self._syn_gain = np.concatenate([self._syn_gain, gain])
        for name in _MISMATCH:
            self._mismatch[name] = np.concatenate([self._mismatch[name], mismatch[name]])
        self.causal = np.concatenate([self.causal, np.zeros(n)])
        self.acausal = np.concatenate([self.acausal, np.zeros(n)])
        self._n_groups += 1
        self._structure_dirty = True
        return np.arange(offset, offset + n, dtype=np.int64)

    def _check_fan_in(self, pre: np.ndarray, post: np.ndarray, rec: np.ndarray, label: str
                      ) -> None:
        """Synapse rows per neuron: distinct (source node, receptor) pairs."""
        post = np.concatenate([self._syn_post, post])
        if not post.size:
            return
        row = np.concatenate([self._syn_pre * 2 + self._syn_rec, pre * 2 + rec])
        pairs = np.unique(np.stack([post, row]), axis=1)
        rows_per_neuron = np.bincount(pairs[0], minlength=self.n_neurons)
        worst = int(rows_per_neuron.max())
        self.config.check_fan_in(worst, label)

    # -------------------------------------------------------------------- parameters --
    def set_neuron_params(self, slots: ArrayLike, **values: ArrayLike) -> None:
        """Change nominal neuron parameters (scalar or one value per slot)."""
        slots = np.asarray(slots, np.int64)
        for name, value in values.items():
            if name not in self._par:
                raise ValueError(f"bss2 chip: unknown neuron parameter {name!r}")
            self._par[name][slots] = value
        self._structure_dirty = True

    def neuron_params(self, slots: ArrayLike, *names: str) -> dict[str, np.ndarray]:
        """Nominal neuron parameters of the slots (copies)."""
        slots = np.asarray(slots, np.int64)
        return {name: self._par[name][slots] for name in names}

    def set_membrane_noise(self, slots: ArrayLike, mV_per_sqrt_ms: ArrayLike) -> None:
        """Per-cell extra temporal membrane noise (mV/sqrt(ms)); adds in quadrature to the
        chip's own ``membrane_noise_mV_per_sqrt_ms``."""
        self._noise[np.asarray(slots, np.int64)] = mV_per_sqrt_ms
        self._structure_dirty = True

    def membrane_noise(self, slots: ArrayLike) -> np.ndarray:
        return self._noise[np.asarray(slots, np.int64)]

    def _source_index(self, nodes: ArrayLike, kind: int) -> np.ndarray:
        nodes = np.asarray(nodes, np.int64)
        if np.any(self.node_kind[nodes] != kind):
            name = {POISSON: "Poisson sources", ARRAY: "spike arrays"}[kind]
            raise ValueError(f"bss2 chip: not all nodes are {name}")
        return self._node_index[nodes]

    def set_poisson_params(self, nodes: ArrayLike, **values: ArrayLike) -> None:
        """Change rate (Hz), start or duration (ms) of Poisson sources."""
        index = self._source_index(nodes, POISSON)
        for name, value in values.items():
            if name not in self._pois:
                raise ValueError(f"bss2 chip: unknown Poisson parameter {name!r}")
            self._pois[name][index] = value
        self._structure_dirty = True

    def poisson_params(self, nodes: ArrayLike, *names: str) -> dict[str, np.ndarray]:
        index = self._source_index(nodes, POISSON)
        return {name: self._pois[name][index] for name in names}

    def set_spike_times(self, nodes: ArrayLike, spike_times: Sequence[ArrayLike]) -> None:
        """Replace the spike times (ms) of spike-array sources, one sequence per node."""
        index = self._source_index(nodes, ARRAY)
        if len(spike_times) != index.size:
            raise ValueError("bss2 chip: one sequence of spike times per node")
        for k, seq in zip(index, spike_times, strict=True):
            self._arr_times[k] = _times(seq)
        self._structure_dirty = True

    def spike_times(self, nodes: ArrayLike) -> list[np.ndarray]:
        return [self._arr_times[k].copy() for k in self._source_index(nodes, ARRAY)]

    def initialize(self, slots: ArrayLike, variable: str, values: ArrayLike) -> None:
        """Set the initial value of a state variable (v, ge or gi) of neurons, and their
        current value (reset() returns to the initial values)."""
        if variable not in self._initial:
            raise ValueError(f"bss2 chip: unknown state variable {variable!r}; "
                             f"use one of {STATE_VARIABLES}")
        slots = np.asarray(slots, np.int64)
        self._initial[variable][slots] = values
        getattr(self, variable)[slots] = self._initial[variable][slots]

    def initial_values(self, slots: ArrayLike, variable: str) -> np.ndarray:
        return self._initial[variable][np.asarray(slots, np.int64)]

    # ------------------------------------------------------------------------ weights --
    def set_weights(self, syn_ids: ArrayLike, weights: ArrayLike) -> None:
        """Write the weights the chip holds (signed; the frozen gain is applied on top)."""
        syn_ids = np.asarray(syn_ids, np.int64)
        self._syn_w[syn_ids] = weights
        packed = self._packed
        if packed is not None and not self._structure_dirty and not self._weights_dirty:
            # the packed network is current: patch the written synapses in place (the same
            # products as a full repack) instead of repacking every synapse, which the
            # plasticity processor would otherwise do at every execution
            pos = packed.position[syn_ids]
            packed.synapses.out_w[pos] = self._syn_w[syn_ids] * self._syn_gain[syn_ids]
        else:
            self._weights_dirty = True

    def weights(self, syn_ids: ArrayLike) -> np.ndarray:
        """The weights the chip holds (without the frozen gain)."""
        return self._syn_w[np.asarray(syn_ids, np.int64)]

    def stochastic_round(self, values: ArrayLike, lsb: float) -> np.ndarray:
        """Round to the weight grid the plasticity processor's way: up with probability the
        fraction of a step (from the chip's rounding stream)."""
        values = np.asarray(values, dtype=float)
        steps = np.abs(values) / lsb
        low = np.floor(steps)
        up = self.round_rng.random(steps.shape) < steps - low
        return np.sign(values) * (low + up) * lsb

    def processor_weights(self, values: ArrayLike, lsb: float, sign: float,
                          lo: float | None = None, hi: float | None = None) -> np.ndarray:
        """What the plasticity processor writes for wanted weights ``values`` (signed PyNN
        units) of synapses with grid step ``lsb`` and sign ``sign``: kept in the weight range
        (0 .. max code, and [lo, hi] where given, on the grid), rounded to the grid as the
        profile says (``quantise_weights``, ``processor_rounding``; off: written exactly)."""
        cfg = self.config
        magnitude = sign * np.asarray(values, dtype=float)
        top = cfg.max_weight_code * lsb
        low, high = 0.0, top
        bounds = [sign * b for b in (lo, hi) if b is not None]
        if lo is not None and hi is not None:
            low, high = max(low, min(bounds)), min(high, max(bounds))
        elif bounds:       # one bound given: it limits the side it lies on
            low, high = (max(low, bounds[0]), high) if bounds[0] <= 0.5 * top else \
                (low, min(high, bounds[0]))
        if not cfg.quantise_weights:
            return sign * np.clip(magnitude, low, high)
        steps = np.clip(magnitude, 0.0, top) / lsb
        if cfg.processor_rounding == "stochastic":
            floor = np.floor(steps)
            codes = floor + (self.round_rng.random(steps.shape) < steps - floor)
        else:
            codes = np.rint(steps)
        # the range on the grid: the codes inside [low, high] (tolerant of float error)
        codes = np.clip(codes, math.ceil(low / lsb - 1e-9), math.floor(high / lsb + 1e-9))
        return sign * codes * lsb

    # ------------------------------------------------------------------------ sensors --
    def read_sensors(self, syn_ids: ArrayLike, reset: bool = True,
                     counts: AdcCounts | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Read the causal and acausal correlation sensors of synapses through the ADC (in
        units of the nearest-neighbour sum of exp(-dt/tau), see plasticity.py); with
        ``reset`` they are cleared afterwards.

        Each synapse is read by its column's ADC channel (offset and gain of its post slot).
        Clipped readings are counted in ``self.adc``, ``self.last_adc_read`` and ``counts``
        (a caller's own totals, e.g. a projection's)."""
        syn_ids = np.asarray(syn_ids, np.int64)
        column = self._syn_post[syn_ids]
        out = []
        high = low = 0
        clipped = []
        for kind, raw in (("c", self.causal[syn_ids]), ("a", self.acausal[syn_ids])):
            values, over, under = adc_digitise(raw, self._adc_column[f"{kind}_off"][column],
                                               self._adc_column[f"{kind}_gain"][column],
                                               self.config, self.read_rng)
            out.append(values)
            n_over, n_under = int(over.sum()), int(under.sum())
            high += n_over
            low += n_under
            clipped.append(n_over + n_under)
        readings = 2 * int(syn_ids.size)
        for total in (self.adc, counts):
            if total is not None:
                total.add(readings, high, low)
        self.last_adc_read = AdcRead(self.step, readings, clipped[0], clipped[1])
        if reset:
            self.reset_sensors(syn_ids)
        return out[0], out[1]

    def adc_column_mismatch(self, slots: ArrayLike) -> dict[str, np.ndarray]:
        """The frozen ADC offset (codes) and gain deviation of the columns of these slots."""
        slots = np.asarray(slots, np.int64)
        return {name: self._adc_column[name][slots].copy() for name in _ADC_MISMATCH}

    # ---------------------------------------------------------- the plasticity processor --
    def add_program(self, program: PlasticityProgram) -> None:
        """Let the processor run ``program`` during every run from now on (its timer counts
        from step 0; executions already past are skipped)."""
        syn = np.asarray(program.syn_ids, np.int64)
        if syn.size and (syn.min() < 0 or syn.max() >= self.n_synapses):
            raise ValueError("bss2 chip: a plasticity program names synapses that do not exist")
        taken = {int(s) for other in self.programs for s in other.syn_ids}
        if taken.intersection(syn.tolist()):
            raise ValueError(f"bss2 chip: synapses of {program.label!r} already belong to "
                             "another plasticity program (one program per synapse)")
        program.syn_ids = syn
        program.start_step, program.period_step, program.num_periods = execution_steps(
            program.timer, self.dt)
        program.next_k = 0
        program.skip_to(self.step)
        self.programs.append(program)

    def _execute_due(self, step: int) -> None:
        """Run every program due at ``step`` (in the order they were added)."""
        for program in self.programs:
            if program.due_step() == step:
                program.kernel(SynapseAccess(self, program))
                program.executions += 1
                program.next_k += 1
                self.n_executions += 1

    def reset_sensors(self, syn_ids: ArrayLike) -> None:
        syn_ids = np.asarray(syn_ids, np.int64)
        self.causal[syn_ids] = 0.0
        self.acausal[syn_ids] = 0.0

    def count_update(self) -> None:
        """Account one plasticity-processor/host access (weight write or sensor read)."""
        self.n_updates += 1
        self.hardware_time_s += self.config.update_overhead_s

    # ---------------------------------------------------------------------- recording --
    def record_spikes(self, nodes: ArrayLike, on: bool = True) -> None:
        self.node_rec[np.asarray(nodes, np.int64)] = on

    def record_analog(self, slots: ArrayLike, variable: str, every_steps: int) -> None:
        """Sample a state variable (v, ge, gi) of neurons every ``every_steps`` steps (one
        interval for all analog recordings)."""
        if self.rec_every is not None and every_steps != self.rec_every and \
                self.analog_columns:
            raise NotImplementedError(
                "bss2: all analog recordings must share one sampling interval "
                f"({self.rec_every * self.dt} ms already in use)")
        self.rec_every = every_steps
        code = _VAR_CODE[variable]
        existing = set(self.analog_columns)
        for slot in np.asarray(slots, np.int64):
            key = (int(slot), code)
            if key not in existing:
                self.analog_columns.append(key)
                self._traces[key] = []
        self._structure_dirty = True

    def stop_recording(self, nodes: ArrayLike) -> None:
        """Record nothing more of these nodes (recorded data is kept)."""
        nodes = np.asarray(nodes, np.int64)
        self.node_rec[nodes] = False
        slots = set(int(s) for s in self.node_neuron[nodes] if s >= 0)
        self.analog_columns = [key for key in self.analog_columns if key[0] not in slots]
        self._structure_dirty = True

    def recorded_spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """All recorded spikes as (node array, step array), merged."""
        if not self._spike_chunks:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(self._spike_chunks) > 1:
            nodes = np.concatenate([c[0] for c in self._spike_chunks])
            steps = np.concatenate([c[1] for c in self._spike_chunks])
            self._spike_chunks = [(nodes, steps)]
        return self._spike_chunks[0]

    def pending_spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """Spikes of recording neurons that crossed threshold in the last step of the last run
        (node array, step array): they carry the current step as stamp, and are recorded (and
        delivered) when the next run starts, so recorded_spikes() has not got them yet."""
        nodes = self.pend_node[:int(self.pend_n[0])]
        nodes = nodes[self.node_rec[nodes] & ~np.isin(nodes, self._forgotten_pending)]
        return nodes.copy(), np.full(nodes.size, self.step, np.int64)

    def forget_pending_spikes(self, nodes: ArrayLike | None = None) -> None:
        """The pending spikes (of the given nodes only, or all) have been read and cleared:
        the next run delivers them but does not record them again."""
        pending, _ = self.pending_spikes()
        if nodes is not None:
            pending = pending[np.isin(pending, np.asarray(nodes, np.int64))]
        self._forgotten_pending = np.union1d(self._forgotten_pending, pending)

    def trace(self, slot: int, variable: str) -> np.ndarray:
        """The recorded samples of one neuron's state variable (since its last clearing)."""
        chunks = self._traces.get((int(slot), _VAR_CODE[variable]), [])
        return np.concatenate(chunks) if chunks else np.zeros(0)

    def clear_trace(self, slot: int, variable: str) -> None:
        self._traces[(int(slot), _VAR_CODE[variable])] = []

    def clear_spikes(self, nodes: ArrayLike | None = None) -> None:
        """Forget the recorded spikes (of the given nodes only, or all); samples are kept."""
        if nodes is None:
            self._spike_chunks = []
            return
        node_arr, step_arr = self.recorded_spikes()
        keep = ~np.isin(node_arr, np.asarray(nodes, np.int64))
        self._spike_chunks = [(node_arr[keep], step_arr[keep])]

    def clear_recorded(self, nodes: ArrayLike | None = None) -> None:
        """Forget the recorded spikes and samples (of the given nodes only, or all)."""
        self.clear_spikes(nodes)
        if nodes is None:
            self._traces = defaultdict(list)
            return
        slots = set(int(s) for s in self.node_neuron[np.asarray(nodes, np.int64)] if s >= 0)
        for key in list(self._traces):
            if key[0] in slots:
                self._traces[key] = []

    # ---------------------------------------------------------------------- run, reset --
    def reset(self) -> None:
        """Return to step 0 with the initial values; the network, its parameters and the
        frozen mismatch are kept, the random streams continue, the recorded data goes."""
        self.step = 0
        self.refr[:] = 0
        self.last_spike[:] = -1
        self.pend_n[0] = 0
        self._forgotten_pending = np.zeros(0, np.int64)
        self.ring_e = np.zeros((self.delay_steps, self.n_neurons))
        self.ring_i = np.zeros_like(self.ring_e)
        self.causal[:] = 0.0
        self.acausal[:] = 0.0
        for program in self.programs:    # timers count from step 0 again
            program.next_k = 0
        for var in STATE_VARIABLES:
            getattr(self, var)[:] = self._initial[var]
        self._structure_dirty = True    # Poisson next-event times and array pointers restart
        self.clear_recorded()

    def run(self, n_steps: int) -> NewData:
        """Advance ``n_steps`` time steps; returns what this run recorded.

        With plasticity programs the engine stops at every due execution, the processor runs
        the programs and the engine continues (see processor.py for the semantics)."""
        if n_steps <= 0:
            empty = np.zeros(0, np.int64)
            return NewData(empty, empty.copy(), np.zeros((0, len(self.analog_columns))))
        if not self.programs:
            return self._advance(n_steps, count_run=True)
        wall = time.perf_counter()
        end = self.step + n_steps
        pieces: list[NewData] = []
        while True:
            due = [s for p in self.programs if (s := p.due_step()) is not None]
            nxt = min(due) if due else None
            if nxt is None or nxt > end:
                if end > self.step:
                    pieces.append(self._advance(end - self.step, count_run=False))
                break
            if nxt > self.step:
                pieces.append(self._advance(nxt - self.step, count_run=False))
            self._execute_due(nxt)
        self.n_runs += 1
        self.hardware_time_s += (self.config.hardware_seconds(n_steps * self.dt)
                                 + self.config.run_overhead_s)
        # the segments did not count their wall time: this counts them and the processor
        self.wall_time_s += time.perf_counter() - wall
        return NewData(_cat([p.spike_node for p in pieces], np.int64),
                       _cat([p.spike_step for p in pieces], np.int64),
                       np.concatenate([p.samples for p in pieces]) if pieces else
                       np.zeros((0, len(self.analog_columns))))

    def _advance(self, n_steps: int, *, count_run: bool) -> NewData:
        """One call of the engine over ``n_steps`` > 0 steps."""
        wall = time.perf_counter()
        if self._structure_dirty or self._packed is None:
            self._pack()
        elif self._weights_dirty:
            self._pack_weights()
        packed = self._packed
        assert packed is not None
        every = self.rec_every or 1
        n_cols = len(self.analog_columns)
        n_samp = engine.n_samples_in(self.step, n_steps, every) if n_cols else 0
        capacity = max(1024, int(self.node_rec.sum()) * 8)
        recording = Recording(
            node_rec=self.node_rec, spike_node=np.empty(capacity, np.int64),
            spike_step=np.empty(capacity, np.int64), slot=packed.rec_slot, var=packed.rec_var,
            every=every, buf=np.empty((n_samp, n_cols)))
        state = NeuronState(v=self.v, ge=self.ge, gi=self.gi, refr=self.refr,
                            ring_e=self.ring_e, ring_i=self.ring_i, pend_node=self.pend_node,
                            pend_n=self.pend_n)
        sensors = Sensors(causal=self.causal, acausal=self.acausal, c_amp=packed.c_amp,
                          c_itau=packed.c_itau, a_amp=packed.a_amp, a_itau=packed.a_itau,
                          last_spike=self.last_spike)
        spk_node, spk_step, n_spk = engine.advance(
            n_steps, self.step, self.dt, packed.neurons, state, packed.poisson, packed.arrays,
            packed.synapses, sensors, recording, self.rng)
        new_node, new_step = spk_node[:n_spk].copy(), spk_step[:n_spk].copy()
        if self._forgotten_pending.size:
            keep = ~((new_step == self.step) & np.isin(new_node, self._forgotten_pending))
            new_node, new_step = new_node[keep], new_step[keep]
            n_spk = new_node.size
            self._forgotten_pending = np.zeros(0, np.int64)
        if n_spk:
            self._spike_chunks.append((new_node, new_step))
        if n_samp:
            for c, key in enumerate(self.analog_columns):
                self._traces[key].append(recording.buf[:, c].copy())
        self.step += n_steps
        if count_run:
            self.n_runs += 1
            self.hardware_time_s += (self.config.hardware_seconds(n_steps * self.dt)
                                     + self.config.run_overhead_s)
            self.wall_time_s += time.perf_counter() - wall
        return NewData(new_node, new_step, recording.buf)

    # -------------------------------------------------------------------------- packing --
    def _pack(self) -> None:
        """Assemble the engine's records from the network."""
        self._packed = _Packed(
            neurons=self._pack_neurons(), poisson=self._pack_poisson(),
            arrays=self._pack_arrays(), **self._pack_synapses(),
            rec_slot=np.array([k[0] for k in self.analog_columns], np.int64),
            rec_var=np.array([k[1] for k in self.analog_columns], np.int64))
        self._structure_dirty = False
        self._weights_dirty = False

    def _effective_weights(self) -> np.ndarray:
        return self._syn_w * self._syn_gain

    def _pack_weights(self) -> None:
        packed = self._packed
        assert packed is not None
        if self.n_synapses:
            out_w = self._effective_weights()[packed.order].astype(float)
            self._packed = packed._replace(synapses=packed.synapses._replace(out_w=out_w))
        self._weights_dirty = False

    def _pack_neurons(self) -> Neurons:
        cfg = self.config
        h = self.dt
        n = self.n_neurons
        par = self._par
        z = {key: value[:n] for key, value in self._fpn.items()}
        eff = dict(par)
        eff["v_rest"] = par["v_rest"] + cfg.fpn_v_rest_mV * z["v_rest"]
        eff["v_thresh"] = par["v_thresh"] + cfg.fpn_v_thresh_mV * z["v_thresh"]
        eff["v_reset"] = par["v_reset"] + cfg.fpn_v_reset_mV * z["v_reset"]
        eff["e_rev_E"] = par["e_rev_E"] + cfg.fpn_e_rev_mV * z["e_rev_E"]
        eff["e_rev_I"] = par["e_rev_I"] + cfg.fpn_e_rev_mV * z["e_rev_I"]
        eff["tau_m"] = par["tau_m"] * (1 + cfg.fpn_tau_m_rel * z["tau_m"])
        eff["tau_syn_E"] = par["tau_syn_E"] * (1 + cfg.fpn_tau_syn_rel * z["tau_syn_E"])
        eff["tau_syn_I"] = par["tau_syn_I"] * (1 + cfg.fpn_tau_syn_rel * z["tau_syn_I"])
        eff["tau_refrac"] = par["tau_refrac"] * (1 + cfg.fpn_tau_refrac_rel * z["tau_refrac"])
        eff["cm"] = par["cm"] * (1 + cfg.fpn_cm_rel * z["cm"])
        with np.errstate(divide="ignore", invalid="ignore"):
            tau_m = np.where(eff["tau_m"] > 0, eff["tau_m"], 1.0)
            tau_e = np.where(eff["tau_syn_E"] > 0, eff["tau_syn_E"], 1.0)
            tau_i = np.where(eff["tau_syn_I"] > 0, eff["tau_syn_I"], 1.0)
            cm = np.where(eff["cm"] > 0, eff["cm"], 1.0)
        return Neurons(
            node=self.neuron_node, is_cond=self._is_cond.copy(), e_leak=eff["v_rest"],
            inv_cm=1.0 / cm, g_leak=cm / tau_m, e_exc=eff["e_rev_E"], e_inh=eff["e_rev_I"],
            i_off=eff["i_offset"].copy(), v_th=eff["v_thresh"], v_reset=eff["v_reset"],
            ref_steps=np.rint(eff["tau_refrac"] / h).astype(np.int64),
            de_full=libm_exp(-h / tau_e), de_half=libm_exp(-0.5 * h / tau_e),
            di_full=libm_exp(-h / tau_i), di_half=libm_exp(-0.5 * h / tau_i),
            tau_e=tau_e, tau_i=tau_i, p22=libm_exp(-h / tau_m),
            p21e=engine.psc_propagators(h, tau_m, tau_e, cm),
            p21i=engine.psc_propagators(h, tau_m, tau_i, cm),
            p20=tau_m / cm * (1.0 - libm_exp(-h / tau_m)),
            # the chip's own temporal noise and the per-cell extra noise are independent
            # sources: their amplitudes add in quadrature (per step: amp * sqrt(h) * N(0, 1))
            noise_amp=np.hypot(cfg.membrane_noise_mV_per_sqrt_ms, self._noise) * np.sqrt(h))

    def _pack_poisson(self) -> PoissonSources:
        start = self._pois["start"].astype(float)
        return PoissonSources(node=self._pois_node.copy(), rate=self._pois["rate"] / 1000.0,
                              start=start, stop=start + self._pois["duration"],
                              next_t=np.full(self._pois_node.size, -1.0))

    def _pack_arrays(self) -> SpikeArrays:
        h = self.dt
        lists = [np.sort(np.rint(times / h).astype(np.int64)) for times in self._arr_times]
        lengths = np.array([len(x) for x in lists], np.int64)
        ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return SpikeArrays(node=self._arr_node.copy(), ptr=ptr, steps=_cat(lists, np.int64),
                           pos=ptr[:-1].copy())

    def _pack_synapses(self) -> dict[str, Any]:
        n_nodes, n = self.n_nodes, self.n_neurons
        pre, post, rec = self._syn_pre, self._syn_post, self._syn_rec
        syn = np.arange(self.n_synapses, dtype=np.int64)
        w = self._effective_weights()
        order = np.argsort(pre, kind="stable")
        order_in = np.argsort(post, kind="stable")
        synapses = Synapses(
            node_neuron=self.node_neuron,
            out_ptr=np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_nodes))]
                                   ).astype(np.int64),
            out_post=post[order].astype(np.int64), out_w=w[order].astype(float),
            out_rec=rec[order], out_syn=syn[order].astype(np.int64),
            in_ptr=np.concatenate([[0], np.cumsum(np.bincount(post, minlength=n))]
                                  ).astype(np.int64),
            in_pre=pre[order_in].astype(np.int64), in_syn=syn[order_in].astype(np.int64))
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        return {"synapses": synapses, "order": order, "position": position,
                "c_amp": self._mismatch["c_amp"].copy(), "c_itau": self._sensor_itau("c"),
                "a_amp": self._mismatch["a_amp"].copy(), "a_itau": self._sensor_itau("a")}

    def sensor_tau(self, syn_ids: ArrayLike) -> np.ndarray:
        """The nominal sensor time constant (ms) of synapses, without their mismatch."""
        syn_ids = np.asarray(syn_ids, np.int64)
        if isinstance(self.config.sensor_tau_ms, str):
            return self._par["tau_refrac"][self._syn_post[syn_ids]].copy()
        return np.full(syn_ids.size, float(self.config.sensor_tau_ms))

    def _sensor_itau(self, which: str) -> np.ndarray:
        """1/tau of the sensors (tau: the setting, or the post neuron's nominal tau_refrac,
        times the frozen per-synapse deviation)."""
        cfg = self.config
        if isinstance(cfg.sensor_tau_ms, str):
            tau = self._par["tau_refrac"][self._syn_post]
        else:
            tau = np.full(self.n_synapses, float(cfg.sensor_tau_ms))
        tau = np.maximum(tau, 1e-6) * self._mismatch[f"{which}_tau"]
        return 1.0 / tau


def _per_cell(value: ArrayLike, n: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != n):
        raise ValueError(f"bss2 chip: {name} must be a scalar or {n} values, got shape "
                         f"{arr.shape}")
    return np.array(np.broadcast_to(arr, (n,)), dtype=float)


def _times(seq: ArrayLike) -> np.ndarray:
    """Spike times (ms) as a flat float array."""
    return np.array(seq, dtype=float).ravel()
