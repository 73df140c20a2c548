"""Equivalence instead of "agree": TOST against scipy, the three verdicts on synthetic
samples with fixed seeds, the seed estimate of an inconclusive comparison, and margins from
the protocol, the scenario TOML and --set."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from salbench.margins import Margin, MarginError, margin_for, parse_margin
from salbench.report.model import compare_samples, judge
from salbench.report.stats import seeds_to_resolve, tost


@pytest.mark.parametrize(("n_a", "n_b", "shift", "bound"),
                         [(3, 3, 0.0, 1.0), (5, 8, 0.4, 0.5), (10, 4, -0.2, 2.0)])
def test_tost_matches_scipy(n_a, n_b, shift, bound):
    rng = np.random.default_rng(n_a * 10 + n_b)
    a, b = rng.normal(0, 1, n_a), rng.normal(shift, 0.5, n_b)
    eq = tost(a.tolist(), b.tolist(), bound)
    # the two one-sided Welch tests of H0: b - a <= -bound and H0: b - a >= +bound
    lower = stats.ttest_ind(b + bound, a, equal_var=False, alternative="greater").pvalue
    upper = stats.ttest_ind(b - bound, a, equal_var=False, alternative="less").pvalue
    assert (eq.p_lower, eq.p_upper) == pytest.approx((lower, upper), rel=1e-9)
    assert eq.p == pytest.approx(max(lower, upper), rel=1e-9)
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.90)
    assert (eq.low, eq.high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    # TOST at 5 % rejects exactly when the 90 % CI lies inside ±bound
    assert (eq.p < 0.05) == (-bound < eq.low and eq.high < bound)


def test_tost_false_equivalence_rate_is_at_most_alpha():
    """Means exactly one margin apart (the boundary of H0): TOST claims equivalence in at
    most ~5 % of 2000 pairs."""
    rng = np.random.default_rng(3)
    hits = sum(tost(rng.normal(0, 1, 6).tolist(), rng.normal(1.0, 1, 6).tolist(), 1.0).p < 0.05
               for _ in range(2000))
    assert hits / 2000 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 2000)


def _verdict(a: np.ndarray, b: np.ndarray, margin: Margin | None):
    row = compare_samples("", "A", "B", "m", a.tolist(), b.tolist(), margin)
    judge([row], [a.tolist()], [b.tolist()])
    return row


def test_equivalent_when_within_the_margin_with_enough_seeds():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.040, 0.01, 20), rng.normal(0.042, 0.01, 20)
    row = _verdict(a, b, Margin(value=0.01))
    assert row.verdict == "equivalent", row.sentence
    assert "are equivalent on m" in row.sentence and "within ±0.01" in row.sentence
    # the first 3 seeds of the same data cannot show it yet: inconclusive, with an estimate
    few = _verdict(a[:3], b[:3], Margin(value=0.01))
    assert few.verdict == "inconclusive", few.sentence
    assert few.seeds is not None and 3 < few.seeds <= 20


def test_different_when_far_apart():
    rng = np.random.default_rng(2)
    row = _verdict(rng.normal(0.04, 0.01, 5), rng.normal(0.25, 0.02, 5), Margin(value=0.05))
    assert row.verdict == "different" and "differ on m" in row.sentence


def test_the_readme_case_is_inconclusive_not_agreement():
    """3 seeds, final asymmetry 0.249 vs 0.041 with a wide spread (Welch p ~ 0.2): the old
    report said 'agree'; with the pair margin it is inconclusive, and the estimate says how
    many seeds would show the difference."""
    a = np.array([0.02, 0.05, 0.053])  # nest, mean 0.041
    b = np.array([0.02, 0.15, 0.577])  # bss2, mean 0.249
    row = _verdict(a, b, Margin(value=0.05))
    assert row.diff.p > 0.05
    assert row.verdict == "inconclusive"
    assert row.seeds is not None and 3 < row.seeds < 100
    assert f"about {row.seeds} seeds per backend would resolve it" in row.sentence
    # the estimate is a real power calculation: at that n, with the observed spreads and
    # difference, a simulated Welch test rejects in about 80 % of the trials
    rng = np.random.default_rng(4)
    sa, sb = a.std(ddof=1), b.std(ddof=1)
    n = row.seeds
    rejects = sum(stats.ttest_ind(rng.normal(b.mean(), sb, n), rng.normal(a.mean(), sa, n),
                                  equal_var=False).pvalue < 0.05 for _ in range(400))
    assert 0.7 < rejects / 400 < 0.95


def test_seed_estimate_takes_the_nearer_verdict():
    # a difference just inside the margin: showing it is non-zero is easier than showing
    # it is within the margin
    near_edge = seeds_to_resolve([0.0, 0.1, 0.05], [0.95, 1.05, 1.0], 1.0)
    assert near_edge is not None and near_edge <= 3
    assert seeds_to_resolve([0.0, 0.5], [0.0, 0.5], 1.0) is not None  # equivalence only
    assert seeds_to_resolve([0.0, 0.5], [0.0, 0.5], math.inf) is None  # neither possible
    assert seeds_to_resolve([1.0, 1.0], [2.0, 2.0], 0.5) is None  # no spread to go on


def test_no_margin_can_differ_but_never_be_equivalent():
    rng = np.random.default_rng(5)
    same = _verdict(rng.normal(1, 0.01, 8), rng.normal(1, 0.01, 8), None)
    assert same.verdict == "inconclusive" and "no equivalence margin" in same.sentence
    apart = _verdict(rng.normal(1, 0.01, 8), rng.normal(2, 0.01, 8), None)
    assert apart.verdict == "different"


def test_relative_margin_is_symmetric():
    m = parse_margin("20%")
    assert m.relative and m.value == pytest.approx(0.2)
    assert m.bound(1.0, 2.0) == m.bound(2.0, 1.0) == pytest.approx(0.4)
    assert parse_margin(0.5).bound(10, 20) == 0.5


@pytest.mark.parametrize("raw", ["x", "-1", 0, "0%", True, "nan"])
def test_bad_margins(raw):
    with pytest.raises(MarginError):
        parse_margin(raw)


def test_margin_lookup_exact_then_most_specific_glob():
    ms = {"angle_deg*": Margin(value=3), "angle_deg_l*": Margin(value=4),
          "angle_deg": Margin(value=2)}
    assert margin_for(ms, "angle_deg").value == 2
    assert margin_for(ms, "angle_deg_l0").value == 4
    assert margin_for(ms, "angle_deg_tail").value == 3
    assert margin_for(ms, "dkl") is None


def test_margins_from_protocol_toml_and_set(tmp_path):
    """The protocol's margins, the scenario TOML's [margins] over them, --set over both;
    recorded with each cell but not part of its key (a margin changes no result)."""
    from salbench.runner.cells import expand_cells
    from salbench.runner.errors import ConfigError

    toml = tmp_path / "mine.toml"
    toml.write_text('[scenario]\nprotocol = "pair"\n[params]\nepochs = 2\n'
                    '[margins]\nasymmetry = "10%"\n"rate*" = 2.5\n')
    (cell,) = expand_cells([str(toml)], ["reference"], 1)
    assert cell.margins["asymmetry"] == {"value": pytest.approx(0.1), "relative": True,
                                         "why": ""}
    assert cell.margins["rate*"]["value"] == 2.5
    assert "sum_rel_change" in cell.margins  # the protocol's own stay
    (over,) = expand_cells([str(toml)], ["reference"], 1,
                           overrides=["margins.asymmetry=0.02"])
    assert over.margins["asymmetry"]["value"] == 0.02 and not over.margins["asymmetry"]["relative"]
    assert over.key == cell.key
    with pytest.raises(ConfigError, match="margins.asymmetry must be a positive number"):
        expand_cells([str(toml)], ["reference"], 1, overrides=["margins.asymmetry=-1"])
    toml.write_text('[scenario]\nprotocol = "pair"\n[margins]\ndkl = "lots"\n')
    with pytest.raises(ConfigError, match=r"\[margins\] of mine.toml: dkl"):
        expand_cells([str(toml)], ["reference"], 1)
