// The statistics of `deepobs reproduce`: Welch's two-sample t-test on per-seed values and the
// Holm–Bonferroni correction over many such tests, with the Student t distribution computed from
// the regularized incomplete beta function (no dependency beyond <cmath>).
//
// The unit tests (tests/cpu/test_fidelity_stats.cpp) pin these against values computed with
// scipy 1.17 (scipy.special.betainc, scipy.stats.t, scipy.stats.ttest_ind(equal_var=False)).
#pragma once

#include <cstddef>
#include <vector>

namespace deepobs::runner::stats {

// I_x(a, b), the regularized incomplete beta function, for a, b > 0 and x in [0, 1] (continued
// fraction of Numerical Recipes §6.4, modified Lentz, with the symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
// where the fraction converges slowly). Throws deepobs::Error for arguments outside the domain.
double regularized_incomplete_beta(double a, double b, double x);

// P(|T| >= |t|) for T Student-t distributed with `dof` > 0 degrees of freedom (real, not only
// integer: Welch's dof is fractional) = I_{dof/(dof+t²)}(dof/2, 1/2). 0 for infinite t, NaN for
// NaN t.
double student_t_two_sided_p(double t, double dof);

// Sample mean and standard deviation (n − 1 in the denominator; 0 for a single value).
double mean(const std::vector<double>& v);
double sample_std(const std::vector<double>& v);

// Welch's two-sample t-test (unequal variances, two-sided) of H0: equal means.
struct WelchResult {
  double mean_a = 0, mean_b = 0;
  double std_a = 0, std_b = 0;  // sample standard deviations
  double t = 0;                 // (mean_a − mean_b) / sqrt(var_a/n_a + var_b/n_b)
  double dof = 0;               // Welch–Satterthwaite; NaN when not defined (see `kind`)
  double p = 1;                 // two-sided p-value
  // How p was obtained: Test (the t-test), Equal (the means agree within `equal_rtol`, relative:
  // no difference below float rounding can be significant, and both samples may have zero
  // variance — p = 1), ZeroVariance (both samples constant and different: p = 0), NonFinite (a
  // value is NaN or infinite: p = 0, the comparison failed).
  enum class Kind { Test, Equal, ZeroVariance, NonFinite } kind = Kind::Test;
};

// Default of welch_test's equal_rtol: about 8 float ulps, far below any seed-to-seed spread yet
// above the rounding differences of two f32 engines computing the same deterministic value (the
// quadratic_deep initial test loss: 353.446773 here, 353.446764 in TensorFlow).
inline constexpr double kEqualRtol = 1e-6;

// Needs at least 2 values per sample (throws deepobs::Error otherwise).
WelchResult welch_test(const std::vector<double>& a, const std::vector<double>& b,
                       double equal_rtol = kEqualRtol);

// Holm–Bonferroni step-down adjusted p-values, in the input order: with the p-values sorted
// ascending p_(1) <= … <= p_(m), adjusted_(i) = max_{j <= i} min(1, (m − j + 1)·p_(j)). Rejecting
// every hypothesis whose adjusted p is <= α controls the family-wise error rate at α. NaN counts
// as 1 (never significant on its own; callers treat non-finite data separately).
std::vector<double> holm_adjust(const std::vector<double>& p);

}  // namespace deepobs::runner::stats
