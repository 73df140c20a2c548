"""Simulator state of the bss2 emulation: IDs, the network bookkeeping and the run loop.

Every cell (neuron or spike source) is a *node* numbered by its ID.  Neurons additionally own a
*slot* (the neuron circuit on the chip, 0 .. max_neurons-1) which indexes the fixed-pattern
noise.  Projections own a contiguous range of global synapse indices (sensors, gain mismatch).
The engine arrays are (re)built lazily before a run when the network or a parameter changed.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from pyNN import common

from . import engine
from .hardware import HardwareConfig, HardwareLimitError

if TYPE_CHECKING:
    from .populations import Population
    from .projections import Projection

name = "bss2"

_FPN_NAMES = ("v_rest", "v_thresh", "v_reset", "e_rev_E", "e_rev_I", "tau_m", "tau_syn_E",
              "tau_syn_I", "tau_refrac", "cm")
_ANALOG_CODES = {"v": 0, "gsyn_exc": 1, "isyn_exc": 1, "gsyn_inh": 2, "isyn_inh": 2}


class ID(int, common.IDMixin):
    """Cell identifier; its integer value is the node index of the cell."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


def truncated_normal(rng: np.random.Generator, size, clip: float) -> np.ndarray:
    """Standard normal draws truncated (by redrawing) at +-clip."""
    z = rng.standard_normal(size)
    bad = np.abs(z) > clip
    while bad.any():
        z[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(z) > clip
    return z


class State(common.control.BaseState):
    """The emulated chip and the network placed on it."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = 0.1
        self.max_delay = 0.1
        self.config = HardwareConfig()
        self.rng_seed = 12345
        self.segment_counter = -1
        self.clear()

    # ------------------------------------------------------------------ set-up and clearing --
    def configure(self, config: HardwareConfig, rng_seed: int) -> None:
        self.config = config
        self.rng_seed = int(rng_seed)
        self.clear()

    def clear(self) -> None:
        """Forget the whole network (called by setup())."""
        self.recorders: set[Any] = set()
        self.populations: list[Population] = []
        self.projections: list[Projection] = []
        self.id_counter = 0
        self.n_neurons = 0
        self.n_syn = 0
        self.node_kind = np.zeros(0, np.int8)      # 0 neuron, 1 poisson, 2 array
        self.node_neuron = np.zeros(0, np.int64)   # slot of the node, -1 for sources
        self.neuron_node = np.zeros(0, np.int64)
        self.node_rec = np.zeros(0, np.bool_)
        self.analog_columns: list[tuple[int, int]] = []
        self.rec_every: int | None = None
        # (population, variables, file) appended by PyNN's record(..., to_file=...)
        self.write_on_end: list[tuple[Any, Any, Any]] = []
        chip = np.random.default_rng([self.config.chip_seed, 1])
        clip = self.config.fpn_clip_sigma
        self.fpn = {name: truncated_normal(chip, self.config.max_neurons, clip)
                    for name in _FPN_NAMES}
        self.hardware_time_s = 0.0
        self.wall_time_s = 0.0
        self.n_runs = 0
        self.n_updates = 0
        self.read_rng = np.random.default_rng([self.rng_seed, 7])
        self.round_rng = np.random.default_rng([self.rng_seed, 11])   # stochastic rounding
        self._structure_dirty = True
        self._weights_dirty = False
        self._arrays: dict[str, np.ndarray] | None = None
        self._new_dynamic_state()
        self.reset()

    def _new_dynamic_state(self) -> None:
        self.v = np.zeros(0)
        self.ge = np.zeros(0)
        self.gi = np.zeros(0)
        self.refr = np.zeros(0, np.int64)
        self.last_spike = np.zeros(0, np.int64)
        self.causal = np.zeros(0)
        self.acausal = np.zeros(0)
        self.pend_node = np.zeros(0, np.int64)
        self.pend_n = np.zeros(1, np.int64)
        # conductance/current increments in flight: slot (step % delay_steps), per neuron
        self.ring_e = np.zeros((1, 0))
        self.ring_i = np.zeros((1, 0))
        seed = (self.rng_seed * 0x9E3779B1 + 0x7F4A7C15) % (1 << 64)
        self.rng = np.array([seed], dtype=np.uint64)

    def reset(self) -> None:
        """Return to t = 0 with the initial values (network and frozen mismatch are kept)."""
        self.running = False
        self.step = 0
        self.t_start = 0
        self.segment_counter += 1
        self.refr[:] = 0
        self.last_spike[:] = -1
        self.pend_n[0] = 0
        self.ring_e = np.zeros((self.config.delay_steps(self.dt), self.n_neurons))
        self.ring_i = np.zeros_like(self.ring_e)
        self.causal[:] = 0.0
        self.acausal[:] = 0.0
        for population in self.populations:
            population._apply_initial_values()
        self._reset_sources()
        self._clear_recordings()

    def _reset_sources(self) -> None:
        self._structure_dirty = True    # Poisson next-event times and array pointers restart

    @property
    def t(self) -> float:
        return self.step * self.dt

    @t.setter
    def t(self, value: float) -> None:
        self.step = int(round(value / self.dt))

    # ------------------------------------------------------------------------- registration --
    def add_population(self, population, kind: str) -> np.ndarray:
        """Allocate nodes (and neuron slots) for a new population; return its IDs."""
        size = population.size
        if kind == "neuron":
            self.config.check_neuron_count(self.n_neurons + size)
        first = self.id_counter
        nodes = np.arange(first, first + size, dtype=np.int64)
        self.id_counter += size
        code = {"neuron": 0, "poisson": 1, "array": 2}[kind]
        self.node_kind = np.concatenate([self.node_kind, np.full(size, code, np.int8)])
        slots = np.full(size, -1, np.int64)
        if kind == "neuron":
            slots = np.arange(self.n_neurons, self.n_neurons + size, dtype=np.int64)
            self.n_neurons += size
            self.neuron_node = np.concatenate([self.neuron_node, nodes])
            self.v = np.concatenate([self.v, np.zeros(size)])
            self.ge = np.concatenate([self.ge, np.zeros(size)])
            self.gi = np.concatenate([self.gi, np.zeros(size)])
            self.refr = np.concatenate([self.refr, np.zeros(size, np.int64)])
            self.pend_node = np.zeros(self.n_neurons, np.int64)
            in_flight = np.zeros((self.ring_e.shape[0], size))
            self.ring_e = np.concatenate([self.ring_e, in_flight], axis=1)
            self.ring_i = np.concatenate([self.ring_i, in_flight], axis=1)
        self.node_neuron = np.concatenate([self.node_neuron, slots])
        self.node_rec = np.concatenate([self.node_rec, np.zeros(size, np.bool_)])
        self.last_spike = np.concatenate([self.last_spike, np.full(size, -1, np.int64)])
        self.populations.append(population)
        self._structure_dirty = True
        return nodes

    def add_projection(self, projection) -> int:
        """Allocate global synapse indices; check the fan-in limit; return the offset."""
        n = len(projection)
        offset = self.n_syn
        self.n_syn += n
        self.causal = np.concatenate([self.causal, np.zeros(n)])
        self.acausal = np.concatenate([self.acausal, np.zeros(n)])
        self.projections.append(projection)
        self._check_fan_in(projection)
        self._structure_dirty = True
        return offset

    def _check_fan_in(self, projection) -> None:
        keys = [(p._post_slot, p._pre_node * 2 + p._receptor_code) for p in self.projections
                if len(p)]
        if not keys:
            return
        post = np.concatenate([k[0] for k in keys])
        row = np.concatenate([k[1] for k in keys])
        pairs = np.unique(np.stack([post, row]), axis=1)
        rows_per_neuron = np.bincount(pairs[0], minlength=self.n_neurons)
        worst = int(rows_per_neuron.max())
        if worst > self.config.max_fan_in:
            self.projections.pop()
            self.n_syn -= len(projection)
            self.causal = self.causal[:self.n_syn]
            self.acausal = self.acausal[:self.n_syn]
            self.config.check_fan_in(worst, projection.label or "projection")

    def mark_dirty(self) -> None:
        self._structure_dirty = True

    def mark_weights_dirty(self) -> None:
        self._weights_dirty = True

    def _refresh_weights(self) -> None:
        projections = [p for p in self.projections if len(p)]
        if projections:
            w = np.concatenate([p._effective_weights() for p in projections])
            arrays = cast("dict[str, np.ndarray]", self._arrays)   # only called once built
            arrays["out_w"] = w[arrays["order"]].astype(float)
        self._weights_dirty = False

    # ------------------------------------------------------------------------------ recording --
    def set_spike_recording(self, nodes, on: bool = True) -> None:
        self.node_rec[np.asarray(nodes, np.int64)] = on

    def add_analog_recording(self, slots, variable: str, every_steps: int) -> None:
        if self.rec_every is not None and every_steps != self.rec_every and self.analog_columns:
            raise NotImplementedError(
                "bss2: all analog recordings must share one sampling interval "
                f"({self.rec_every * self.dt} ms already in use)")
        self.rec_every = every_steps
        code = _ANALOG_CODES[variable]
        existing = set(self.analog_columns)
        for slot in np.asarray(slots, np.int64):
            key = (int(slot), code)
            if key not in existing:
                self.analog_columns.append(key)
                self.analog_data[key] = []
                self.analog_first_step[key] = None
        self._structure_dirty = True

    def remove_recordings(self, nodes) -> None:
        nodes = np.asarray(nodes, np.int64)
        self.node_rec[nodes] = False
        slots = set(int(s) for s in self.node_neuron[nodes] if s >= 0)
        self.analog_columns = [key for key in self.analog_columns if key[0] not in slots]
        self._structure_dirty = True

    def _clear_recordings(self, nodes=None) -> None:
        if nodes is None:
            self.spike_chunks: list[tuple[np.ndarray, np.ndarray]] = []
            self.analog_data: defaultdict[tuple[int, int], list[np.ndarray]] = defaultdict(list)
            self.analog_first_step: dict[tuple[int, int], int | None] = {}
            for key in getattr(self, "analog_columns", []):
                self.analog_first_step[key] = None
            return
        nodes = np.asarray(nodes, np.int64)
        node_arr, step_arr = self.recorded_spikes()
        keep = ~np.isin(node_arr, nodes)
        self.spike_chunks = [(node_arr[keep], step_arr[keep])]
        slots = set(int(s) for s in self.node_neuron[nodes] if s >= 0)
        for key in list(self.analog_data):
            if key[0] in slots:
                self.analog_data[key] = []
                self.analog_first_step[key] = None

    def recorded_spikes(self):
        """All recorded spikes as (node array, step array), merged."""
        if not self.spike_chunks:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if len(self.spike_chunks) > 1:
            nodes = np.concatenate([c[0] for c in self.spike_chunks])
            steps = np.concatenate([c[1] for c in self.spike_chunks])
            self.spike_chunks = [(nodes, steps)]
        return self.spike_chunks[0]

    # ---------------------------------------------------------------------------------- build --
    def _build(self) -> None:
        """Assemble the engine arrays from the populations and projections."""
        cfg = self.config
        h = self.dt
        n = self.n_neurons
        par = {name: np.zeros(n) for name in ("v_rest", "cm", "tau_m", "tau_refrac",
                                              "tau_syn_E", "tau_syn_I", "i_offset", "v_reset",
                                              "v_thresh", "e_rev_E", "e_rev_I")}
        is_cond = np.zeros(n, np.bool_)
        extra_noise = np.zeros(n)       # per-cell membrane noise of set_membrane_noise()
        pois: dict[str, list[np.ndarray]] = {"node": [], "rate": [], "start": [], "stop": []}
        arr_nodes, arr_lists = [], []
        for pop in self.populations:
            kind = pop.celltype.engine_kind
            if kind == "neuron":
                slots = pop._slots
                for key in par:
                    if key in pop._parameters:
                        par[key][slots] = pop._parameters[key]
                is_cond[slots] = pop.celltype.conductance_based
                extra_noise[slots] = pop._membrane_noise
            elif kind == "poisson":
                pois["node"].append(pop._nodes)
                pois["rate"].append(np.broadcast_to(pop._parameters["rate"], pop.size) / 1000.0)
                start = np.broadcast_to(pop._parameters["start"], pop.size).astype(float)
                pois["start"].append(start)
                pois["stop"].append(start + np.broadcast_to(pop._parameters["duration"],
                                                            pop.size))
            else:
                arr_nodes.append(pop._nodes)
                for seq in pop._parameters["spike_times"]:
                    times = np.asarray(getattr(seq, "value", seq), dtype=float).ravel()
                    arr_lists.append(np.sort(np.rint(times / h).astype(np.int64)))
        # fixed-pattern noise (frozen per slot)
        z = {key: value[:n] for key, value in self.fpn.items()}
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
        a = {
            "is_cond": is_cond, "e_leak": eff["v_rest"], "inv_cm": 1.0 / cm,
            "g_leak": cm / tau_m, "e_exc": eff["e_rev_E"], "e_inh": eff["e_rev_I"],
            "i_off": eff["i_offset"], "v_th": eff["v_thresh"], "v_reset": eff["v_reset"],
            "ref_steps": np.rint(eff["tau_refrac"] / h).astype(np.int64),
            "de_full": np.exp(-h / tau_e), "de_half": np.exp(-0.5 * h / tau_e),
            "di_full": np.exp(-h / tau_i), "di_half": np.exp(-0.5 * h / tau_i),
            "tau_e": tau_e, "tau_i": tau_i, "p22": np.exp(-h / tau_m),
            "p21e": engine.psc_propagators(h, tau_m, tau_e, cm),
            "p21i": engine.psc_propagators(h, tau_m, tau_i, cm),
            "p20": tau_m / cm * (1.0 - np.exp(-h / tau_m)),
            # the chip's own temporal noise and the per-cell extra noise are independent
            # sources: their amplitudes add in quadrature (per step: amp * sqrt(h) * N(0, 1))
            "noise_amp": np.hypot(cfg.membrane_noise_mV_per_sqrt_ms, extra_noise) * np.sqrt(h),
        }
        def cat(xs, dt=float):
            return np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)

        a["pois_node"] = cat(pois["node"], np.int64)
        a["pois_rate"] = cat(pois["rate"])
        a["pois_start"] = cat(pois["start"])
        a["pois_stop"] = cat(pois["stop"])
        a["pois_next"] = np.full(a["pois_node"].size, -1.0)
        a["arr_node"] = cat(arr_nodes, np.int64)
        lengths = np.array([len(x) for x in arr_lists], np.int64)
        a["arr_ptr"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        a["arr_steps"] = cat(arr_lists, np.int64)
        a["arr_pos"] = a["arr_ptr"][:-1].copy()
        # synapses
        projections = [p for p in self.projections if len(p)]
        n_nodes = self.id_counter
        if projections:
            pre = np.concatenate([p._pre_node for p in projections])
            post = np.concatenate([p._post_slot for p in projections])
            w = np.concatenate([p._effective_weights() for p in projections])
            rec = np.concatenate([np.full(len(p), p._receptor_code, np.int8)
                                  for p in projections])
            syn = np.concatenate([p._syn_offset + np.arange(len(p)) for p in projections])
            c_amp = np.concatenate([p._sensor["c_amp"] for p in projections])
            a_amp = np.concatenate([p._sensor["a_amp"] for p in projections])
            c_itau = np.concatenate([p._sensor_itau("c") for p in projections])
            a_itau = np.concatenate([p._sensor_itau("a") for p in projections])
        else:
            pre = post = syn = np.zeros(0, np.int64)
            w = c_amp = a_amp = c_itau = a_itau = np.zeros(0)
            rec = np.zeros(0, np.int8)
        order = np.argsort(pre, kind="stable")
        a["order"] = order
        a["out_ptr"] = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=n_nodes))]
                                      ).astype(np.int64)
        a["out_post"] = post[order].astype(np.int64)
        a["out_w"] = w[order].astype(float)
        a["out_rec"] = rec[order]
        a["out_syn"] = syn[order].astype(np.int64)
        order_in = np.argsort(post, kind="stable")
        a["in_ptr"] = np.concatenate([[0], np.cumsum(np.bincount(post, minlength=n))]
                                     ).astype(np.int64)
        a["in_pre"] = pre[order_in].astype(np.int64)
        a["in_syn"] = syn[order_in].astype(np.int64)
        sensor_c_amp = np.zeros(self.n_syn)
        sensor_a_amp = np.zeros(self.n_syn)
        sensor_c_itau = np.zeros(self.n_syn)
        sensor_a_itau = np.zeros(self.n_syn)
        sensor_c_amp[syn] = c_amp
        sensor_a_amp[syn] = a_amp
        sensor_c_itau[syn] = c_itau
        sensor_a_itau[syn] = a_itau
        a["c_amp"], a["a_amp"] = sensor_c_amp, sensor_a_amp
        a["c_itau"], a["a_itau"] = sensor_c_itau, sensor_a_itau
        a["rec_slot"] = np.array([k[0] for k in self.analog_columns], np.int64)
        a["rec_var"] = np.array([k[1] for k in self.analog_columns], np.int64)
        self._arrays = a
        self._structure_dirty = False
        self._weights_dirty = False

    # ------------------------------------------------------------------------------------ run --
    def run(self, simtime: float) -> None:
        self.run_until(self.t + simtime)

    def run_until(self, tstop: float) -> None:
        n_steps = int(round((tstop - self.t) / self.dt))
        self.running = True
        if n_steps <= 0:
            return
        wall = time.perf_counter()
        if self._structure_dirty or self._arrays is None:
            self._build()
        elif self._weights_dirty:
            self._refresh_weights()
        a = cast("dict[str, np.ndarray]", self._arrays)   # (re)built just above
        every = self.rec_every or 1
        n_cols = len(self.analog_columns)
        n_samp = engine.n_samples_in(self.step, n_steps, every) if n_cols else 0
        rec_buf = np.empty((n_samp, n_cols))
        capacity = max(1024, int(self.node_rec.sum()) * 8)
        spk_node = np.empty(capacity, np.int64)
        spk_step = np.empty(capacity, np.int64)
        spk_node, spk_step, n_spk = engine.advance(
            n_steps, self.step, self.dt,
            a["is_cond"], a["e_leak"], a["inv_cm"], a["g_leak"], a["e_exc"], a["e_inh"],
            a["i_off"], a["v_th"], a["v_reset"], a["ref_steps"], a["de_full"], a["de_half"],
            a["di_full"], a["di_half"], a["tau_e"], a["tau_i"], a["p22"], a["p21e"],
            a["p21i"], a["p20"], a["noise_amp"],
            self.v, self.ge, self.gi, self.refr, self.neuron_node,
            a["pois_node"], a["pois_rate"], a["pois_start"], a["pois_stop"], a["pois_next"],
            a["arr_node"], a["arr_ptr"], a["arr_steps"], a["arr_pos"],
            a["out_ptr"], a["out_post"], a["out_w"], a["out_rec"], a["out_syn"],
            a["in_ptr"], a["in_pre"], a["in_syn"], self.node_neuron,
            self.n_syn > 0, self.causal, self.acausal, a["c_amp"], a["c_itau"], a["a_amp"],
            a["a_itau"], self.last_spike,
            self.pend_node, self.pend_n, self.ring_e, self.ring_i,
            self.node_rec, spk_node, spk_step, 0, a["rec_slot"], a["rec_var"], every, rec_buf,
            self.rng)
        if n_spk:
            self.spike_chunks.append((spk_node[:n_spk].copy(), spk_step[:n_spk].copy()))
        if n_samp:
            first = -(-self.step // every) * every
            for c, key in enumerate(self.analog_columns):
                if self.analog_first_step.get(key) is None:
                    self.analog_first_step[key] = first
                self.analog_data[key].append(rec_buf[:, c].copy())
        self.step += n_steps
        self.n_runs += 1
        self.hardware_time_s += (self.config.hardware_seconds(n_steps * self.dt)
                                 + self.config.run_overhead_s)
        self.wall_time_s += time.perf_counter() - wall

    def count_update(self) -> None:
        """Account one plasticity-processor/host access (weight write or sensor read)."""
        self.n_updates += 1
        self.hardware_time_s += self.config.update_overhead_s


def check_delay(delay, chip_delay: float, label: str) -> None:
    """Only the chip's one delay exists (every synapse has it)."""
    values = np.atleast_1d(np.asarray(delay, dtype=float))
    values = values[~np.isnan(values)]
    if values.size and np.any(np.abs(values - chip_delay) > 1e-9):
        bad = values[np.argmax(np.abs(values - chip_delay))]
        raise HardwareLimitError(
            f"bss2: delay {bad:g} ms in {label!r} is not supported: the chip has no "
            f"configurable synaptic delays (every synapse has {chip_delay:g} ms, the "
            "profile's synaptic_delay_ms or one time step); omit the delay argument.")


state = State()
