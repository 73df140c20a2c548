"""Alignment metrics between feedback weights B and the forward weights' transpose Wᵀ.

Pure numpy, < 1 s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from salbench.protocols.alignment import (
    alignment_angle_deg,
    gradient_alignment,
    probe_errors,
    sign_concordance,
    time_to_reach,
    weight_correlation,
)


@pytest.fixture
def W() -> np.ndarray:
    # a forward block [upper, lower] that is not square, so transposes are checked
    return np.random.default_rng(1).uniform(-0.3, 0.3, size=(10, 30))


def test_angle_is_zero_for_scaled_transpose_and_180_for_its_negative(W):
    assert alignment_angle_deg(W, W.T) == 0.0
    assert alignment_angle_deg(W, -W.T) == 180.0
    # scaling rounds the unit vector's last bits only
    assert alignment_angle_deg(W, 3.0 * W.T) == pytest.approx(0.0, abs=1e-12)


def test_small_angles_are_resolved(W):
    # B at a known small angle theta from Wᵀ: cos(theta)·Ŵᵀ + sin(theta)·Ĉ with Ĉ ⟂ Wᵀ.
    # arccos of the cosine cannot resolve 1e-7 degrees (its cosine is 1 - 1.5e-18 = 1.0)
    a = W.T / np.linalg.norm(W)
    c = np.random.default_rng(3).normal(size=a.shape)
    c -= np.sum(c * a) * a
    c /= np.linalg.norm(c)
    for theta_deg in (1e-7, 1e-3, 30.0, 179.0):
        theta = math.radians(theta_deg)
        B = math.cos(theta) * a + math.sin(theta) * c
        assert alignment_angle_deg(W, B) == pytest.approx(theta_deg, rel=1e-6)


def test_angle_matches_the_definition(W):
    B = np.random.default_rng(2).normal(size=W.T.shape) + 0.5 * W.T
    expected = math.degrees(math.acos(np.sum(W * B.T) / (np.linalg.norm(W) * np.linalg.norm(B))))
    assert alignment_angle_deg(W, B) == pytest.approx(expected)


def test_independent_random_matrices_are_near_90_degrees():
    rng = np.random.default_rng(3)
    angles = [alignment_angle_deg(rng.uniform(-1, 1, (50, 50)), rng.uniform(-1, 1, (50, 50)))
              for _ in range(200)]
    # cos ~ N(0, 1/2500): the angle's std is 57.3°/50 ≈ 1.15°
    assert np.mean(angles) == pytest.approx(90.0, abs=0.5)
    assert np.std(angles) == pytest.approx(1.15, rel=0.2)


def test_shape_mismatch_is_an_error(W):
    with pytest.raises(ValueError, match="shape of W.T"):
        alignment_angle_deg(W, W)


def test_zero_feedback_has_no_angle(W):
    assert math.isnan(alignment_angle_deg(W, np.zeros_like(W.T)))


def test_correlation_is_invariant_to_affine_maps(W):
    assert weight_correlation(W, 2.0 * W.T + 0.7) == pytest.approx(1.0)
    assert weight_correlation(W, -W.T) == pytest.approx(-1.0)


def test_sign_concordance(W):
    assert sign_concordance(W, W.T) == 1.0
    assert sign_concordance(W, -W.T) == 0.0
    B = np.random.default_rng(4).normal(size=(200, 200))
    Wr = np.random.default_rng(5).normal(size=(200, 200))
    same = round(sign_concordance(Wr, B) * B.size)
    # unrelated signs agree half the time
    assert binomtest(same, B.size, 0.5).pvalue > 0.01


def test_gradient_alignment_of_perfect_and_reversed_feedback(W):
    e = probe_errors(W.shape[0], 100, seed=0)
    assert gradient_alignment(W, W.T, e) == pytest.approx(1.0)
    assert gradient_alignment(W, 0.1 * W.T, e) == pytest.approx(1.0)
    assert gradient_alignment(W, -W.T, e) == pytest.approx(-1.0)


def test_gradient_alignment_of_unrelated_feedback_is_near_zero():
    rng = np.random.default_rng(6)
    W, B = rng.normal(size=(50, 50)), rng.normal(size=(50, 50))
    e = probe_errors(50, 500, seed=0)
    assert abs(gradient_alignment(W, B, e)) < 0.05


def test_gradient_alignment_is_the_mean_cosine_of_sent_errors(W):
    B = W.T + np.random.default_rng(7).normal(0, 0.2, size=W.T.shape)
    e = probe_errors(W.shape[0], 20, seed=3)
    cos = [np.dot(B @ x, W.T @ x) / (np.linalg.norm(B @ x) * np.linalg.norm(W.T @ x)) for x in e]
    assert gradient_alignment(W, B, e) == pytest.approx(np.mean(cos))


def test_probe_set_is_fixed_by_its_seed():
    np.testing.assert_array_equal(probe_errors(10, 5, 0), probe_errors(10, 5, 0))
    assert not np.array_equal(probe_errors(10, 5, 0), probe_errors(10, 5, 1))
    assert probe_errors(10, 5, 0).shape == (5, 10)


def test_time_to_reach():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    assert time_to_reach(t, np.array([90, 40, 19, 25]), 20.0) == 2.0
    assert math.isnan(time_to_reach(t, np.array([90, 40, 30, 25]), 20.0))
