"""Per-cell membrane noise on bss2: the emulator's stand-in for a white noise current.

NEST's noise_generator holds an independent N(0, std^2) current for dt and redraws it; through
a leaky membrane (p = exp(-dt/tau_m)) the free v is then an AR(1) process with increment
std * (tau_m/cm) * (1 - p), so var(v) = std^2 (tau_m/cm)^2 (1-p)^2 / (1-p^2).  The emulator
adds its noise after the leak of each step, and white_current_noise_mV_per_sqrt_ms(..., tau_m)
is chosen so that at h == dt it produces exactly this process.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import salbench.simulators.bss2 as sim

H = 0.1            # ms, emulator step = the current's dt
TAU_M = 1.0        # ms
CM = 0.2           # nF
STD_NA = 1.5       # nA
V_REST = -60.0
T_SIM = 2000.0     # ms
SKIP = 200         # samples (20 ms) of start-up transient left out
P = math.exp(-H / TAU_M)
#: stationary std of v under the held current (the AR(1) theory of the module docstring)
HELD_STD = STD_NA * (TAU_M / CM) * (1 - P) / math.sqrt(1 - P * P)


def _setup(seed: int, chip_noise: float = 0.0) -> None:
    # the ideal chip (no mismatch, noise or quantisation) with the given intrinsic noise
    sim.setup(timestep=H, min_delay="auto", profile="bss2-ideal",
              settings={"membrane_noise_mV_per_sqrt_ms": chip_noise}, rng_seed=seed)


def _cells(n: int, label: str | None = None):
    cells = sim.Population(n, sim.IF_cond_exp(v_rest=V_REST, v_thresh=1000.0, tau_m=TAU_M,
                                              cm=CM, tau_refrac=0.1), label=label)
    cells.initialize(v=V_REST)
    cells.record("v")
    return cells


def _v(cells) -> np.ndarray:
    """v of the last segment, samples x cells, start-up transient removed."""
    signal = cells.get_data("v").segments[-1].filter(name="v")[0]
    return np.asarray(signal.magnitude)[SKIP:]


def _white_std(amp: float) -> float:
    """Stationary std of v with white membrane noise amp (mV/sqrt(ms)) added after the leak."""
    return amp * math.sqrt(H) / math.sqrt(1 - P * P)


def _run_free(seed: int, n: int = 20, t_sim: float = T_SIM) -> np.ndarray:
    _setup(seed)
    cells = _cells(n)
    sim.set_membrane_noise(cells, sim.white_current_noise_mV_per_sqrt_ms(STD_NA, H, CM, TAU_M))
    sim.run(t_sim)
    v = _v(cells)
    sim.end()
    return v


def test_conversion_matches_the_held_current_increment():
    amp = sim.white_current_noise_mV_per_sqrt_ms(STD_NA, H, CM, tau_m_ms=TAU_M)
    # at h == dt the per-step increment equals that of the held current through the leak
    assert amp * math.sqrt(H) == pytest.approx(STD_NA * TAU_M / CM * (1 - P), rel=1e-12)
    plain = sim.white_current_noise_mV_per_sqrt_ms(STD_NA, H, CM)
    assert plain == pytest.approx(STD_NA * math.sqrt(H) / CM, rel=1e-12)
    # the plain diffusion-coefficient conversion overestimates by (h/tau)/(1-p): 5 % here
    assert plain / amp == pytest.approx((H / TAU_M) / (1 - P), rel=1e-12)
    # finer emulator steps: same stationary variance; tau_m -> infinity: the plain formula
    fine = sim.white_current_noise_mV_per_sqrt_ms(STD_NA, H, CM, TAU_M, h_ms=H / 10)
    p_fine = math.exp(-H / 10 / TAU_M)
    assert fine * math.sqrt(H / 10) / math.sqrt(1 - p_fine**2) == pytest.approx(HELD_STD)
    slow = sim.white_current_noise_mV_per_sqrt_ms(STD_NA, H, CM, tau_m_ms=1e6)
    assert slow == pytest.approx(plain, rel=1e-6)


def test_free_membrane_std_matches_the_held_current_theory():
    v = _run_free(seed=11)
    assert v.shape == (int(T_SIM / H) + 1 - SKIP, 20)   # t = 0 .. T_SIM
    measured = float(np.sqrt(np.mean((v - V_REST) ** 2)))
    assert measured == pytest.approx(HELD_STD, rel=0.03), (measured, HELD_STD)
    assert abs(float(v.mean()) - V_REST) < 0.05
    # every cell is driven (no cell left out of the per-cell amplitudes)
    per_cell = v.std(axis=0)
    assert np.all(np.abs(per_cell / HELD_STD - 1) < 0.1), per_cell / HELD_STD


def test_cells_are_independent():
    # 5 s: the std of r between independent AR(1) traces is ~ sqrt((1+p^2)/(1-p^2)/N) = 0.014
    v = _run_free(seed=12, n=4, t_sim=5000.0)
    r = np.corrcoef(v.T)
    off = r[~np.eye(r.shape[0], dtype=bool)]
    assert np.max(np.abs(off)) < 0.05, r


def test_same_seed_same_traces_other_seed_other_traces():
    a = _run_free(seed=5, n=3)
    b = _run_free(seed=5, n=3)
    c = _run_free(seed=6, n=3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_chip_noise_and_per_cell_noise_add_in_quadrature():
    chip, extra = 0.8, 1.5
    _setup(seed=21, chip_noise=chip)
    quiet = _cells(10, "quiet")
    noisy = _cells(10, "noisy")
    sim.set_membrane_noise(noisy, extra)
    sim.run(T_SIM)
    std_quiet = float(_v(quiet).std())
    std_noisy = float(_v(noisy).std())
    sim.end()
    assert std_quiet == pytest.approx(_white_std(chip), rel=0.03)
    assert std_noisy == pytest.approx(_white_std(math.hypot(chip, extra)), rel=0.03)


def test_only_the_chosen_cells_get_noise_and_it_survives_reset_and_rebuild():
    _setup(seed=31)
    cells = _cells(6)
    other = _cells(3)
    sim.set_membrane_noise(cells[2:5], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(sim.get_membrane_noise(cells), [0, 0, 1, 2, 3, 0])
    np.testing.assert_array_equal(sim.get_membrane_noise(other), [0, 0, 0])
    expected = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 0.0])
    for stage in ("first run", "after reset", "after rebuild"):
        if stage == "after reset":
            sim.reset()
        elif stage == "after rebuild":
            cells.set(tau_refrac=0.2)        # a parameter change: the engine arrays are rebuilt
        sim.run(500.0)
        std = _v(cells).std(axis=0)
        np.testing.assert_allclose(std, [_white_std(a) for a in expected], rtol=0.1, atol=1e-12,
                                   err_msg=stage)
        assert np.all(_v(other) == V_REST), stage
    sim.set_membrane_noise(sim.Assembly(cells, other), 0.0)   # 0 removes it again
    assert not sim.get_membrane_noise(cells).any()
    sim.end()


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), [1.0, -1.0, 0.0]])
def test_invalid_amplitudes_are_rejected(bad):
    _setup(seed=1)
    cells = _cells(3)
    with pytest.raises(ValueError, match="mV_per_sqrt_ms"):
        sim.set_membrane_noise(cells, bad)
    with pytest.raises(ValueError, match="mV_per_sqrt_ms"):
        sim.set_membrane_noise(cells, [1.0, 2.0])            # wrong number of values
    assert not sim.get_membrane_noise(cells).any()
    sources = sim.Population(2, sim.SpikeSourcePoisson(rate=1.0))
    with pytest.raises(ValueError, match="neurons"):
        sim.set_membrane_noise(sources, 1.0)
    sim.end()


@pytest.mark.parametrize("name, args", [("std_nA", (-1.0, H, CM)), ("dt_ms", (1.0, 0.0, CM)),
                                        ("cm_nF", (1.0, H, float("nan"))),
                                        ("tau_m_ms", (1.0, H, CM, -1.0))])
def test_invalid_conversion_arguments_are_rejected(name, args):
    with pytest.raises(ValueError, match=name):
        sim.white_current_noise_mV_per_sqrt_ms(*args)
