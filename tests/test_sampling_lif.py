"""The `sampling` scenario on LIF sampling units (NEST, NEURON), with the shipped backend
profiles (0.1 ms step, 1 ms delay) and a shortened `lif` profile (fixed seeds).

Checked here: with SAL the asymmetry falls by an order of magnitude; without SAL it stays
(Hebbian updates are symmetric; only the clip at |W| = 2 moves it); wake-sleep learns (D_KL
falls > 20x); and the network with SAL samples the target better than the one without.
Measured with this profile on NEST (calibration with the weight probes at p = 0.5): Poisson
unit, asymmetry fall 43x (seed 1) and 54x (seed 2), D_KL with SAL 0.022 / 0.018 against
0.030 / 0.029 without; white-noise unit, fall 80x and 110x, D_KL 0.036 / 0.053 against
0.045 / 0.053 without (it removes more of the asymmetry but samples worse: its activation
function has Gaussian, not logistic, tails). The full `lif` profile figures are in the closing
notes. The fall stops short of the abstract model's because SAL's fixed point on LIF units
depends on the units' rates (tests/test_sal_regime.py).
"""

from __future__ import annotations

import functools

import pytest
from helpers import shipped_backend

from salbench.protocols.sampling import SamplingParams, SamplingProtocol
from salbench.spec.units import LIFUnitParams

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


@functools.cache
def shortened(backend_name: str, seed: int, eta_sal: float, noise: str = "poisson"):
    """The shortened lif profile at sigma_syn = 0.8 (runs shared between tests)."""
    return run(backend_name, seed, **SHORT_LIF, eta_sal=eta_sal, sigma_syn=0.8,
               unit=LIFUnitParams(noise=noise))


def check_ordering(name: str, seed: int, noise: str = "poisson") -> None:
    sal = shortened(name, seed, 1.0, noise)
    nosal = shortened(name, seed, 0.0, noise)
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


@pytest.mark.slow
def test_sal_ordering_on_neuron_white_noise_units():
    """NEURON with salbench's NMODL noise source (seed 1: fall 49x, D_KL 0.027 against 0.050
    without SAL)."""
    check_ordering("neuron", 1, "white")


def test_sal_ordering_on_nest_white_noise_units():
    check_ordering("nest", 1, "white")


def test_the_white_noise_unit_lets_sal_remove_more_of_the_asymmetry():
    """Fast noise moves SAL's fixed point towards the abstract neuron's (test_sal_regime.py).
    Measured with this profile on NEST: asymmetry falls 80x (seed 1) and 110x (seed 2) with the
    white-noise unit, 43x and 54x with the Poisson unit."""
    white = shortened("nest", 1, 1.0, "white").final["asymmetry_drop"]
    poisson = shortened("nest", 1, 1.0, "poisson").final["asymmetry_drop"]
    assert white > poisson > 8, (white, poisson)
