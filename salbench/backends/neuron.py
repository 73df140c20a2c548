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
from salbench.realisation.network import PyNNSamplingNetwork


class _NetConWeights:
    """Pointers to the weights of one projection's NetCons, with their [post, pre] indices."""

    def __init__(self, h: Any, projection: Any) -> None:
        conns = list(projection.connections)
        self.post = np.fromiter((c.postsynaptic_index for c in conns), dtype=int, count=len(conns))
        self.pre = np.fromiter((c.presynaptic_index for c in conns), dtype=int, count=len(conns))
        self.h = h
        self.pointers = h.PtrVector(max(1, len(conns)))  # a PtrVector cannot be empty
        for i, conn in enumerate(conns):
            self.pointers.pset(i, conn.nc._ref_weight[0])
        self.buffer = h.Vector(len(conns))
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


class NeuronSamplingNetwork(PyNNSamplingNetwork):
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
