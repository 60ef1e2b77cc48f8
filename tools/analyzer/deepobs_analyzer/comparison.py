"""Comparisons of optimizers across seeds and problems: Welch's t-test with Hedges' g and a 95%
confidence interval of the difference of means, time-to-target, and Dolan–Moré performance
profiles (docs/DESIGN.md, "Significance and performance profiles").

The Student t distribution is computed here from the regularized incomplete beta function
(continued fraction, modified Lentz), as runner/fidelity_stats.cpp does in C++, so that no scipy
is needed.
"""

import math

import numpy as np

TEST_NAME = "Welch's t-test (two-sided, unequal variances)"
EFFECT_SIZE_NAME = "Hedges' g (pooled-SD standardised mean difference, small-sample corrected)"
PROFILE_TAUS = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0)


def _beta_continued_fraction(a, b, x):
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)),
                    -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            return h
    raise ArithmeticError(f"incomplete beta I_{x}({a}, {b}) did not converge")


def regularized_incomplete_beta(a, b, x):
    """I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if not (a > 0 and b > 0 and 0.0 <= x <= 1.0):
        raise ValueError(f"incomplete beta needs a, b > 0 and x in [0, 1], got {a}, {b}, {x}")
    if x in (0.0, 1.0):
        return x
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
                 + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t, dof):
    """P(|T| >= |t|) for Student's t with real dof > 0."""
    if math.isnan(t):
        return float("nan")
    if math.isinf(t):
        return 0.0
    return regularized_incomplete_beta(dof / 2.0, 0.5, dof / (dof + t * t))


def t_quantile(q, dof):
    """The q-quantile (0.5 <= q < 1) of Student's t with real dof > 0, by bisection on the CDF."""
    if not 0.5 <= q < 1.0:
        raise ValueError(f"t_quantile needs 0.5 <= q < 1, got {q}")
    target = 2.0 * (1.0 - q)  # two-sided tail mass at the quantile
    lo, hi = 0.0, 1.0
    while t_two_sided_p(hi, dof) > target:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_two_sided_p(mid, dof) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-14 * hi:
            break
    return 0.5 * (lo + hi)


def _finite(x):
    return None if x is None or math.isnan(x) or math.isinf(x) else float(x)


def welch(a, b):
    """Welch's test of mean(a) = mean(b) with the difference mean(a) − mean(b), its 95% CI
    (Welch–Satterthwaite dof), and Hedges' g. Needs >= 2 finite values per side; otherwise the
    result says why and holds no test."""
    a = [float(v) for v in a if v is not None]
    b = [float(v) for v in b if v is not None]
    out = {"test": TEST_NAME, "effect_size_name": EFFECT_SIZE_NAME, "n_a": len(a), "n_b": len(b)}
    if len(a) < 2 or len(b) < 2 or not all(math.isfinite(v) for v in a + b):
        out["skipped"] = "needs at least 2 finite final values (seeds) per optimizer"
        return out
    na, nb = len(a), len(b)
    ma, mb = float(np.mean(a)), float(np.mean(b))
    va, vb = float(np.var(a, ddof=1)), float(np.var(b, ddof=1))
    diff = ma - mb
    se2 = va / na + vb / nb
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    correction = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0)
    if se2 == 0.0:  # both sides constant: no spread to test against
        t, dof, p = (0.0 if diff == 0 else math.copysign(math.inf, diff)), None, \
            (1.0 if diff == 0 else 0.0)
        half = 0.0
        g = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    else:
        t = diff / math.sqrt(se2)
        dof = se2 * se2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
        p = t_two_sided_p(t, dof)
        half = t_quantile(0.975, dof) * math.sqrt(se2)
        g = correction * diff / pooled if pooled > 0 else math.copysign(math.inf, diff)
    out.update({"mean_a": ma, "mean_b": mb, "std_a": math.sqrt(va), "std_b": math.sqrt(vb),
                "difference": diff, "ci95": [diff - half, diff + half], "t": _finite(t),
                "dof": _finite(dof), "p": p, "effect_size": _finite(g)})
    return out


def pairwise_tests(entries):
    """Welch's test for every pair of summary entries of one problem, on the final values of the
    seeds of each one's chosen setting (entry["performance"]["all_seeds"])."""
    pairs = []
    for i, x in enumerate(entries):
        for y in entries[i + 1:]:
            r = welch(x["performance"]["all_seeds"], y["performance"]["all_seeds"])
            pairs.append({"a": entry_label(x), "b": entry_label(y),
                          "metric": x["performance"]["metric"], **r})
    return pairs


def entry_label(entry):
    return entry.get("display_name", entry["optimizer"]) + (" (baseline)" if entry["baseline"]
                                                            else "")


def first_reach(curve, target, higher_is_better):
    """The first index of `curve` at or beyond `target`, or None."""
    for i, v in enumerate(curve):
        if v is not None and not math.isnan(v) and (v >= target if higher_is_better
                                                    else v <= target):
            return i
    return None


def choose_target(conv_perf, best_values, higher_is_better):
    """The target of a problem: its convergence performance when known (DeepOBS's level, from
    the baselines), else the least good of the optimizers' best mean values (a level every
    compared optimizer reaches at some epoch). Returns (target, rule) or (None, reason)."""
    if conv_perf is not None:
        return float(conv_perf), "conv_perf"
    finite = [v for v in best_values if v is not None and math.isfinite(v)]
    if not finite:
        return None, "no finite curve"
    return (min(finite) if higher_is_better else max(finite)), "worst best mean value"


def time_to_target(mean_curves, target, higher_is_better, epoch_seconds=None):
    """Per optimizer label: epochs (index of the first evaluation at or beyond the target, on the
    mean-over-seeds curve) and, when every run recorded epoch_seconds, the mean training seconds
    up to that epoch."""
    out = {}
    for label, curve in mean_curves.items():
        k = first_reach(curve, target, higher_is_better)
        seconds = None
        secs = (epoch_seconds or {}).get(label)
        if k is not None and secs is not None and len(secs) >= k:
            seconds = float(sum(secs[:k]))
        out[label] = {"epochs": k, "seconds": seconds}
    return out


def performance_profile(times, taus=PROFILE_TAUS):
    """Dolan–Moré performance profiles. `times`: {problem: {optimizer: time or None}} (None:
    target never reached). For each problem where some optimizer reached the target, the ratio
    r = t / min_o t (a time of 0, a target met before training, counts as 1 so that ratios stay
    finite); an optimizer absent from a problem or never reaching its target has r = ∞.
    rho_o(tau) = fraction of those problems with r <= tau."""
    optimizers = sorted({o for per in times.values() for o in per})
    problems = [p for p, per in sorted(times.items())
                if any(t is not None for t in per.values())]
    ratios = {o: {} for o in optimizers}
    for p in problems:
        best = min(max(t, 1) for t in times[p].values() if t is not None)
        for o in optimizers:
            t = times[p].get(o)
            ratios[o][p] = None if t is None else max(t, 1) / best
    fractions = {o: [sum(1 for p in problems if ratios[o][p] is not None and ratios[o][p] <= tau)
                     / len(problems) if problems else 0.0 for tau in taus] for o in optimizers}
    return {"problems": problems, "tau": list(taus), "ratios": ratios, "fractions": fractions}
