"""Summary statistics over seeds and two-sample comparisons (scipy.stats)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Summary:
    """Mean with its confidence interval (low/high NaN when n < 2)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def finite(values: Iterable[float | None]) -> np.ndarray:
    """The finite values as a float array (None, NaN and inf dropped)."""
    out = [float(v) for v in values
           if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]
    return np.asarray(out, dtype=float)


def mean_ci(values: Iterable[float | None], level: float = 0.95) -> Summary:
    """Mean and Student-t confidence interval of the finite values (NaN when none)."""
    x = finite(values)
    if x.size == 0:
        return Summary(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if x.size == 1:
        return Summary(mean, math.nan, math.nan, 1)
    sem = float(np.std(x, ddof=1) / math.sqrt(x.size))
    if sem == 0:
        return Summary(mean, mean, mean, int(x.size))
    half = _t_quantile(0.5 + level / 2, x.size - 1) * sem
    return Summary(mean, mean - half, mean + half, int(x.size))


@dataclass(frozen=True)
class Difference:
    """B − A with the Welch confidence interval and the Welch t-test p-value."""

    diff: float
    low: float
    high: float
    p: float
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float

    @property
    def testable(self) -> bool:
        return math.isfinite(self.p)


def _t_quantile(q: float, dof: float) -> float:
    """Quantile of Student's t (scipy.stats.t.ppf without its per-call overhead)."""
    return float(special.stdtrit(dof, q))


def welch(a: Iterable[float | None], b: Iterable[float | None],
          level: float = 0.95) -> Difference:
    """Difference of means (b − a), its Welch-Satterthwaite CI, and the two-sided Welch t-test.

    Welch rather than Student because backends differ in their seed-to-seed spread; with
    n < 2 on either side there is no test (p NaN). Two constant samples give p = 1 when equal
    and p = 0 when not (the t statistic is undefined, the verdict is not)."""
    x, y = finite(a), finite(b)
    nan = math.nan
    if x.size == 0 or y.size == 0:
        return Difference(nan, nan, nan, nan, int(x.size), int(y.size),
                          float(x.mean()) if x.size else nan, float(y.mean()) if y.size else nan)
    ma, mb = float(x.mean()), float(y.mean())
    d = mb - ma
    if x.size < 2 or y.size < 2:
        return Difference(d, nan, nan, nan, int(x.size), int(y.size), ma, mb)
    va, vb = float(x.var(ddof=1)) / x.size, float(y.var(ddof=1)) / y.size
    se = math.sqrt(va + vb)
    scale = max(abs(ma), abs(mb), 1e-300)
    if se <= 1e-12 * scale:
        same = abs(d) <= 1e-12 * scale
        return Difference(d, d, d, 1.0 if same else 0.0, int(x.size), int(y.size), ma, mb)
    dof = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    half = _t_quantile(0.5 + level / 2, dof) * se
    # the Welch t-test of scipy.stats.ttest_ind(b, a, equal_var=False), computed from the
    # Student t CDF directly: 100x faster than the generic wrapper, which matters for a
    # report with thousands of tests (tests/test_report_stats.py checks they agree)
    p = float(2.0 * special.stdtr(dof, -abs(d) / se))
    return Difference(d, d - half, d + half, p, int(x.size), int(y.size), ma, mb)


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (NaN entries stay NaN and are not counted)."""
    idx = [i for i, p in enumerate(pvalues) if math.isfinite(p)]
    order = sorted(idx, key=lambda i: pvalues[i])
    m = len(order)
    out = [math.nan] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def box_stats(values: Iterable[float | None]) -> tuple[float, float, float, float, float] | None:
    """Whisker low, Q1, median, Q3, whisker high (Tukey 1.5 IQR), or None without data."""
    x = finite(values)
    if x.size == 0:
        return None
    q1, med, q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))
    iqr = q3 - q1
    lo = float(x[x >= q1 - 1.5 * iqr].min())
    hi = float(x[x <= q3 + 1.5 * iqr].max())
    return lo, q1, med, q3, hi


@dataclass(frozen=True)
class Equivalence:
    """Welch-type TOST of |B − A| < bound: the two one-sided t-tests and their p (the larger
    of the two); NaN without a bound or with n < 2 on a side."""

    bound: float
    p: float
    p_lower: float
    p_upper: float
    #: the (1 − 2 alpha) CI of B − A at alpha 0.05 (the 90 % CI): TOST at 5 % says
    #: "equivalent" exactly when it lies inside ±bound
    low: float
    high: float

    @property
    def testable(self) -> bool:
        return math.isfinite(self.p)


def _spread(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(difference of means, Welch standard error, Welch-Satterthwaite dof)."""
    va, vb = float(x.var(ddof=1)) / x.size, float(y.var(ddof=1)) / y.size
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1)) if se > 0 else math.inf
    return float(y.mean() - x.mean()), se, dof


def tost(a: Iterable[float | None], b: Iterable[float | None], bound: float,
         alpha: float = 0.05) -> Equivalence:
    """Two one-sided Welch t-tests of H0: B − A ≤ −bound and H0: B − A ≥ +bound (Schuirmann).

    Both rejected at `alpha` (p = max of the two < alpha) means the difference lies within
    ±bound: equivalence. As scipy.stats.ttest_ind(b, a, equal_var=False, alternative=...)
    with the data shifted by ∓bound (tests/test_report_stats.py checks they agree), computed
    from the t CDF directly for the report's thousands of tests."""
    x, y = finite(a), finite(b)
    nan = math.nan
    if not (math.isfinite(bound) and bound > 0) or x.size < 2 or y.size < 2:
        return Equivalence(bound, nan, nan, nan, nan, nan)
    d, se, dof = _spread(x, y)
    scale = max(abs(float(x.mean())), abs(float(y.mean())), 1e-300)
    if se <= 1e-12 * scale:  # constant samples: the verdict is the difference itself
        inside = abs(d) < bound
        p = 0.0 if inside else 1.0
        return Equivalence(bound, p, p, p, d, d)
    p_lower = float(special.stdtr(dof, -(d + bound) / se))  # H0: d <= -bound
    p_upper = float(special.stdtr(dof, (d - bound) / se))  # H0: d >= +bound
    half = _t_quantile(1 - alpha, dof) * se
    return Equivalence(bound, max(p_lower, p_upper), p_lower, p_upper, d - half, d + half)


def seeds_to_resolve(a: Iterable[float | None], b: Iterable[float | None], bound: float,
                     alpha: float = 0.05, power: float = 0.8,
                     limit: int = 10_000) -> int | None:
    """Seeds per side that would resolve an inconclusive comparison with probability `power`,
    if the observed spread of each side and the observed difference held: the fewer of
    those that show equivalence (TOST at `alpha`, possible when |B − A| < bound) and those
    that show a difference (two-sided Welch test at `alpha`, possible when B ≠ A). The usual
    normal-approximation power formula with t quantiles at the Welch dof of that n; None
    when no n up to `limit` would, or when there is no spread to go on."""
    x, y = finite(a), finite(b)
    if x.size < 2 or y.size < 2:
        return None
    d = float(y.mean() - x.mean())
    var_a, var_b = float(x.var(ddof=1)), float(y.var(ddof=1))
    if var_a + var_b <= 0:
        return None
    z_power = float(special.ndtri(power))

    def needed(gap: float, q: float) -> int | None:
        def enough(n: int) -> bool:
            va, vb = var_a / n, var_b / n
            se = math.sqrt(va + vb)
            dof = (va + vb) ** 2 / ((va**2 + vb**2) / (n - 1))
            return gap / se >= _t_quantile(q, dof) + z_power

        if gap <= 0 or not enough(limit):
            return None
        lo, hi = 2, limit  # enough() is monotone in n: bisect
        while lo < hi:
            mid = (lo + hi) // 2
            if enough(mid):
                hi = mid
            else:
                lo = mid + 1
        return lo

    options = [needed(abs(d), 1 - alpha / 2)]  # to show the difference
    if math.isfinite(bound):
        options.append(needed(bound - abs(d), 1 - alpha))  # to show equivalence
    found = [n for n in options if n is not None]
    return min(found) if found else None
