"""NEURON through pyNN.neuron, with fast weight writes and spike read-out.

`Projection.set` walks PyNN's connection objects and sets `nc.weight[0]` one Python call at a
time; `get_data` builds a neo Block per read. Here each recurrent projection's NetCon weights
are gathered once into a NEURON `PtrVector` (pointers to every `nc.weight[0]`), so a write is
one `scatter` and a read one `gather`, both in C. Spikes come straight from the cells'
recorded `spike_times` vectors. Everything else goes through the generic PyNN path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from salbench.backends.pynn import PyNNBackend
from salbench.netcons import LazyConnectionTable, NetCons
from salbench.realisation.network import PyNNSamplingNetwork


class _NetConWeights:
    """Pointers to the weights of one projection's NetCons, with their [post, pre] indices."""

    def __init__(self, h: Any, projection: Any) -> None:
        made = getattr(projection, "_salbench_netcons", None)
        if made is not None:  # made by the list connector's HOC loop, pointers too
            self.pre, self.post, self.pointers = made.source, made.target, made.pointers
        else:
            conns = list(projection.connections)
            self.post = np.fromiter((c.postsynaptic_index for c in conns), dtype=int,
                                    count=len(conns))
            self.pre = np.fromiter((c.presynaptic_index for c in conns), dtype=int,
                                   count=len(conns))
            self.pointers = h.PtrVector(max(1, len(conns)))  # a PtrVector cannot be empty
            for i, conn in enumerate(conns):
                self.pointers.pset(i, conn.nc._ref_weight[0])
        self.h = h
        self.buffer = h.Vector(len(self.post))
        # the last values written, so unchanged projections (e.g. an all-zero inhibitory
        # twin while every weight stays positive) cost nothing
        self.last: np.ndarray | None = None

    def write(self, values: np.ndarray) -> None:
        if not len(self.post) or (self.last is not None and np.array_equal(values, self.last)):
            return
        self.buffer.from_python(values)
        self.pointers.scatter(self.buffer)
        self.last = values.copy()

    def read(self) -> np.ndarray:
        if not len(self.post):
            return np.zeros(0)
        self.pointers.gather(self.buffer)
        return self.buffer.as_numpy().copy()


def _list_connector(pre: np.ndarray, post: np.ndarray, weights_uS: np.ndarray,
                    delay_ms: float) -> Any:
    """A PyNN connector that makes the synapses pre[k] -> post[k] (population indices) in one
    loop over NetCons.

    pyNN.neuron's connectors go through `_convergent_connect` per post cell and build a full
    `Connection` per synapse (population lookups, parameter dicts): 19.3 s for one N = 1000
    all-to-all projection, 40 s CPU for the network's two (cProfile at N = 300: 3.4 s of
    3.9 s in `_convergent_connect` and `Connection.__init__`). One `gid_connect` per synapse
    is unavoidable in NEURON; static synapses are made by a HOC loop (salbench.netcons) and
    get a bare Connection holding only its indices and where its NetCon is,
    which is all that Projection.get/set use (the adapter's weight pointers come from the
    loop). A plastic synapse type gets its own connection type (salbench's SAL: one NetCon
    into the post cell's SALExpSyn; PyNN's STDP: a weight adjuster per synapse), minus the
    per-cell overhead."""
    from pyNN.connectors import Connector
    from pyNN.neuron.simulator import Connection

    class StaticConnection(Connection):  # type: ignore[misc]
        """A static synapse: its indices and where its NetCon is (PyNN's Connection reads
        weight and delay through `nc`); the Python handle of the NetCon is made on use."""

        def __init__(self, pre: int, post: int, netcons: Any, k: int) -> None:
            self.presynaptic_index = pre
            self.postsynaptic_index = post
            self._netcons = netcons
            self._k = k

        @property
        def nc(self) -> Any:
            return self._netcons.o(self._k)

    class ListConnector(Connector):  # type: ignore[misc]
        def connect(self, projection: Any) -> None:
            synapse_type = projection.synapse_type
            params: dict[str, Any] = {}
            for name, value in synapse_type.native_parameters.items():
                if name in ("weight", "delay"):
                    continue
                if not value.is_homogeneous:
                    raise ValueError(f"the list connector takes one {name} for all synapses")
                value.shape = (1,)
                params[name] = value.evaluate(simplify=True)
            delay = float(delay_ms)
            # made pre cell by pre cell: a spike's NetCons then lie together in memory, and
            # NEURON walks them in the order made (PreSyn::send, NetCon::deliver). N = 1000
            # all-to-all, made post cell by post cell instead, simulate took 1.17x the CPU
            # time with static synapses and 1.24x with SAL (medians of 20 interleaved 100 ms
            # epochs, the same spikes)
            order = np.lexsort((post, pre))
            pre_s, post_s = np.asarray(pre)[order], np.asarray(post)[order]
            weights = np.asarray(weights_uS, dtype=float)[order]
            gids = np.array([int(c) for c in projection.pre.all_cells], dtype=int)
            cells = [c._cell for c in projection.post.all_cells]
            targets = [getattr(c, projection.receptor_type) for c in cells]
            table = projection._connections
            if synapse_type.model is None:  # static: the HOC loop
                made = NetCons(gids, targets, pre_s, post_s, weights, delay)
                projection._salbench_netcons = made
                projection._connections = LazyConnectionTable(
                    table, made, lambda k, i, j: StaticConnection(i, j, made.netcons, k))
                return
            connect_all = getattr(synapse_type.connection_type, "connect_all", None)
            if connect_all is not None:  # salbench's SAL synapse
                connect_all(projection, pre_s, post_s, weights, delay, params, gids, cells,
                            targets)
                return
            for i, j, w in zip(pre_s.tolist(), post_s.tolist(), weights.tolist(), strict=True):
                conn = synapse_type.connection_type(
                    projection, i, j, cells[j], targets[j], weight=w, delay=delay, **params)
                table[j][i].append(conn)

    return ListConnector()


class NeuronSamplingNetwork(PyNNSamplingNetwork):
    weights_at_connect = True

    def connector(self, pre: np.ndarray, post: np.ndarray, weights_uS: np.ndarray) -> Any:
        return _list_connector(pre, post, weights_uS, self.delay_ms)

    def _weights_of(self, projection: Any) -> _NetConWeights:
        # built lazily on the first write: the base class writes the initial weights from
        # its __init__, before a subclass __init__ could run
        cache = self.__dict__.setdefault("_neuron_cache", {})
        if id(projection) not in cache:
            from neuron import h

            cache[id(projection)] = _NetConWeights(h, projection)
        return cache[id(projection)]

    def write_weights(self, projection: Any, values_uS: np.ndarray) -> None:
        w = self._weights_of(projection)
        w.write(np.ascontiguousarray(values_uS[w.post, w.pre], dtype=float))

    def read_weights(self, projection: Any) -> np.ndarray:
        w = self._weights_of(projection)
        out = np.zeros((projection.post.size, projection.pre.size))
        out[w.post, w.pre] = w.read()
        return out

    def read_spikes(self) -> list[np.ndarray]:
        out = []
        for cell_id in self.cells.all_cells:
            vec = cell_id._cell.spike_times  # looked up each time: sim.reset replaces it
            times = vec.as_numpy().copy()
            # a spike exactly at the end of the interval belongs to the next one; keep it
            keep = times[times >= self._t]
            vec.resize(0)
            if len(keep):
                vec.from_python(keep)
                times = times[times < self._t]
            out.append(times)
        return out


class NeuronBackend(PyNNBackend):
    #: its SAL synapse type (salbench.plasticity) realises plasticity = "online"
    online_sal = True
    name = "neuron"
    description = "NEURON (fixed step) through pyNN.neuron"
    requires = ("pyNN", "neuron")
    pynn_module = "pyNN.neuron"
    simulator_dists = ("neuron",)
    network_class = NeuronSamplingNetwork

    @classmethod
    def prepare(cls, settings: dict[str, Any]) -> str:
        # PyNN's own mechanisms (built on import) and salbench's white-noise source, so that
        # neither is compiled inside a timed run on a fresh machine
        from salbench.backends.neuron_noise import compile_mechanisms
        from salbench.plasticity.neuron import compile_mechanism

        done = super().prepare(settings)
        return (f"{done}; salbench's NMODL mechanisms compiled in {compile_mechanisms()}; "
                f"SAL weight adjuster (StdwaSAL) in {compile_mechanism()}")

    def seed_kwargs(self, seed: int) -> dict[str, Any]:
        # pyNN.neuron ignores rng_seed; its random streams are seeded from this base seed.
        return {"native_rng_baseseed": seed}

    def calibration_identity(self) -> dict[str, Any]:
        """Also the hash of salbench's NMODL sources: an edited noise mechanism is another unit."""
        from salbench.backends.neuron_noise import mechanisms_key

        return {**super().calibration_identity(), "salbench_mechanisms": mechanisms_key()}

    def current_noise(self, cells: Any, std_nA: float, dt_ms: float) -> list[Any]:
        """salbench's own NMODL source, one Random123 stream per cell seeded from the run's
        simulator seed (pyNN.neuron's NoisyCurrentSource plays one vector into every cell)."""
        from salbench.backends.neuron_noise import inject_white_noise

        return inject_white_noise(self.sim, cells, std_nA, dt_ms, seed=self._sim_seed)
