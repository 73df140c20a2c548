"""The bss2 emulator's kernel: fixed networks reproduce pinned fingerprints, bit for bit.

Each fingerprint is the sha256 of every spike time, analog sample, sensor value and counter a
fixed network produces through the PyNN API (or through the salbench adapter).  They were
taken before the emulator was split into a PyNN-free kernel and a PyNN shell, so they pin
that the split changed no spike, trace, sensor value or random stream.  A deliberate change
of the model re-pins them (print them with ``python tests/test_bss2_fingerprints.py``).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import salbench.simulators.bss2 as sim


class _Digest:
    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def add(self, *items) -> None:
        for item in items:
            arr = np.ascontiguousarray(np.asarray(item))
            self._h.update(str((arr.dtype.str, arr.shape)).encode())
            self._h.update(arr.tobytes())

    def block(self, block) -> None:
        for segment in block.segments:
            for train in segment.spiketrains:
                self.add(int(train.annotations["source_index"]), train.magnitude)
            for signal in sorted(segment.analogsignals, key=lambda s: s.name):
                self.add(signal.name, signal.magnitude, float(signal.t_start.magnitude),
                         signal.array_annotations["channel_index"])

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _counters(digest: _Digest) -> None:
    state = sim.state
    digest.add(state.hardware_time_s, state.n_runs, state.n_updates, state.step)


def _cond_network(profile: str, noise: bool = False, **settings) -> str:
    """Recurrent IF_cond_exp network: Poisson background, a timed Poisson source, spike arrays
    (with coincident spikes), heterogeneous parameters, chunked runs with weight writes and a
    parameter change between them, sensors read and reset, then reset() and a second run."""
    digest = _Digest()
    sim.setup(timestep=0.1, profile=profile, rng_seed=7, settings=settings or None)
    n = 20
    cells = sim.Population(n, sim.IF_cond_exp(
        cm=0.2, tau_m=np.linspace(1.0, 3.0, n), e_rev_E=0.0, e_rev_I=-100.0, v_thresh=-50.0,
        v_reset=-53.0, v_rest=np.linspace(-55.0, -52.0, n),
        tau_refrac=np.where(np.arange(n) % 3 == 0, 2.0, 10.0), tau_syn_E=10.0, tau_syn_I=5.0,
        i_offset=np.linspace(0.0, 0.05, n)), label="cells")
    cells.initialize(v=np.linspace(-60.0, -51.0, n))
    exc = sim.Population(n, sim.SpikeSourcePoisson(rate=3000.0), label="exc")
    inh = sim.Population(n, sim.SpikeSourcePoisson(rate=3000.0), label="inh")
    burst = sim.Population(3, sim.SpikeSourcePoisson(rate=200.0, start=50.0, duration=100.0),
                           label="burst")
    arrays = sim.Population(4, sim.SpikeSourceArray(spike_times=[
        [1.0, 10.0, 10.0, 10.04, 55.5], [3.3, 120.0], [], [0.1, 0.2, 0.3, 199.9, 230.0]]),
        label="arrays")
    sim.Projection(exc, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="excitatory")
    sim.Projection(inh, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.001),
                   receptor_type="inhibitory")
    ff = sim.Projection(burst, cells, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(3)),
                        sim.StaticSynapse(weight=0.004), receptor_type="excitatory")
    arr = sim.Projection(arrays, cells, sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.006), receptor_type="excitatory")
    rec_e = sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(4)),
                           sim.StaticSynapse(weight=0.002), receptor_type="excitatory")
    rec_i = sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(5)),
                           sim.StaticSynapse(weight=0.003), receptor_type="inhibitory")
    if noise:
        sim.set_membrane_noise(cells[0:10], np.linspace(0.1, 1.0, 10))
    cells.record("spikes")
    arrays.record("spikes")
    burst.record("spikes")
    cells[0:5].record(["v", "gsyn_exc"])
    cells[5:8].record("gsyn_inh")
    sim.run(100.0)
    for prj in (rec_e, ff):
        digest.add(*prj.read_correlations())                          # reset=True
    w = ff.get_weight_matrix()
    ff.set_weight_matrix(np.where(w > 0, w * 1.37, 0.0))              # stochastic rounding
    codes = rec_i.get_integer_weights()
    rec_i.set_integer_weights(np.where(codes >= 0, (codes + 1) % 7, 0))
    sim.run(50.0)
    cells[2:4].set(tau_m=2.5)
    sim.run(50.05)                                                    # rounds to 501 steps
    for prj in (rec_e, rec_i, ff, arr):
        digest.add(*prj.read_correlations(reset=False))
        digest.add(prj.get_weight_matrix())
    digest.add(np.array(sorted(cells.get_spike_counts().items())))
    digest.block(cells.get_data())
    digest.block(arrays.get_data())
    digest.block(burst.get_data())
    _counters(digest)
    sim.reset()
    sim.run(80.0)
    digest.add(*rec_e.read_correlations())
    digest.block(cells.get_data())
    _counters(digest)
    sim.end()
    return digest.hexdigest()


def _curr_network(profile: str) -> str:
    """IF_curr_exp network: offsets, spike arrays, Poisson background, an inhibitory
    projection (negative weights), integer weight writes between three chunks."""
    digest = _Digest()
    sim.setup(timestep=0.1, profile=profile, rng_seed=11)
    n = 12
    cells = sim.Population(n, sim.IF_curr_exp(
        cm=0.25, tau_m=np.linspace(5.0, 15.0, n), v_thresh=-50.0, v_reset=-65.0,
        v_rest=-65.0, tau_refrac=2.0, tau_syn_E=np.linspace(2.0, 5.0, n), tau_syn_I=5.0,
        i_offset=np.linspace(0.1, 0.5, n)))
    arrays = sim.Population(3, sim.SpikeSourceArray(spike_times=[
        [5.0, 5.0, 40.0], [12.3, 12.4, 90.0], [60.0]]))
    bg = sim.Population(n, sim.SpikeSourcePoisson(rate=800.0))
    sim.Projection(bg, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1),
                   receptor_type="excitatory")
    sim.Projection(arrays, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5),
                   receptor_type="excitatory")
    inh = sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.4, rng=sim.NumpyRNG(9)),
                         sim.StaticSynapse(weight=-0.3), receptor_type="inhibitory")
    rec = sim.Projection(cells, cells, sim.AllToAllConnector(allow_self_connections=False),
                         sim.StaticSynapse(weight=0.2), receptor_type="excitatory")
    cells.record(["spikes", "v"])          # IF_curr_exp records no isyn in PyNN
    sim.run(50.0)
    codes = rec.get_integer_weights()
    rec.set_integer_weights(np.where(codes >= 0, 3, 0))
    sim.run(50.0)
    inh.set(weight=-0.1)
    sim.run(50.0)
    digest.add(*rec.read_correlations(reset=False), *inh.read_correlations())
    digest.block(cells.get_data())
    _counters(digest)
    sim.end()
    return digest.hexdigest()


def _growing_network(profile: str) -> str:
    """A network that grows and changes its recordings between runs: data read with clear,
    a recording added after a run (its column starts later), record(None), a population and
    a projection created after a run (state, ring buffer and sensors grow)."""
    digest = _Digest()
    sim.setup(timestep=0.1, profile=profile, rng_seed=3)
    params = dict(cm=0.2, tau_m=1.0, e_rev_E=0.0, e_rev_I=-100.0, v_thresh=-50.0,
                  v_reset=-53.0, v_rest=-52.5, tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=5.0)
    a = sim.Population(6, sim.IF_cond_exp(**params))
    bg = sim.Population(6, sim.SpikeSourcePoisson(rate=2000.0))
    sim.Projection(bg, a, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.0012),
                   receptor_type="excitatory")
    rec = sim.Projection(a, a, sim.AllToAllConnector(allow_self_connections=False),
                         sim.StaticSynapse(weight=0.001), receptor_type="excitatory")
    a.record(["spikes", "v"])
    bg.record("spikes")
    sim.run(40.0)
    # one variable per call, as pinned: these calls were chosen while reading spikes with
    # clear also cleared v (in PyNN's hash-dependent reading order), a bug since fixed (see
    # test_bss2_recording.py); one get_data(clear=True) would now return the same data, but
    # in another order of the digest
    digest.block(a.get_data("v"))
    digest.block(a.get_data("spikes", clear=True))
    a[3:5].record("gsyn_exc")
    bg.record(None)
    sim.run(30.0)
    b = sim.Population(4, sim.IF_cond_exp(**params))
    b.initialize(v=-52.0)
    late = sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.003),
                          receptor_type="excitatory")
    sim.Projection(bg[0:4], b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.0015),
                   receptor_type="inhibitory")
    b.record(["spikes", "v", "gsyn_inh"])
    sim.run(60.0)
    for prj in (rec, late):
        digest.add(*prj.read_correlations())
    for pop in (a, b, bg):
        digest.block(pop.get_data())
    _counters(digest)
    sim.end()
    return digest.hexdigest()


def _pair_protocol(profile: str) -> str:
    """The salbench adapter: SAL on the pair protocol through the sensors and weight writes."""
    from salbench.backends.bss2 import Bss2Backend
    from salbench.protocols.pair import PairParams, PairProtocol
    from salbench.runner.backend_sources import resolve_backend

    backend = Bss2Backend(resolve_backend(profile).settings)
    backend.setup(0)
    result = PairProtocol(PairParams(epochs=3, epoch_ms=500.0, eta=2.0), seed=1).run(backend)
    digest = _Digest()
    for key in sorted(result.series):
        digest.add(key, np.asarray(result.series[key], dtype=float))
    counters = backend.counters()
    digest.add(counters["hardware_time_s"], counters["n_runs"], counters["n_updates"])
    backend.end()
    return digest.hexdigest()


CASES = {
    "cond-bss2": lambda: _cond_network("bss2"),
    "cond-bss2-ideal": lambda: _cond_network("bss2-ideal"),
    "cond-bss2-uncalibrated": lambda: _cond_network("bss2-uncalibrated"),
    "cond-bss2-noise": lambda: _cond_network("bss2", noise=True),
    "cond-ideal-noise": lambda: _cond_network("bss2-ideal", noise=True),
    "cond-bss2-sensor-tau": lambda: _cond_network("bss2", sensor_tau_ms=7.0,
                                                  synaptic_delay_ms=0.3),
    "curr-bss2": lambda: _curr_network("bss2"),
    "grow-bss2": lambda: _growing_network("bss2"),
    "grow-bss2-ideal": lambda: _growing_network("bss2-ideal"),
    "curr-bss2-ideal": lambda: _curr_network("bss2-ideal"),
    "pair-bss2": lambda: _pair_protocol("bss2"),
    "pair-bss2-ideal": lambda: _pair_protocol("bss2-ideal"),
    "pair-bss2-uncalibrated": lambda: _pair_protocol("bss2-uncalibrated"),
}

#: fingerprints taken on the emulator before the kernel split (commit ca891ec); the four
#: cond-bss2* cases re-pinned on purpose when PyNN's spike trains came to include a crossing
#: in a run's last step (stamped t_stop, as pyNN.nest reports it): with that report switched
#: off they equal the pre-split values.  Re-pinned on purpose when the ADC's offset and gain
#: mismatch moved from per synapse to per synapse column (issue 13): the seven cases whose
#: sensors are read through a mismatched ADC (cond-bss2, cond-bss2-noise, cond-bss2-sensor-tau,
#: cond-bss2-uncalibrated, curr-bss2, grow-bss2, pair-bss2); with adc_offset_spread_codes =
#: adc_gain_spread = 0 the new and the old emulator give the same digests, so nothing else
#: changed.  pair-bss2-uncalibrated reads the ADC too but kept its digest: its few weight
#: changes stay under one weight step and the stochastic rounding's draws land on the same codes
#: Re-pinned when CI moved from an AVX-512 machine to an AVX2 one: numpy's float64 exp has its
#: own AVX-512 code, whose last bits differ from the C library's, and seven cases (the ideal
#: profiles, curr-bss2 and grow-bss2, where no quantisation rounds such bits away) changed
#: digests.  The emulator now takes exp from the C library (salbench.simulators.bss2.portable),
#: which left this AVX2 machine's digests unchanged; an AVX-512 machine now evaluates the same
#: exp (not checked there: none was at hand).
FINGERPRINTS = {
    "cond-bss2": "e33d093dd89df08213c31b0b5ab819932a6aa7fcf6f703ce61ac049fb6a2e0fe",
    "cond-bss2-ideal": "beced01589f04a8f500cc798b416e534430fac834f36c4464b342da86ca247b8",
    "cond-bss2-noise": "0c77a38ba52d2c50624035a74cbb08e93d863dd03de599d57889f160250dd1cc",
    "cond-bss2-sensor-tau": "0902c0fea1f15a1bde7c1ff6bd8c5a731487d10168c84a801badef99056040e9",
    "cond-bss2-uncalibrated": "27fa1f6e218b4cffd3fe8271f14710a8e764620ebc6e72631179d51030e7d1e5",
    "cond-ideal-noise": "109868ecd3a344ece4e0b72da3e432986df7c27c840f5454d11bc32b59111256",
    "curr-bss2": "a7906a61850123f8d500eb092d46c99bcabd02baa18f810fa9397a8cd79f8260",
    "curr-bss2-ideal": "b2a6230f60c36ce5bea5947fb99cc8a5091e6ca139f47e82b7d25d9ed5782bac",
    "grow-bss2": "0f6c7aa6e8c1d0fd16998c021bfb9c1c745a39c09a8fb1ec65fa248f050dac13",
    "grow-bss2-ideal": "aa9160955fd9fbefb1a04611336d0f7cdb8ff50918c8b97ca012d9ec787475d0",
    "pair-bss2": "726b1da94d927d80a0fa32a8c4f9c83a343cea96955ba32fbd8230a062edd99b",
    "pair-bss2-ideal": "2865e5d32edcbf4250f6077ee47bc57174298c2a481bd5188c4ffc67b174b835",
    "pair-bss2-uncalibrated": "ba8e39591d0a3947fe7b752080f326a324e47decb2af588042c62a14a5f5bc57",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fixed_network_reproduces_its_fingerprint(case):
    assert CASES[case]() == FINGERPRINTS[case]


if __name__ == "__main__":
    for name in sorted(CASES):
        print(f"    {name!r}: {CASES[name]()!r},")
