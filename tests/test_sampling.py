"""The `sampling` scenario on the `reference` backend (the paper's abstract model).

A shortened protocol (the catalogue's quick profile: 1501 iterations of 200 tau_ref, eta 0.05,
eta_SAL 0.05) with a fixed seed must separate the three cases of reference-values.json: with SAL
the asymmetry falls below 0.01 and D_KL reaches the noise-free level; without SAL the asymmetry
stays at its start and D_KL stays clearly higher (seed 0: D_KL 0.0125 with SAL, 0.0097
noise-free, 0.0237 without SAL). About 20-40 s per run; the module runs three. The
full-length protocol is the `paper` profile (slow test).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from salbench.backends.reference.backend import ReferenceBackend
from salbench.protocols.sampling import SamplingParams, SamplingProtocol

QUICK = dict(iterations=1501, sleep_tau_ref=200, validation_every=300, validation_factor=50,
             eta=0.05, eta_b=0.05)


def run(seed: int, **params):
    backend = ReferenceBackend({"timing": "authors"})
    backend.setup(seed)
    proto = SamplingProtocol(SamplingParams(**params), seed)
    return proto.run(backend)


@pytest.fixture(scope="module")
def three_cases():
    return {
        "sal": run(0, **QUICK, eta_sal=0.05, sigma_syn=0.8),
        "nosal": run(0, **QUICK, eta_sal=0.0, sigma_syn=0.8),
        "noisefree": run(0, **QUICK, eta_sal=0.0, sigma_syn=0.0),
    }


def test_sal_removes_the_asymmetry(three_cases):
    sal = three_cases["sal"].final
    assert sal["asymmetry_start"] > 0.5
    assert sal["asymmetry"] < 0.01
    assert sal["asymmetry_drop"] > 50


def test_without_sal_the_asymmetry_stays(three_cases):
    nosal = three_cases["nosal"]
    # Hebbian wake-sleep updates are symmetric: W - W.T only changes through clipping
    assert nosal.final["asymmetry"] > 0.5
    assert nosal.final["asymmetry"] == pytest.approx(nosal.final["asymmetry_start"], rel=0.05)


def test_dkl_ordering(three_cases):
    sal, nosal, free = (three_cases[k].final["dkl"] for k in ("sal", "nosal", "noisefree"))
    assert sal <= 1.5 * free
    assert nosal >= 1.5 * sal  # 1.9 on this seed; the full-length protocol gives >= 2
    # all three learnt: D_KL fell by more than an order of magnitude from the start
    for case in three_cases.values():
        assert case.final["dkl"] < 0.1 * case.final["dkl_start"]


def test_same_seed_same_target_and_symmetric_start(three_cases):
    a, b = three_cases["sal"], three_cases["noisefree"]
    assert a.notes["target_weights"] == b.notes["target_weights"]
    assert three_cases["noisefree"].final["asymmetry_start"] == 0.0


def test_series_and_regime(three_cases):
    s = three_cases["sal"].series
    assert s["iteration"] == [0, 300, 600, 900, 1200, 1500]
    assert len(s["t_ms"]) == len(s["dkl"]) == len(s["asymmetry"]) == len(s["rate_hz"])
    assert np.all(np.diff(s["t_ms"]) > 0)
    assert 20 < three_cases["sal"].final["rate_hz"] < 90
    assert three_cases["sal"].notes["regime"] == "sampling"


def test_kolen_pollack_decay_removes_asymmetry():
    kp = run(1, iterations=201, sleep_tau_ref=50, validation_every=200, validation_factor=20,
             eta=0.1, eta_b=0.1, eta_sal=0.0, kp_lambda=0.02)
    assert kp.final["asymmetry"] < 0.05 * kp.final["asymmetry_start"]


def test_biological_time():
    p = SamplingParams(iterations=5, sleep_tau_ref=10, validation_every=2, validation_factor=3)
    # iterations 0, 2, 4 are validation phases (3x longer)
    assert SamplingProtocol(p, 0).biological_time_ms() == 10.0 * 10 * (3 * 3 + 2)


@pytest.mark.slow
def test_paper_profile_reproduces_reference_values():
    """reference-values.json sampling_network, full length (about 10 min a run on one core)."""
    sal = run(0, iterations=20001, eta_sal=0.01, sigma_syn=0.8).final
    nosal = run(0, iterations=20001, eta_sal=0.0, sigma_syn=0.8).final
    free = run(0, iterations=20001, eta_sal=0.0, sigma_syn=0.0).final
    assert sal["dkl"] <= 1.5 * free["dkl"]
    assert sal["asymmetry"] < 0.01
    assert nosal["asymmetry"] > 0.5
    assert nosal["dkl"] >= 2 * sal["dkl"]


def test_plasticity_noise_makes_hebbian_learning_asymmetric():
    # one Hebbian amplitude per synapse, c_ij != c_ji: the two synapses of a pair learn at
    # different speeds, so a symmetric start ends asymmetric
    free = run(2, iterations=51, sleep_tau_ref=50, validation_every=50, validation_factor=2,
               eta=0.1, eta_b=0.1, eta_sal=0.0, sigma_syn=0.0).final
    noisy = run(2, iterations=51, sleep_tau_ref=50, validation_every=50, validation_factor=2,
                eta=0.1, eta_b=0.1, eta_sal=0.0, sigma_syn=0.0, sigma_plast=0.5).final
    assert free["asymmetry"] == 0.0
    assert noisy["asymmetry_start"] == 0.0 and noisy["asymmetry"] > 1e-4


def _assert_applied(params: dict, overrides: dict, where: str) -> None:
    for key, value in overrides.items():
        if isinstance(value, dict):
            _assert_applied(params[key], value, f"{where}.{key}")
        else:
            assert params[key] == value, (where, key, params[key], value)


def test_catalogue_profiles_validate():
    """Every profile of every sampling scenario, merged and validated by the runner itself
    (scenario params, then the profile, then each sweep point), gives one valid cell per sweep
    point that holds the profile's values."""
    from salbench.runner.cells import expand_cells
    from salbench.runner.overrides import RUNNER_KEYS
    from salbench.runner.scenario_sources import resolve_scenario

    names = ["sampling", "sampling-nosal", "sampling-noisefree", "sampling-kp",
             "sampling-sweep", "sampling-plast", "sampling-plast-nosal"]
    for name in names:
        source = resolve_scenario(name)
        assert source.protocol == "sampling"
        points = list(itertools.product(*source.sweep.values()))  # [()] without a sweep
        for profile, overrides in source.profiles.items():
            cells = expand_cells([name], ["reference"], 1, profile)  # ConfigError if invalid
            assert sorted(tuple(c.sweep.values()) for c in cells) == sorted(points)
            own = {k: v for k, v in overrides.items()
                   if k not in RUNNER_KEYS and k not in source.sweep}
            for cell in cells:
                _assert_applied(cell.params, own, f"{name}:{profile}")
                _assert_applied(cell.params, cell.sweep, f"{name}:{profile} sweep")


PLAST_SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def plasticity_noise_runs():
    """The paper's Fig. 5 point sigma_syn = 0.2, sigma_plast = 0.8, with and without SAL,
    and the noise-free floor; quick profile, five seeds (about 2 s a run)."""
    cases = {"sal": dict(eta_sal=0.05, sigma_syn=0.2, sigma_plast=0.8),
             "nosal": dict(eta_sal=0.0, sigma_syn=0.2, sigma_plast=0.8),
             "free": dict(eta_sal=0.0, sigma_syn=0.0)}
    return {name: [run(s, **QUICK, **kw).final for s in PLAST_SEEDS]
            for name, kw in cases.items()}


def test_plasticity_noise_signature_of_the_paper(plasticity_noise_runs):
    """design.md section 4 (paper Fig. 5): without SAL the asymmetry grows and D_KL stays above
    the noise-free floor; with SAL the asymmetry falls and D_KL is at least 1.5x lower than
    without (medians of five seeds). Measured on seeds 0-2: without SAL the asymmetry grows
    4-6x, with SAL it falls 5-30x; D_KL 0.0139/0.0079/0.0099 with SAL against
    0.0245/0.0118/0.0164 without (floor 0.0097/0.0063/0.0049)."""
    runs = plasticity_noise_runs
    for r in runs["nosal"]:
        assert r["asymmetry"] > 2 * r["asymmetry_start"]
    for r in runs["sal"]:
        assert r["asymmetry"] < r["asymmetry_start"]
    med = {k: float(np.median([r["dkl"] for r in v])) for k, v in runs.items()}
    assert med["nosal"] > 1.5 * med["free"]
    assert med["nosal"] >= 1.5 * med["sal"]
