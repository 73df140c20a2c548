"""The plasticity processor's weight writes: whole matrices, nearest or stochastic rounding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import salbench.simulators.bss2 as sim

LSB = 0.0005  # uS, weight_lsb_uS of the shipped profiles


def _projection(rounding: str, n: int = 40, seed: int = 1):
    sim.setup(timestep=0.1, profile="bss2", settings={"processor_rounding": rounding},
              rng_seed=seed)
    cells = sim.Population(n, sim.IF_cond_exp())
    sources = sim.Population(n, sim.SpikeSourcePoisson(rate=10.0))
    return sim.Projection(sources, cells, sim.AllToAllConnector(), sim.StaticSynapse(),
                          receptor_type="excitatory")


def test_weight_matrix_round_trip_is_post_pre_and_nearest():
    prj = _projection("nearest", n=3)
    values = np.array([[1.2, 0.0, 2.6], [3.49, 10.0, 0.51], [63.0, 7.5, 4.4]]) * LSB
    prj.set_weight_matrix(values)
    expected = np.rint(values / LSB) * LSB
    expected[2, 1] = 8 * LSB                                    # numpy rounds half to even
    np.testing.assert_allclose(prj.get_weight_matrix(), expected, atol=1e-12)
    np.testing.assert_array_equal(prj.get_integer_weights(), np.rint(expected / LSB))
    np.testing.assert_allclose(prj.get("weight", format="array").T, expected, atol=1e-12)
    sim.end()


def test_stochastic_rounding_is_unbiased():
    """Writing 10.3 steps to 1600 synapses: each lands on 10 or 11, and the count of 11s is
    binomial(1600, 0.3) (two-sided binomial test)."""
    prj = _projection("stochastic")
    prj.set_weight_matrix(np.full((40, 40), 10.3 * LSB))
    codes = prj.get_integer_weights()
    assert set(np.unique(codes)) == {10, 11}
    ups = int((codes == 11).sum())
    assert stats.binomtest(ups, codes.size, 0.3).pvalue > 0.001
    prj.set_weight_matrix(codes * LSB)                          # on the grid: unchanged
    np.testing.assert_array_equal(prj.get_integer_weights(), codes)
    sim.end()


def test_stochastic_rounding_still_refuses_out_of_range():
    prj = _projection("stochastic", n=2)
    with pytest.raises(sim.HardwareLimitError, match="6-bit range"):
        prj.set_weight_matrix(np.full((2, 2), 64.0 * LSB))
    sim.end()


def test_processor_rounding_setting_is_validated():
    with pytest.raises(ValueError, match="processor_rounding"):
        sim.HardwareConfig.from_settings({"processor_rounding": "up"})
