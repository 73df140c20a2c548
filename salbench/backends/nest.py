"""NEST through pyNN.nest, with fast weight writes and spike read-out.

Measured here (design.md section 4): `Projection.set(weight=matrix)` does one GetConnections
per target (1.2 s for 40k synapses); a cached SynapseCollection and one bulk `set` is
15-100x faster. `SynapseCollection.set(weight=list)` itself spends half its time building
its list of dicts after a `get` of the first connection, so the write here hands NEST's
low-level `llapi_set_connection_status` only the synapses whose weight changed (every
synapse lives in two projections, excitatory and inhibitory, and in a signed network one of
the two stays 0): 0.18 s -> about 0.05 s per 40k synapses. Reading the spike recorder's
events directly is 10-50x faster than `get_data`. Everything else goes through the generic
PyNN path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from salbench.backends.pynn import PyNNBackend
from salbench.realisation.network import PyNNSamplingNetwork, trains_by_unit


def _low_level_set() -> Any:
    """NEST's `llapi_set_connection_status(connections, [dict per connection])`, or None
    where this NEST has no such function (then the public `SynapseCollection.set` is used)."""
    try:
        from nest.lib.hl_api_types import nestkernel

        return nestkernel.llapi_set_connection_status
    except (ImportError, AttributeError):
        return None


def _indices(population: Any, node_ids: Any) -> np.ndarray:
    """Population indices of NEST node ids (a population's ids are sorted)."""
    ids = np.asarray(population.all_cells, dtype=int)
    node_ids = np.atleast_1d(np.asarray(node_ids, dtype=int))
    index = np.searchsorted(ids, node_ids)
    if len(node_ids) and not np.array_equal(ids[np.minimum(index, len(ids) - 1)], node_ids):
        raise RuntimeError(f"NEST reported a node outside population {population.label!r}")
    return index


class _Synapses:
    """One projection's cached SynapseCollection, its [post, pre] indices and the values last
    written (in NEST units), so a write touches only what changed."""

    def __init__(self, projection: Any) -> None:
        # a fresh GetConnections: PyNN's cached collection is not renewed when NEST re-sorts
        projection._simulator.state.stale_connection_cache = True
        self.conns = projection.nest_connections
        # one status query for both ends (each costs a full dict per synapse), and our own
        # id -> index map instead of PyNN's id_to_index, which asks NEST per call
        ends = self.conns.get(["source", "target"]) if len(self.conns) else {}
        self.post = _indices(projection.post, ends.get("target", []))
        self.pre = _indices(projection.pre, ends.get("source", []))
        # PyNN weights are uS, NEST's nS; NEST wants inhibitory conductances negative
        self.scale = 1000.0 * (-1.0 if projection.receptor_type == "inhibitory" else 1.0)
        self.last: np.ndarray | None = None
        self.set_status = _low_level_set()

    def write(self, values: np.ndarray) -> None:
        if not len(self.post):
            return
        if self.last is None or self.set_status is None:
            changed = None
        else:
            changed = np.flatnonzero(values != self.last)
            if not len(changed):
                return
            if len(changed) == len(values):
                changed = None
        if self.set_status is None:
            self.conns.set(weight=values.tolist())
        elif changed is None:
            self.set_status(self.conns._datum, [{"weight": w} for w in values.tolist()])
        else:
            datum = self.conns._datum
            self.set_status([datum[i] for i in changed.tolist()],
                            [{"weight": w} for w in values[changed].tolist()])
        self.last = values

    def read(self) -> np.ndarray:
        if not len(self.post):
            return np.zeros(0)
        return np.asarray(self.conns.get("weight"), dtype=float)


def _array_connector(pre: np.ndarray, post: np.ndarray, weights_uS: np.ndarray,
                     delay_ms: float) -> Any:
    """A PyNN connector that makes all the synapses pre[k] -> post[k] (population indices) in
    one `nest.Connect` of node-id arrays ("one_to_one" over arrays: NEST's connect_arrays).

    pyNN.nest's own connectors make them one post cell at a time, each call followed by
    parameter bookkeeping: 16.4 s for one N = 1000 all-to-all projection with
    AllToAllConnector, FromListConnector no better (155 s wall, 43 s CPU for the network's
    two projections on a loaded machine); NEST connects the same 1M synapses from arrays
    in 0.36 s. The synapses carry the projection's model and label, and their sources are
    registered with the projection, so PyNN's get/set and `nest_connections` see them as
    its own. Every parameter but weight and delay comes from the synapse type: pyNN.nest
    sets its homogeneous parameters as the labelled model's defaults when the projection
    is made, and the connector refuses heterogeneous ones."""
    import nest
    from pyNN.connectors import Connector

    class ArrayConnector(Connector):  # type: ignore[misc]
        def connect(self, projection: Any) -> None:
            for name, value in projection.synapse_type.native_parameters.items():
                if name not in ("weight", "delay") and not value.is_homogeneous:
                    raise ValueError(f"the array connector takes one {name} for all synapses")
            if not len(pre):
                return
            ids = np.asarray(projection.pre.all_cells, dtype=np.int64)
            post_ids = np.asarray(projection.post.all_cells, dtype=np.int64)
            # PyNN weights are uS, NEST's nS; NEST wants inhibitory conductances negative
            sign = -1.0 if projection.receptor_type == "inhibitory" else 1.0
            n = len(pre)
            nest.Connect(ids[pre], post_ids[post], "one_to_one", {
                "synapse_model": projection.nest_synapse_model,
                "synapse_label": np.full(n, float(projection.nest_synapse_label)),
                "weight": np.asarray(weights_uS, dtype=float) * (1000.0 * sign),
                "delay": np.full(n, float(delay_ms))})
            projection._sources.update(np.unique(ids[pre]).tolist())
            projection._simulator.state.stale_connection_cache = True

    return ArrayConnector()


class NestSamplingNetwork(PyNNSamplingNetwork):
    weights_at_connect = True
    _handles_renewed = False

    def connector(self, pre: np.ndarray, post: np.ndarray, weights_uS: np.ndarray) -> Any:
        return _array_connector(pre, post, weights_uS, self.delay_ms)

    def run(self, duration_ms: float) -> list[np.ndarray]:
        spikes = super().run(duration_ms)
        if not self._handles_renewed:
            # NEST sorts the connections by source at its first simulation after they
            # changed: handles taken before then address other synapses now. The network
            # never rewires, so handles taken after the first run stay valid.
            self.__dict__["_nest_cache"] = {}
            self._handles_renewed = True
        return spikes

    def _synapses(self, projection: Any) -> _Synapses:
        # built lazily on the first write: the base class writes the initial weights from
        # its __init__, before a subclass __init__ could run
        cache = self.__dict__.setdefault("_nest_cache", {})
        if id(projection) not in cache:
            cache[id(projection)] = _Synapses(projection)
        return cache[id(projection)]

    def write_weights(self, projection: Any, values_uS: np.ndarray) -> None:
        syn = self._synapses(projection)
        syn.write(values_uS[syn.post, syn.pre] * syn.scale)

    def read_weights(self, projection: Any) -> np.ndarray:
        syn = self._synapses(projection)
        out = np.zeros((projection.post.size, projection.pre.size))
        if len(syn.post):
            out[syn.post, syn.pre] = syn.read() / syn.scale
        return out

    def read_spikes(self) -> list[np.ndarray]:
        device = self.cells.recorder._spike_detector.device
        events = device.get("events")
        senders = np.asarray(events["senders"], dtype=int)
        times = np.asarray(events["times"], dtype=float) - self.sim.simulator.state._time_offset
        device.set(n_events=0)
        # our own id -> index map: PyNN's id_to_index queries NEST for the population's
        # first and last ids on every call (60 ms per read at N = 200)
        index = _indices(self.cells, senders)
        return trains_by_unit(index, times, self.spec.n_units)


class NestBackend(PyNNBackend):
    #: its SAL synapse type (salbench.plasticity) realises plasticity = "online"
    online_sal = True
    name = "nest"
    description = "NEST (nest-simulator) through pyNN.nest"
    requires = ("pyNN", "nest")
    pynn_module = "pyNN.nest"
    simulator_dists = ("nest-simulator",)
    network_class = NestSamplingNetwork

    @classmethod
    def prepare(cls, settings: dict[str, Any]) -> str:
        # PyNN's NEST extension first (pyNN.nest tries, and with the wheel's own nest-config
        # fails, to build it with cmake on every import that cannot load it), then the
        # import, then salbench's SAL synapse module: all cached (native-sal.md)
        import time

        from salbench.plasticity.nest_build import (
            build_pynn_extensions,
            build_sal_module,
            use_pynn_extensions,
        )

        t0 = time.perf_counter()
        build_pynn_extensions()
        use_pynn_extensions()
        t1 = time.perf_counter()
        done = super().prepare(settings)
        t2 = time.perf_counter()
        module = build_sal_module()
        t3 = time.perf_counter()
        return (f"PyNN's NEST extensions ready in {t1 - t0:.1f} s; {done}; SAL synapse module "
                f"{module} ready in {t3 - t2:.1f} s")

    def seed_kwargs(self, seed: int) -> dict[str, Any]:
        return {"rng_seed": seed}

    def setup(self, seed: int) -> None:
        # find PyNN's extension built by `salbench prepare` instead of re-running cmake
        from salbench.plasticity.nest_build import use_pynn_extensions

        use_pynn_extensions()
        super().setup(seed)
        self.sim.nest.set_verbosity("M_ERROR")
        # NEST logs every resize of its spike buffers in the kernel status, and pyNN.nest
        # reads the whole status several times per run(): with few spikes per step the log
        # grows every step and an epoch loop slows down quadratically (native-sal.md:
        # 16,612 entries after 30 s, 2 ms a call). Never shrinking keeps it at one entry;
        # results are bit-identical.
        self.sim.nest.SetKernelStatus({"spike_buffer_shrink_limit": 0.0})

    def current_noise(self, cells: Any, std_nA: float, dt_ms: float) -> list[Any]:
        """NEST's noise_generator (PyNN's NoisyCurrentSource on NEST) draws a different
        current for every target, from NEST's RNG seeded by setup(rng_seed)."""
        source = self.sim.NoisyCurrentSource(mean=0.0, stdev=std_nA, dt=dt_ms)
        source.inject_into(cells)
        return [source]
