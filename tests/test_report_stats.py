"""The report's statistics agree with scipy.stats and have the coverage they claim."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from salbench.report.stats import box_stats, holm, mean_ci, welch


@pytest.mark.parametrize("n_a,n_b", [(2, 2), (3, 5), (10, 4), (30, 30)])
def test_welch_matches_scipy(n_a, n_b):
    rng = np.random.default_rng(n_a * 100 + n_b)
    a, b = rng.normal(0, 1, n_a), rng.normal(0.5, 3, n_b)
    d = welch(a.tolist(), b.tolist())
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert d.p == pytest.approx(ref.pvalue, rel=1e-9)
    assert d.diff == pytest.approx(b.mean() - a.mean())
    ci = ref.confidence_interval(0.95)
    assert (d.low, d.high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_mean_ci_matches_scipy_and_skips_missing():
    x = [1.0, 2.0, None, float("nan"), 4.5, 3.0]
    s = mean_ci(x)
    good = np.array([1.0, 2.0, 4.5, 3.0])
    low, high = stats.t.interval(0.95, 3, loc=good.mean(), scale=stats.sem(good))
    assert (s.mean, s.low, s.high, s.n) == pytest.approx((good.mean(), low, high, 4))
    assert mean_ci([]).n == 0 and np.isnan(mean_ci([2.0]).low)


def test_mean_ci_coverage_is_95_percent():
    """Over 4000 samples of n = 4 from N(1, 2^2) the interval holds the mean ~95 % of the
    time: a binomial test does not reject 0.95."""
    rng = np.random.default_rng(7)
    hits = sum(s.low <= 1.0 <= s.high
               for s in (mean_ci(rng.normal(1.0, 2.0, 4).tolist()) for _ in range(4000)))
    assert stats.binomtest(hits, 4000, 0.95).pvalue > 0.01


def test_welch_false_positive_rate_is_alpha():
    """Same distribution on both sides (unequal n): p < 0.05 in ~5 % of 3000 pairs."""
    rng = np.random.default_rng(11)
    rejects = sum(welch(rng.normal(0, 1, 3).tolist(), rng.normal(0, 1, 6).tolist()).p < 0.05
                  for _ in range(3000))
    assert stats.binomtest(rejects, 3000, 0.05).pvalue > 0.01


def test_constant_samples():
    assert welch([1.0, 1.0], [1.0, 1.0]).p == 1.0
    assert welch([1.0, 1.0], [2.0, 2.0]).p == 0.0
    assert not welch([1.0], [2.0, 3.0]).testable


def test_holm():
    assert holm([0.01, 0.04, 0.03, float("nan")])[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(holm([float("nan")])[0])


def test_box_stats():
    lo, q1, med, q3, hi = box_stats([1, 2, 3, 4, 100])
    assert (q1, med, q3) == (2, 3, 4) and lo == 1 and hi == 4  # 100 is an outlier
