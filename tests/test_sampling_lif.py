"""The `sampling` scenario on LIF sampling units (NEST, NEURON), with the shipped backend
profiles (0.1 ms step, 1 ms delay) and a shortened `lif` profile (fixed seeds).

Checked here: with SAL the asymmetry falls by an order of magnitude; without SAL it stays
(Hebbian updates are symmetric; only the clip at |W| = 2 moves it); wake-sleep learns (D_KL
falls > 20x); and the network with SAL samples the target better than the one without.
Measured with this profile: asymmetry fall 28x / 25x (seed 1, NEST / NEURON) and 56x / 87x
(seed 2); D_KL with SAL 0.024 / 0.018 and 0.019 / 0.023, against 0.029 / 0.025 and
0.027 / 0.026 without. The full `lif` profile (5 seeds per backend) is in the closing note of
issue 4. The fall stops short of the abstract model's because SAL's fixed point on LIF units
depends on the units' rates (tests/test_sal_regime.py).
"""

from __future__ import annotations

import pytest
from conftest import shipped_backend

from salbench.protocols.sampling import SamplingParams, SamplingProtocol

#: the catalogue's lif profile, shortened 4x (601 iterations; validation phases of 50 s)
SHORT_LIF = dict(iterations=601, sleep_tau_ref=100, validation_every=300, validation_factor=50,
                 eta=0.2, eta_b=0.2, anneal_iterations=200, sal_window="exponential")


def run(backend_name: str, seed: int, **params):
    pytest.importorskip(f"pyNN.{backend_name}")
    backend = shipped_backend(backend_name)
    backend.setup(seed)
    try:
        return SamplingProtocol(SamplingParams(**params), seed).run(backend)
    finally:
        backend.end()


def check_ordering(name: str, seed: int) -> None:
    sal = run(name, seed, **SHORT_LIF, eta_sal=1.0, sigma_syn=0.8)
    nosal = run(name, seed, **SHORT_LIF, eta_sal=0.0, sigma_syn=0.8)
    assert sal.final["asymmetry_drop"] > 8, sal.final
    # Hebbian updates are symmetric: only the clip at |W| = 2 changes the asymmetry a little
    assert nosal.final["asymmetry"] == pytest.approx(nosal.final["asymmetry_start"], rel=0.03)
    assert sal.final["dkl"] < nosal.final["dkl"], (sal.final, nosal.final)
    for r in (sal, nosal):
        assert r.final["dkl"] < 0.05 * r.final["dkl_start"]  # wake-sleep learns on LIF units
        assert r.notes["regime"] == "sampling"


def test_sal_ordering_on_nest_units():
    check_ordering("nest", 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nest", "neuron"])
@pytest.mark.parametrize("seed", [1, 2])
def test_sal_ordering_on_lif_units(name, seed):
    check_ordering(name, seed)
