"""The `sampling` scenario on LIF sampling units (NEST, NEURON, bss2-ideal), with the shipped
backend profiles (0.1 ms step, 1 ms delay) and a shortened `lif` profile (fixed seeds); on
bss2-ideal, fast enough for it, the full `lif` profile.

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

#: the fixed seeds of the full-profile bss2-ideal tests: seed 2 only in the slow run (each
#: full-profile run is 15-30 s on a CI machine; the slow run also has the 20-seed paired test)
SEEDS = [1, pytest.param(2, marks=pytest.mark.slow)]

#: the catalogue's lif profile, shortened 4x (601 iterations; validation phases of 50 s)
SHORT_LIF = dict(iterations=601, sleep_tau_ref=100, validation_every=300, validation_factor=50,
                 eta=0.2, eta_b=0.2, anneal_iterations=200, sal_window="exponential")


def run(backend_name: str, seed: int, *, chip_delay_ms: float | None = None, **params):
    """One sampling run on the shipped profile; ``chip_delay_ms`` replaces a bss2 profile's
    synaptic_delay_ms (0: the chip's own, one time step)."""
    if not backend_name.startswith("bss2"):
        pytest.importorskip(f"pyNN.{backend_name}")
    backend = shipped_backend(backend_name)
    if chip_delay_ms is not None:
        hardware = {**backend.settings["hardware"], "synaptic_delay_ms": chip_delay_ms}
        backend = type(backend)({**backend.settings, "hardware": hardware})
    backend.setup(seed)
    try:
        return SamplingProtocol(SamplingParams(**params), seed).run(backend)
    finally:
        backend.end()


@functools.cache
def shortened(backend_name: str, seed: int, eta_sal: float, noise: str = "poisson",
              chip_delay_ms: float | None = None):
    """The shortened lif profile at sigma_syn = 0.8 (runs shared between tests)."""
    return run(backend_name, seed, **SHORT_LIF, eta_sal=eta_sal, sigma_syn=0.8,
               unit=LIFUnitParams(noise=noise), chip_delay_ms=chip_delay_ms)


def check_ordering(name: str, seed: int, noise: str = "poisson") -> None:
    sal = shortened(name, seed, 1.0, noise)
    nosal = shortened(name, seed, 0.0, noise)
    print(f"{name} seed {seed} {noise}: fall {sal.final['asymmetry_drop']:.0f}x, D_KL "
          f"{sal.final['dkl']:.4f} with SAL, {nosal.final['dkl']:.4f} without")
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


@functools.cache
def full_lif(backend_name: str, seed: int, eta_sal: float, chip_delay_ms: float | None = None,
             scenario: str = "sampling", sigma_plast: float = 0.0):
    """A catalogue scenario's own lif profile (white-noise unit; `sampling`: sigma_syn = 0.8,
    `sampling-plast`: sigma_syn = 0.2): 10-25 s a run on bss2-ideal, so the emulator is tested
    on the real protocol. ``eta_sal`` None keeps the profile's."""
    from salbench.runner.scenario_sources import resolve_scenario

    source = resolve_scenario(scenario)
    params = {**source.params, **source.profiles["lif"], "sigma_plast": sigma_plast}
    params.pop("timeout_s", None)
    if eta_sal is not None:
        params["eta_sal"] = eta_sal
    params["unit"] = LIFUnitParams(**params["unit"])
    return run(backend_name, seed, chip_delay_ms=chip_delay_ms, **params)


@pytest.mark.parametrize("seed", SEEDS)
def test_bss2_ideal_meets_the_sampling_criteria_with_nests_delay(seed):
    """bss2-ideal (NEST's unit and 1 ms delay) on the full lif profile: SAL removes the
    asymmetry >= 100x and halves D_KL against no SAL (README table: seeds 0-4, median fall
    151x, D_KL 0.50x; seeds 1 / 2: 151x / 199x, D_KL 0.19x / 0.35x)."""
    sal = full_lif("bss2-ideal", seed, 1.0)
    nosal = full_lif("bss2-ideal", seed, 0.0)
    print(f"seed {seed}: fall {sal.final['asymmetry_drop']:.0f}x, D_KL {sal.final['dkl']:.4f} "
          f"with SAL, {nosal.final['dkl']:.4f} without")
    assert sal.final["asymmetry_drop"] >= 100
    # Hebbian updates are symmetric: only the clip at |W| = 2 moves the asymmetry (<= 5 % here)
    assert nosal.final["asymmetry"] == pytest.approx(nosal.final["asymmetry_start"], rel=0.06)
    assert sal.final["dkl"] <= 0.5 * nosal.final["dkl"]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_delay_decides_how_much_asymmetry_sal_removes(seed):
    """bss2-ideal with NEST's 1 ms delay against the chip's own (a spike acts from the next
    0.1 ms step), full lif profile, white-noise unit: the shorter delay moves SAL's fixed point
    away from symmetric weights (README, "The synaptic delay matters to SAL"; seeds 0-4 fall
    18/151/199/29/278x with 1 ms and 12/57/73/21/115x with one step: lower on every seed)."""
    nest_delay = full_lif("bss2-ideal", seed, 1.0).final["asymmetry_drop"]
    chip_delay = full_lif("bss2-ideal", seed, 1.0, 0.0).final["asymmetry_drop"]
    print(f"seed {seed}: fall {nest_delay:.0f}x with 1 ms, {chip_delay:.0f}x with one step")
    assert nest_delay > chip_delay > 8, (nest_delay, chip_delay)


PLAST_SEEDS = list(range(20))


def _plasticity_noise_dkl(seeds):
    """D_KL with and without SAL, sampling-plast's lif profile at sigma_plast = 0.8."""
    sal = [full_lif("bss2-ideal", s, None, scenario="sampling-plast", sigma_plast=0.8)
           for s in seeds]
    nosal = [full_lif("bss2-ideal", s, 0.0, scenario="sampling-plast", sigma_plast=0.8)
             for s in seeds]
    return [r.final["dkl"] for r in sal], [r.final["dkl"] for r in nosal]


@pytest.mark.parametrize("seed", SEEDS)
def test_sal_beats_no_sal_under_plasticity_noise_on_bss2_ideal(seed):
    """sigma_syn 0.2, sigma_plast 0.8, SAL at the paper's rate (eta_sal = eta): SAL samples
    better than no SAL (seeds 1 / 2: D_KL 0.27x / 0.50x)."""
    (sal,), (nosal,) = _plasticity_noise_dkl([seed])
    print(f"seed {seed}: D_KL {sal:.4f} with SAL, {nosal:.4f} without")
    assert sal < nosal


@pytest.mark.slow
def test_sal_beats_no_sal_under_plasticity_noise_over_seeds():
    """The paper's claim (Fig. 5) as a paired test over 20 fixed seeds on bss2-ideal: D_KL with
    SAL is lower than without (one-sided Wilcoxon signed-rank, p < 0.05)."""
    from scipy import stats

    sal, nosal = _plasticity_noise_dkl(PLAST_SEEDS)
    result = stats.wilcoxon(sal, nosal, alternative="less")
    better = sum(a < b for a, b in zip(sal, nosal, strict=True))
    print(f"SAL better on {better} of {len(sal)} seeds, p = {result.pvalue:.3f}")
    assert result.pvalue < 0.05
