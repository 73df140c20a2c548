"""Many NEURON NetCons at once, made by a HOC loop, for any layer (the static synapses of
salbench.backends.neuron, the SAL synapses of salbench.plasticity.neuron).

Made from Python, a NetCon costs a `gid_connect` (1.8 us), its delay (0.3 us) and above all
each weight-vector entry: `nc.weight[i] = w` and `nc._ref_weight[i]` make a HOC array object
each, 4 us (NEURON 9). The same loop in HOC takes 1.9 us a NetCon with its delay, weight and
a pointer to it (N = 1000 signed network, 2M NetCons: 12.6 s of its 14.5 s build in Python).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

_HOC_CONNECT = """
proc salbench_connect() { local k, c, ncol  localobj nc
    // $o1 ParallelContext, $o2 source gids, $o3 List of targets, $o4 target indices,
    // $o5 Matrix (row k: the first weight-vector entries of NetCon k), $6 delay,
    // $o7 List that keeps the NetCons, $o8 PtrVector to their weight[0]
    ncol = $o5.ncol()
    for k = 0, $o2.size() - 1 {
        nc = $o1.gid_connect($o2.x[k], $o3.o($o4.x[k]))
        nc.delay = $6
        for c = 0, ncol - 1 {
            if ($o5.x[k][c] != 0) { nc.weight[c] = $o5.x[k][c] }  // a new NetCon's are 0
        }
        $o7.append(nc)
        $o8.pset(k, &nc.weight)
    }
}
"""


class NetCons:
    """NetCons source[k] -> targets[target[k]], each with `delay` and weight-vector entries
    weights[k, :] (a 1-D `weights`: entry 0): the List that keeps them (`netcons.o(k)` is
    NetCon k), pointers to their weight[0], and the given source and target indices."""

    def __init__(self, gids: np.ndarray, targets: list[Any], source: np.ndarray,
                 target: np.ndarray, weights: np.ndarray, delay: float) -> None:
        from neuron import h
        from pyNN.neuron.simulator import state

        if not h.name_declared("salbench_connect"):
            h(_HOC_CONNECT)
        self.source, self.target = source, target
        columns = np.asarray(weights, dtype=float).reshape(len(source), -1) if len(source) \
            else np.zeros((0, 1))
        matrix = h.Matrix(max(1, len(source)), columns.shape[1])
        if len(source):
            matrix.from_vector(h.Vector(columns.ravel(order="F")))  # HOC's is column-major
        receptors = h.List()
        for t in targets:
            receptors.append(t)
        self.netcons = h.List()
        self.pointers = h.PtrVector(max(1, len(source)))  # a PtrVector cannot be empty
        h.salbench_connect(state.parallel_context, h.Vector(gids[source].astype(float)),
                           receptors, h.Vector(np.asarray(target, dtype=float)), matrix,
                           float(delay), self.netcons, self.pointers)

    def __len__(self) -> int:
        return len(self.source)


class LazyConnectionTable(Mapping):
    """pyNN.neuron's `Projection._connections` ({post index: {pre index: [Connection]}}) for
    NetCons the HOC loop made, filled on first use with `connection(k, pre, post)` for each
    NetCon k. PyNN reads it only in Projection.get/set, `connections` and len(); salbench's
    runs use the loop's weight pointers instead. Filling it costs 2.5 us a synapse (a
    Connection object and a list in a dict of dicts each), 4.9 s of the N = 1000 signed
    network's build."""

    def __init__(self, table: dict, made: NetCons,
                 connection: Callable[[int, int, int], Any]) -> None:
        self._table = table
        self._pending: tuple[NetCons, Callable[[int, int, int], Any]] | None = (made,
                                                                                 connection)

    def _filled(self) -> dict:
        if self._pending is not None:
            (made, connection), self._pending = self._pending, None
            for k, (i, j) in enumerate(zip(made.source.tolist(), made.target.tolist(),
                                           strict=True)):
                self._table[j][i].append(connection(k, i, j))
        return self._table

    def __getitem__(self, post: int) -> Any:
        return self._filled()[post]

    def __iter__(self) -> Iterator[int]:
        return iter(self._filled())

    def __len__(self) -> int:
        return len(self._table)
