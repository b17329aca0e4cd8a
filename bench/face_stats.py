"""Small statistics for the face benchmark: exact binomial (Clopper-Pearson) intervals and a
lower-tail fit of impostor distances. Pure Python (the venv has no SciPy); any thread."""
from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (n up to ~1e6 with small k is fine)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        total += math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq)
    return min(1.0, total)


def _solve(f, target: float) -> float:
    """The p in [0, 1] where the decreasing function f(p) crosses `target` (bisection)."""
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def clopper_pearson(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Exact two-sided `conf` interval for a proportion k/n. With k = 0 the upper end is about 3.7/n
    at 95 % two-sided (3/n is the one-sided 'rule of three')."""
    if n == 0:
        return (0.0, 1.0)
    a = (1.0 - conf) / 2.0
    lower = 0.0 if k == 0 else _solve(lambda p: binom_cdf(k - 1, n, p), 1.0 - a)
    upper = 1.0 if k == n else _solve(lambda p: binom_cdf(k, n, p), a)
    return (lower, upper)


def fmt_rate(k: int, n: int) -> str:
    """'k/n (x %, 95 % CI lo-hi %)' with enough digits for small rates."""
    lo, hi = clopper_pearson(k, n)
    return f"{k}/{n} ({_pct(k / n if n else float('nan'))}; {_pct(lo)}–{_pct(hi)})"


def _pct(x: float) -> str:
    if x != x:
        return "n/a"
    if x == 0:
        return "0 %"
    return f"{100 * x:.3f} %" if x < 0.01 else f"{100 * x:.1f} %"


def normal_fit(xs: Sequence[float]) -> statistics.NormalDist:
    return statistics.NormalDist(statistics.fmean(xs), statistics.pstdev(xs))


def tail_fit(xs: Sequence[float], share: float = 0.02, min_points: int = 20) -> tuple[float, float, int]:
    """An exponential lower tail, log F(d) = a + b * d, fitted by least squares to the smallest
    `share` of the distances (at least `min_points`), F being the empirical CDF (i - 0.5) / n.
    Returns (a, b, points used). b is the tail's steepness: F falls by e for every 1/b."""
    ordered = sorted(xs)
    n = len(ordered)
    m = min(n, max(min_points, int(share * n)))
    pts = [(ordered[i], math.log((i + 0.5) / n)) for i in range(m)]
    mx = statistics.fmean(p[0] for p in pts)
    my = statistics.fmean(p[1] for p in pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    b = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else float("inf")
    return my - b * mx, b, m


def tail_threshold(a: float, b: float, far: float) -> float:
    """The distance where the fitted tail reaches `far`."""
    return (math.log(far) - a) / b
