"""SAL on NEURON as a PyNN synapse type: salbench's NMODL synapse `SALExpSyn`, or its weight
adjuster `StdwaSAL` onto receptors other than an exponential conductance synapse.

Onto an ExpSyn receptor (IF_cond_exp and every pyNN.neuron cell with conductance-based
exponential synapses), each SAL NetCon targets a `SALExpSyn` (models/nmodl/sal_exp_syn.mod):
one per post cell and projection, which keeps the post cell's recent spike times, while each
NetCon keeps its weight and pairing state in its weight vector. A pre spike is one event, as
on a static synapse, and applies the rule before its PSP (lazily, as NEST's
salbench_sal_synapse does); a post spike is one event per cell.
(PyNN's design, a weight adjuster per synapse with two extra NetCons, cost 3.4x the static
simulate time at N = 1000 all-to-all, and a HOC setpointer per synapse to build.) The SAL
point process adds each weight to the conductance of the cell's ExpSyn (a POINTER, one
setpointer per post cell), so the cell's recorded gsyn_exc includes it, with the receptor's
own tau and reversal potential.

Onto any other receptor (e.g. IF_cond_alpha's AlphaSyn), the weight adjuster. Both
mechanisms (models/nmodl/*.mod) are compiled with the wheel's nrnivmodl by `salbench
prepare` (or on first use) into the salbench cache, as salbench's noise mechanism is
(salbench.nmodl), and loaded once per process.

Delays: SAL pairs the two cells' emission times (design.md 1.1). SALExpSyn receives the post
spikes at their emission times and takes t_pre = t - d at a pre spike's arrival. The weight
adjuster must
receive both spikes at their emission times; pyNN.neuron instead delays the pre -> adjuster
NetCon by d (1 - ddf) - 1e-9 and the post -> adjuster NetCon by d ddf
(dendritic_delay_fraction), which pairs t_pre with t_post + d (ddf = 1, NEST's STDP
convention) or shifts both. ddf = 0.5 would keep the pairs (both d/2) but leave the pre
1e-9 ms early, an error of 1e-9/tau in every K, and the weight would change at t_pre + d/2.
Instead `SALConnection` (the synapse type's connection_type, PyNN's own hook) sets both
NetCons' delays to 0 after PyNN wired them and keeps them there when the delay is set later:
the adjuster sees exact emission times, updates the weight at t_pre, and only the synapse's
NetCon (the PSP) carries the delay d.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from salbench.plasticity.params import parse

#: the NMODL sources of the SAL weight adjuster
NMODL_DIR = Path(__file__).parent / "models" / "nmodl"
MECHANISM = "StdwaSAL"
SYNAPSE_MECHANISM = "SALExpSyn"
#: SALExpSyn for projections whose synapses share a_causal, a_acausal and the delay
SHARED_MECHANISM = "SALExpSynHom"
#: the NetCon weight vector of a SALExpSyn connection: the rule's state (W, then last_pre and
#: nseen), then the synapse's parameters; a SALExpSynHom NetCon's has the state only
#: (models/nmodl/sal_exp_syn.inc)
W, LAST_PRE, NSEEN, A_CAUSAL, A_ACAUSAL, DELAY = 0, 1, 2, 3, 4, 5
#: the `sal` array of either, per post cell
SAL_FIELDS = {"tau": 3, "eta": 4, "w_min": 5, "w_max": 6}
#: SALExpSynHom's fields (one value per post cell) for what its projection's synapses share
SHARED_FIELDS = ("a_causal", "a_acausal", "delay")

_CLASS: type | None = None


def compile_mechanism() -> Path:
    """Compile StdwaSAL once into the cache; the folder to load."""
    from salbench.nmodl import compile_mechanisms

    return compile_mechanisms(NMODL_DIR)


def load_mechanism() -> None:
    """Compile if needed and load StdwaSAL into this process's NEURON (idempotent)."""
    import neuron
    from neuron import h

    names = (MECHANISM, SYNAPSE_MECHANISM, SHARED_MECHANISM)
    if all(hasattr(h, name) for name in names):
        return
    folder = compile_mechanism()
    if not neuron.load_mechanisms(str(folder), warn_if_already_loaded=False) or not all(
            hasattr(h, name) for name in names):
        raise RuntimeError(f"{folder} does not define {', '.join(names)}; delete it and "
                           "prepare again")


def is_exp_syn(target: Any) -> bool:
    """Whether a receptor is NEURON's ExpSyn (SALExpSyn mirrors it)."""
    return str(target.hname()).startswith("ExpSyn[")


def shares_parameters(projection: Any) -> bool:
    """Whether `projection`'s SAL synapses share one a_causal, one a_acausal and one delay
    (then SALExpSynHom keeps them per post cell, not each NetCon); decided once."""
    shared = projection.__dict__.get("_sal_shared")
    if shared is None:
        space = projection.synapse_type.parameter_space
        shared = projection._sal_shared = all(
            space[name].is_homogeneous for name in SHARED_FIELDS)
    return bool(shared)


def sal_exp_syn(projection: Any, cell: Any, receptor: Any, parameters: dict) -> Any:
    """The SALExpSyn (or SALExpSynHom) of `projection` on `cell`, made on first use beside
    the cell's ExpSyn `receptor`, whose conductance it adds its weights to, and the post
    cell's NetCon that records its spikes."""
    from neuron import h

    syns = projection.__dict__.setdefault("_sal_exp_syns", {})
    key = id(cell)
    if key not in syns:
        shared = shares_parameters(projection)
        syn = (h.SALExpSynHom if shared else h.SALExpSyn)(0.5, sec=cell)
        h.setpointer(receptor._ref_g, "gsyn", syn)
        for name, index in SAL_FIELDS.items():
            syn.sal[index] = parameters[name]
        for name in SHARED_FIELDS if shared else ():
            setattr(syn, name, parameters[name])
        # the post spikes at their emission times (delay 0), as pyNN.neuron's post -> weight
        # adjuster NetCon detects them; weight NaN marks this NetCon
        post = h.NetCon(cell.source, syn, sec=cell.source_section)
        post.threshold = 1
        post.delay = 0.0
        post.weight[W] = math.nan
        syns[key] = (syn, post)
    return syns[key][0]


def start_mid_run(netcon: Any, syn: Any) -> None:
    """The rule state of a SALExpSyn NetCon made after the run started (NEURON ran the
    INITIAL blocks of the NetCons that existed then; a later one's state is zeros, which reads
    as a pre spike at t = 0 with no post seen). Set as salbench_sal_synapse treats a new
    connection (models/salbench_sal_synapse.cpp: last_pre_ starts at NEVER, whenever the
    connection is made): its first pre spike has no causal
    pair and pairs acausally with the post cell's last spike before it, even one from before
    the connection: stored as a flush stores a settled causal pair (sal_exp_syn.inc), of
    change 0, with every post but the last already seen."""
    n_post = int(syn.npost)
    weights = netcon.weight
    if n_post == 0:  # no post spike yet: as INITIAL
        weights[LAST_PRE], weights[NSEEN] = -1e12, 0.0
    else:
        weights[LAST_PRE], weights[NSEEN] = 0.0, -float(n_post)  # -((n_post - 1) + 1)


def _connection_class() -> type:
    """A SAL connection: onto an ExpSyn receptor a NetCon into the cell's SALExpSyn;
    otherwise pyNN.neuron's plastic Connection with both weight-adjuster NetCons at delay 0."""
    from pyNN.neuron.simulator import Connection, state

    class SALConnection(Connection):  # type: ignore[misc]
        """The rule sees emission times; only the PSP is delayed."""

        syn: Any = None  # the SALExpSyn, or None: the weight-adjuster path
        shared = False  # whether syn is a SALExpSynHom

        _netcons: Any = None  # with _k: where the HOC loop's NetCon is (connect_all)
        _k = 0
        _nc: Any = None

        @property
        def nc(self) -> Any:
            return self._nc if self._nc is not None else self._netcons.o(self._k)

        @nc.setter
        def nc(self, value: Any) -> None:
            self._nc = value

        def __init__(self, projection: Any, pre: int, post: int, cell_obj: Any,
                     target_object: Any, **parameters: Any) -> None:
            if not is_exp_syn(target_object):
                super().__init__(projection, pre, post, cell_obj, target_object, **parameters)
                return
            self.presynaptic_index = pre
            self.postsynaptic_index = post
            self.syn = sal_exp_syn(projection, cell_obj, target_object, parameters)
            self.shared = shares_parameters(projection)
            nc = self.nc = state.parallel_context.gid_connect(
                int(projection.pre.all_cells[pre]), self.syn)
            weights = nc.weight
            weights[W] = parameters["weight"]
            nc.delay = parameters["delay"]
            if not self.shared:
                weights[A_CAUSAL] = parameters["a_causal"]
                weights[A_ACAUSAL] = parameters["a_acausal"]
                weights[DELAY] = parameters["delay"]
            if state.running:
                start_mid_run(nc, self.syn)

        @classmethod
        def connect_all(cls, projection: Any, pre: np.ndarray, post: np.ndarray,
                        weights: np.ndarray, delay: float, parameters: dict,
                        gids: np.ndarray, cells: list[Any], targets: list[Any]) -> None:
            """The synapses pre[k] -> post[k] (population indices), for salbench's list
            connector (one value of each other parameter for all; the pre cells' gids, the
            post cells and their receptors looked up once, by it). Onto ExpSyn receptors
            (SALExpSynHom) the NetCons are made by a HOC loop (salbench.netcons; from Python
            each weight-vector entry costs 4 us) and PyNN's connection table is filled on
            first use; otherwise through the constructor."""
            from salbench.netcons import LazyConnectionTable, NetCons

            table = projection._connections
            if all(is_exp_syn(t) for t in targets):
                # one value of each for all: SALExpSynHom, whose NetCons hold the weight
                # (and the rule's state) only
                projection._sal_shared = True
                shared = {**parameters, "delay": delay}
                posts = set(post.tolist())
                exp_syns = [sal_exp_syn(projection, cells[j], targets[j], shared)
                            if j in posts else targets[j] for j in range(len(cells))]
                entries = np.asarray(weights, dtype=float)
                made = NetCons(gids, exp_syns, pre, post, entries, delay)
                projection._salbench_netcons = made
                if state.running:
                    for k, j in enumerate(post.tolist()):
                        start_mid_run(made.netcons.o(k), exp_syns[j])

                def connection(k: int, i: int, j: int) -> Any:
                    conn = cls.__new__(cls)
                    conn.presynaptic_index, conn.postsynaptic_index = i, j
                    conn.syn, conn.shared = exp_syns[j], True
                    conn._netcons, conn._k = made.netcons, k
                    return conn

                projection._connections = LazyConnectionTable(table, made, connection)
                return
            # other receptors (or an Assembly mixing them): the constructor, which picks
            # SALExpSyn or the weight adjuster per post cell
            for i, j, w in zip(pre.tolist(), post.tolist(), weights.tolist(), strict=True):
                table[j][i].append(cls(projection, i, j, cells[j], targets[j], weight=w,
                                       delay=delay, **parameters))

        def _setup_plasticity(self, synapse_type: Any, parameters: dict) -> None:
            # PyNN's wiring pops this; its value is moot, both delays are set to 0 below
            parameters["dendritic_delay_fraction"] = 1.0
            super()._setup_plasticity(synapse_type, parameters)
            self._zero_adjuster_delays()

        def _zero_adjuster_delays(self) -> None:
            # delay 0 (not PyNN's "minus 1e-9"): the weight is updated at t_pre, before the
            # PSP at t_pre + d uses it; simultaneous pre and post spikes may then arrive in
            # either order, which stdwa_sal.mod handles (ties within its eps)
            self.pre2wa.delay = 0.0
            self.post2wa.delay = 0.0

        def _set_delay(self, d: float) -> None:
            if self.shared:
                _refuse_per_synapse(self, "delay", d)
            self.nc.delay = d
            if self.syn is None:
                self._zero_adjuster_delays()
            elif not self.shared:
                self.nc.weight[DELAY] = d  # SALExpSyn's t_pre = t - d

        # the base class's property holds the base class's setter, so re-bind it
        delay = property(Connection._get_delay, _set_delay)

    def parameter(name: str, where: Any) -> property:
        """SAL parameter `name`: on the SALExpSyn path the element of the array and index
        `where(connection)` gives (its NetCon's weight vector or its synapse's `sal`), or
        the field of the SALExpSynHom it names; else the adjuster's."""
        def get(self: Any) -> float:
            if self.syn is not None:
                holder, index = where(self)
                return getattr(holder, index) if isinstance(index, str) else holder[index]
            return getattr(self.weight_adjuster, name)

        def put(self: Any, value: float) -> None:
            if self.syn is None:
                setattr(self.weight_adjuster, name, value)
                return
            if self.shared and name in SHARED_FIELDS:
                _refuse_per_synapse(self, name, value)  # the value it has: nothing to set
                return
            holder, index = where(self)
            holder[index] = value
        return property(get, put)

    for name, index in (("a_causal", A_CAUSAL), ("a_acausal", A_ACAUSAL)):
        setattr(SALConnection, name, parameter(
            name, lambda c, name=name, index=index: (c.syn, name)
            if c.shared else (c.nc.weight, index)))
    for name, index in SAL_FIELDS.items():
        setattr(SALConnection, name, parameter(name, lambda c, index=index: (c.syn.sal, index)))
    return SALConnection


def _refuse_per_synapse(connection: Any, name: str, value: float) -> None:
    """A projection built with one a_causal, a_acausal and delay for all synapses keeps them
    per post cell (SALExpSynHom): one synapse's cannot change alone."""
    if value != getattr(connection.syn, name):
        raise ValueError(
            f"{name} of this SAL projection is one value for all its synapses (it was built "
            f"that way) and cannot be set per synapse; build the projection with per-synapse "
            f"{name} values (an array or a distribution) to change them later")


def _synapse_class() -> type:
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    from pyNN.neuron.standardmodels.synapses import BaseSynapse
    from pyNN.standardmodels import StandardSynapseType, build_translations

    class SALSynapse(BaseSynapse, StandardSynapseType):  # type: ignore[misc]
        """SAL, online, nearest-neighbour pairing, exponential window (salbench)."""

        default_parameters = {"weight": 0.0, "delay": None, "tau": 10.0, "eta": 0.001,
                              "a_causal": 1.0, "a_acausal": 1.0, "w_min": -1.0, "w_max": 1.0}
        translations = build_translations(
            ("weight", "weight"),
            ("delay", "delay"),
            ("tau", "tau"),
            ("eta", "eta"),
            ("a_causal", "a_causal"),
            ("a_acausal", "a_acausal"),
            ("w_min", "w_min"),
            ("w_max", "w_max"),
        )
        model = MECHANISM
        postsynaptic_variable = "spikes"
        # pairing on emission times: see the module docstring
        connection_type = _connection_class()

    _CLASS = SALSynapse
    return _CLASS


def set_eta(projection: Any, eta: float) -> bool:
    """eta of every SALExpSyn of `projection` (one per post cell, not per synapse); False if
    it has none (the weight-adjuster path: set per synapse)."""
    syns = projection.__dict__.get("_sal_exp_syns")
    if not syns:
        return False
    for syn, _ in syns.values():
        syn.sal[SAL_FIELDS["eta"]] = eta
    return True


def sal_synapse(sim: ModuleType, **parameters: Any) -> Any:
    """A SAL synapse type for pyNN.neuron (see salbench.plasticity.sal_synapse)."""
    params = parse(**parameters)
    load_mechanism()
    return _synapse_class()(**params.pynn_parameters())
