"""The NEST and NEURON fast paths (native weight writes and spike read-out) against PyNN's
public API: weights read back equal what was written, whichever path wrote or reads them,
and a seeded network produces the same spikes through either read-out.

About 15 s (both simulators, 24 units, a few 200 ms runs).
"""

from __future__ import annotations

import numpy as np
import pytest

from salbench.backends.pynn import PyNNBackend
from salbench.realisation.network import PyNNSamplingNetwork
from salbench.spec.network import NetworkSpec
from salbench.spec.units import LIFUnitParams
from salbench.timing import PhaseTimer

N = 24


def _spec(seed: int = 0, n: int = N) -> NetworkSpec:
    rng = np.random.default_rng(seed)
    mask = ~np.eye(n, dtype=bool)
    mask[3, :] = False  # a unit without inputs: the projections need not be dense
    return NetworkSpec(weights=rng.normal(0.0, 0.5, (n, n)) * mask, biases=rng.normal(0, 0.3, n),
                       mask=mask, unit=LIFUnitParams(translation="linear"))


def _fast_backend(name: str):
    if name == "nest":
        pytest.importorskip("nest")
        from salbench.backends.nest import NestBackend

        return NestBackend({"delay_ms": 1.0}, PhaseTimer())
    pytest.importorskip("neuron")
    from salbench.backends.neuron import NeuronBackend

    return NeuronBackend({}, PhaseTimer())


def _generic_read(net: PyNNSamplingNetwork) -> np.ndarray:
    """W through PyNN's public `Projection.get`, bypassing the adapter's override (on NEST
    from a fresh GetConnections: PyNN's cached one goes stale when NEST re-sorts)."""
    state = net.sim.simulator.state
    if hasattr(state, "stale_connection_cache"):
        state.stale_connection_cache = True
    exc = PyNNSamplingNetwork.read_weights(net, net.recurrent["excitatory"])
    if hasattr(state, "stale_connection_cache"):
        state.stale_connection_cache = True
    inh = PyNNSamplingNetwork.read_weights(net, net.recurrent["inhibitory"])
    if hasattr(net, "translation"):  # the calibration-aware realisation
        return net.translation.weights(exc, inh)
    return (exc - inh) / net.unit.weight_uS


def _generic_write(net: PyNNSamplingNetwork, weights: np.ndarray) -> None:
    w = np.where(net.spec.mask, weights, 0.0)
    if hasattr(net, "translation"):  # the calibration-aware realisation
        exc, inh = net.translation.conductances(w)
    else:
        exc = np.maximum(w, 0.0) * net.unit.weight_uS
        inh = np.maximum(-w, 0.0) * net.unit.weight_uS
    PyNNSamplingNetwork.write_weights(net, net.recurrent["excitatory"], exc)
    PyNNSamplingNetwork.write_weights(net, net.recurrent["inhibitory"], inh)


@pytest.mark.parametrize("name", ["nest", "neuron"])
def test_weights_round_trip_through_fast_and_public_paths(name: str) -> None:
    backend = _fast_backend(name)
    backend.setup(3)
    try:
        spec = _spec()
        net = backend.build(spec)
        assert type(net) is not PyNNSamplingNetwork  # the adapter's fast class is in use
        rng = np.random.default_rng(1)
        expected = spec.weights
        for step in range(4):
            # fast write, read both ways; then small SAL-like changes incl. sign flips, so
            # the changed-only writes and the all-zero twin projection are exercised
            np.testing.assert_allclose(net.get_weights(), expected, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(_generic_read(net), expected, rtol=1e-12, atol=1e-15)
            expected = (expected + rng.normal(0.0, 0.3 if step else 0.0, (N, N))) * spec.mask
            net.set_weights(expected)
        net.run(50.0)  # a simulation in between must not disturb the cached handles
        np.testing.assert_allclose(net.get_weights(), expected, rtol=1e-12, atol=1e-15)
        expected = -expected
        net.set_weights(expected)  # every synapse changes projection
        np.testing.assert_allclose(_generic_read(net), expected, rtol=1e-12, atol=1e-15)
        # the public path writes, the fast path reads (the fast write itself assumes it is
        # the network's only writer: it skips synapses whose value it wrote last time)
        other = rng.normal(0.0, 0.5, (N, N)) * spec.mask
        _generic_write(net, other)
        np.testing.assert_allclose(net.get_weights(), other, rtol=1e-12, atol=1e-15)
    finally:
        backend.end()


@pytest.mark.parametrize("name", ["nest", "neuron"])
def test_signs_fixed_network_with_an_empty_projection(name: str) -> None:
    """signs_fixed with every weight >= 0: each synapse only in the excitatory projection,
    the inhibitory one empty. Both build, run, and read back through either path."""
    backend = _fast_backend(name)
    backend.setup(4)
    try:
        spec = _spec()
        spec.weights = np.abs(spec.weights)
        spec.signs_fixed = True
        net = backend.build(spec)
        assert len(net.recurrent["inhibitory"]) == 0
        assert len(net.recurrent["excitatory"]) == int(spec.mask.sum())
        net.run(20.0)
        np.testing.assert_allclose(net.get_weights(), spec.weights, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(_generic_read(net), spec.weights, rtol=1e-12, atol=1e-15)
        doubled = 2.0 * spec.weights
        net.set_weights(doubled)
        np.testing.assert_allclose(_generic_read(net), doubled, rtol=1e-12, atol=1e-15)
    finally:
        backend.end()


@pytest.mark.parametrize("n", [7, N])
@pytest.mark.parametrize("name", ["nest", "neuron"])
def test_writes_between_runs_reach_the_right_synapses(name: str, n: int) -> None:
    """A learning loop: simulate, change some weights (with sign flips), simulate again. NEST
    re-sorts its connections at the first simulation, which once made the cached handles
    write other synapses than meant (the `sampling` scenario's weights ran away on NEST)."""
    backend = _fast_backend(name)
    backend.setup(5)
    try:
        spec = _spec(2, n)  # at n = 7 NEST's first simulation re-sorts the synapses
        net = backend.build(spec)
        rng = np.random.default_rng(7)
        expected = spec.weights
        for _ in range(4):
            net.run(20.0)
            np.testing.assert_allclose(_generic_read(net), expected, rtol=1e-12, atol=1e-15)
            change = rng.random(expected.shape) < 0.3
            expected = np.where(change, rng.normal(0.0, 1.0, expected.shape), expected)
            expected = expected * spec.mask
            net.set_weights(expected)
        net.run(20.0)
        np.testing.assert_allclose(_generic_read(net), expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(net.get_weights(), expected, rtol=1e-12, atol=1e-15)
    finally:
        backend.end()


@pytest.mark.parametrize("name", ["nest", "neuron"])
def test_fast_spike_readout_equals_get_data(name: str) -> None:
    """Per interval, PyNN's `get_data` (without clearing) and then the fast read-out (which
    clears) see the same spikes. On NEST the fast read-out also holds the spikes of one
    min_delay past the interval (pyNN.nest simulates that far ahead; `get_data` hides them
    and `run` keeps them for the next interval)."""
    backend = _fast_backend(name)
    backend.setup(5)
    try:
        net = backend.build(_spec())
        total = 0
        ahead = net.sim.get_min_delay() if name == "nest" else 0.0
        for interval in range(4):
            t0 = net.t_ms
            net.sim.run(200.0)
            net._t = t0 + 200.0  # what net.run does around its read-out
            segment = net.cells.get_data("spikes", clear=False).segments[-1]
            trains = sorted(segment.spiketrains, key=lambda st: st.annotations["source_index"])
            public = [np.asarray(st.magnitude, dtype=float) for st in trains]
            fast = net.read_spikes()
            assert len(fast) == N
            for a, b in zip(fast, public, strict=True):
                assert ((a >= t0) & (a < t0 + 200.0 + ahead + 1e-9)).all()
                np.testing.assert_allclose(a[a < t0 + 200.0], b[b < t0 + 200.0], rtol=0,
                                           atol=1e-9)
                total += len(a)
            if interval == 1:
                net.set_weights(-net.spec.weights)
        assert total > 200  # the units do fire
    finally:
        backend.end()


def test_nest_run_loses_no_spike_at_interval_boundaries() -> None:
    """Spikes of consecutive `run` intervals equal those of one long run of the same seed
    (NEST restarts from a clean kernel at setup; NEURON keeps state within a process)."""
    trains = []
    for chunks in (1, 8):
        backend = _fast_backend("nest")
        backend.setup(11)
        try:
            net = backend.build(_spec())
            parts = [net.run(400.0 / chunks) for _ in range(chunks)]
            trains.append([np.concatenate(p) for p in zip(*parts, strict=True)])
        finally:
            backend.end()
    for one, many in zip(*trains, strict=True):
        np.testing.assert_allclose(one, many, rtol=0, atol=1e-9)
    assert sum(len(t) for t in trains[0]) > 100


def test_public_pynn_backend_uses_no_fast_path() -> None:
    pytest.importorskip("nest")
    backend = PyNNBackend({"pynn_module": "pyNN.nest"}, PhaseTimer())
    backend.setup(1)
    try:
        net = backend.build(_spec())
        assert type(net) is PyNNSamplingNetwork
        np.testing.assert_allclose(net.get_weights(), _spec().weights, rtol=1e-12, atol=1e-15)
    finally:
        backend.end()
