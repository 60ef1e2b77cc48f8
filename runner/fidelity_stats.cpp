#include "runner/fidelity_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace deepobs::runner::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The continued fraction of I_x(a, b) (Numerical Recipes' betacf), evaluated with the modified
// Lentz method; converges quickly for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 10000;
  constexpr double kEps = 1e-16;
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) return h;
  }
  throw Error(cat("regularized_incomplete_beta(", a, ", ", b, ", ", x,
                  "): the continued fraction did not converge"));
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  DEEPOBS_CHECK(a > 0 && b > 0 && std::isfinite(a) && std::isfinite(b),
                "regularized_incomplete_beta: a and b must be finite and positive, got a = ", a,
                ", b = ", b);
  DEEPOBS_CHECK(x >= 0 && x <= 1, "regularized_incomplete_beta: x must be in [0, 1], got ", x);
  if (x == 0) return 0;
  if (x == 1) return 1;
  // x^a (1−x)^b / (a B(a, b)), in logs.
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  if (x < (a + 1.0) / (a + b + 2.0))
    return std::exp(log_front) * beta_continued_fraction(a, b, x) / a;
  return 1.0 - std::exp(log_front) * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double student_t_two_sided_p(double t, double dof) {
  DEEPOBS_CHECK(dof > 0, "student_t_two_sided_p: dof must be positive, got ", dof);
  if (std::isnan(t)) return kNaN;
  if (std::isinf(t)) return 0.0;
  if (t == 0) return 1.0;
  if (std::isinf(dof)) return std::erfc(std::fabs(t) / std::sqrt(2.0));  // the normal limit
  // x = dof / (dof + t²), computed without overflow for large |t|.
  const double r = dof / (t * t);
  const double x = r / (1.0 + r);
  return std::min(1.0, regularized_incomplete_beta(dof / 2.0, 0.5, x));
}

double mean(const std::vector<double>& v) {
  DEEPOBS_CHECK(!v.empty(), "mean of an empty sample");
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sample_std(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  // Shifted by the first value: identical values give exactly 0 (the mean of n copies of x need
  // not round to x), and the cancellation of sum(d²) − sum(d)²/n stays small.
  const double n = static_cast<double>(v.size());
  double s = 0, ss = 0;
  for (double x : v) {
    const double d = x - v.front();
    s += d;
    ss += d * d;
  }
  return std::sqrt(std::max(0.0, (ss - s * s / n) / (n - 1.0)));
}

WelchResult welch_test(const std::vector<double>& a, const std::vector<double>& b,
                       double equal_rtol) {
  DEEPOBS_CHECK(a.size() >= 2 && b.size() >= 2,
                "Welch's t-test needs at least 2 values per sample, got ", a.size(), " and ",
                b.size());
  WelchResult r;
  const auto finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  if (!finite(a) || !finite(b)) {
    r.mean_a = mean(a);
    r.mean_b = mean(b);
    r.std_a = sample_std(a);
    r.std_b = sample_std(b);
    r.t = r.dof = kNaN;
    r.p = 0;
    r.kind = WelchResult::Kind::NonFinite;
    return r;
  }
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  r.mean_a = mean(a);
  r.mean_b = mean(b);
  r.std_a = sample_std(a);
  r.std_b = sample_std(b);
  const double diff = r.mean_a - r.mean_b;
  const double va = r.std_a * r.std_a / na, vb = r.std_b * r.std_b / nb;
  const double se2 = va + vb;
  if (std::fabs(diff) <= equal_rtol * std::max(std::fabs(r.mean_a), std::fabs(r.mean_b))) {
    r.t = se2 > 0 ? diff / std::sqrt(se2) : 0.0;
    r.dof = kNaN;
    r.p = 1;
    r.kind = WelchResult::Kind::Equal;
    return r;
  }
  if (se2 == 0) {
    r.t = diff > 0 ? std::numeric_limits<double>::infinity()
                   : -std::numeric_limits<double>::infinity();
    r.dof = kNaN;
    r.p = 0;
    r.kind = WelchResult::Kind::ZeroVariance;
    return r;
  }
  r.t = diff / std::sqrt(se2);
  // Welch–Satterthwaite. A zero-variance sample contributes a zero term; both zero is se2 == 0.
  r.dof = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
  r.p = student_t_two_sided_p(r.t, r.dof);
  r.kind = WelchResult::Kind::Test;
  return r;
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto value = [&](std::size_t i) { return std::isnan(p[i]) ? 1.0 : p[i]; };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return value(x) < value(y); });
  std::vector<double> out(m);
  double running = 0;
  for (std::size_t j = 0; j < m; ++j) {
    const double adjusted = std::min(1.0, static_cast<double>(m - j) * value(order[j]));
    running = std::max(running, adjusted);
    out[order[j]] = running;
  }
  return out;
}

}  // namespace deepobs::runner::stats
