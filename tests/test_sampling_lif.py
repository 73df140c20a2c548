"""The `sampling` scenario on LIF sampling units (NEST, NEURON), the catalogue's `lif` profile.

Slow (1-2 minutes a NEURON run and 5-20 minutes a NEST run here): marked slow. It checks what
was measured with this profile, seed 0: with SAL the asymmetry falls 0.846 -> 0.58 (NEST, 1.5x)
and -> 0.22 (NEURON, 3.9x), without SAL it stays exactly (Hebbian updates are symmetric), and
wake-sleep learns (D_KL 1.7 -> 0.07-0.12). The issue's stricter acceptance (100x fall, D_KL
<= 0.5x without SAL) is not met on LIF units: units driven near saturation (~90 Hz) keep
their asymmetric pairs (design.md section 4) — see the closing note of issue 4.
"""

from __future__ import annotations

import pytest

from salbench.protocols.sampling import SamplingParams, SamplingProtocol

LIF = dict(iterations=201, sleep_tau_ref=100, validation_every=100, validation_factor=20,
           eta=0.1, eta_b=0.1)


def run(backend_name: str, seed: int, **params):
    if backend_name == "nest":
        pytest.importorskip("pyNN.nest")
        from salbench.backends.nest import NestBackend as cls
    else:
        pytest.importorskip("pyNN.neuron")
        from salbench.backends.neuron import NeuronBackend as cls
    backend = cls({"timestep_ms": 0.1})
    backend.setup(seed)
    try:
        return SamplingProtocol(SamplingParams(**params), seed).run(backend)
    finally:
        backend.end()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nest", "neuron"])
def test_sal_reduces_asymmetry_on_lif_units(name):
    sal = run(name, 0, **LIF, eta_sal=0.5, sigma_syn=0.8)
    nosal = run(name, 0, **LIF, eta_sal=0.0, sigma_syn=0.8)
    assert sal.final["asymmetry_drop"] > 1.3
    assert nosal.final["asymmetry"] > 0.9 * nosal.final["asymmetry_start"]
    for r in (sal, nosal):
        assert r.final["dkl"] < 0.2 * r.final["dkl_start"]  # wake-sleep learns on LIF units
        assert r.notes["regime"] == "sampling"
