// The statistics of `deepobs reproduce` against known values. The constants were computed with
// scipy 1.17.1 (scipy.special.betainc, 2·scipy.stats.t.sf(|t|, dof),
// scipy.stats.ttest_ind(a, b, equal_var=False)); the project itself never needs scipy.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "runner/fidelity_stats.h"

namespace deepobs::runner::stats {
namespace {

struct BetaCase {
  double a, b, x, expected;
};

TEST(FidelityStats, RegularizedIncompleteBetaMatchesScipy) {
  const BetaCase cases[] = {
      {0.5, 0.5, 0.3, 0.36901011956554536},    {2, 3, 0.4, 0.5247999999999999},
      {5, 0.5, 0.9, 0.3166429150200122},       {10, 0.5, 0.99, 0.6579281751567845},
      {0.5, 10, 0.01, 0.3420718248432154},     {100, 0.5, 0.5, 6.255662994307364e-32},
      {1.5, 2.5, 0.999, 0.9999999356016206},   {30, 40, 0.45, 0.6447480085585666},
      {4.5, 0.5, 0.2, 0.00020249932206764079},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "I_" << c.x << "(" << c.a << ", " << c.b << ")");
    const double got = regularized_incomplete_beta(c.a, c.b, c.x);
    EXPECT_NEAR(got, c.expected, 1e-12 * std::max(1e-20, std::fabs(c.expected)) + 1e-300);
  }
  EXPECT_EQ(regularized_incomplete_beta(2, 3, 0), 0.0);
  EXPECT_EQ(regularized_incomplete_beta(2, 3, 1), 1.0);
  EXPECT_THROW(regularized_incomplete_beta(0, 1, 0.5), Error);
  EXPECT_THROW(regularized_incomplete_beta(1, 1, 1.5), Error);
}

struct TCase {
  double t, dof, p;
};

TEST(FidelityStats, StudentTTwoSidedPMatchesScipy) {
  const TCase cases[] = {
      {0.5, 1, 0.7048327646991335},     {2.0, 2, 0.18350341907227397},
      {2.228, 10, 0.05001177181711132}, {-3.1, 4.7, 0.029165614221150736},
      {10, 3.3, 0.0014024814276670861}, {1.96, 1e6, 0.04999606758526985},
      {0.1, 100, 0.9205445310958512},   {40, 18, 4.865261692304997e-19},
      {4.0, 9.5, 0.002790007567511331},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "t = " << c.t << ", dof = " << c.dof);
    // Relative 1e-9: at dof = 1e6 the difference lgamma(a + 1/2) − lgamma(a) of two numbers near
    // 6e6 keeps about 10 significant digits (plenty for a p-value).
    EXPECT_NEAR(student_t_two_sided_p(c.t, c.dof), c.p, 1e-9 * c.p);
  }
  EXPECT_EQ(student_t_two_sided_p(0, 3), 1.0);
  EXPECT_EQ(student_t_two_sided_p(std::numeric_limits<double>::infinity(), 3), 0.0);
  EXPECT_TRUE(std::isnan(student_t_two_sided_p(std::nan(""), 3)));
  EXPECT_THROW(student_t_two_sided_p(1, 0), Error);
}

TEST(FidelityStats, WelchTestMatchesScipy) {
  {
    // Epoch-100 test losses shaped like quadratic_deep Momentum (ours vs the baselines').
    const std::vector<double> a = {87.1019788469587, 87.08306884765625, 87.05413709368024, 87.07,
                                   87.11};
    const std::vector<double> b = {87.04, 87.02, 87.06, 87.08, 87.03, 87.05, 87.01, 87.07};
    const WelchResult r = welch_test(a, b);
    EXPECT_EQ(r.kind, WelchResult::Kind::Test);
    EXPECT_NEAR(r.t, 2.899667024931719, 1e-9);
    EXPECT_NEAR(r.dof, 9.121876002341532, 1e-9);
    EXPECT_NEAR(r.p, 0.01736547675952052, 1e-12);
  }
  {
    const WelchResult r = welch_test({1, 2, 3, 4}, {2.5, 3.5, 4.5, 5.5, 6.5, 7.5});
    EXPECT_NEAR(r.t, -2.5000000000000004, 1e-12);
    EXPECT_NEAR(r.dof, 7.941176470588236, 1e-12);
    EXPECT_NEAR(r.p, 0.03714965699125097, 1e-13);
    EXPECT_NEAR(r.mean_a, 2.5, 1e-15);
    EXPECT_NEAR(r.std_a, std::sqrt(5.0 / 3.0), 1e-15);  // sample std, n − 1
  }
  {
    // One sample without variance: Welch still applies (the dof come from the other sample).
    const WelchResult r = welch_test({5, 5, 5}, {4, 5, 6.5});
    EXPECT_EQ(r.kind, WelchResult::Kind::Test);
    EXPECT_NEAR(r.t, -0.22941573387056216, 1e-12);
    EXPECT_NEAR(r.dof, 2.0, 1e-12);
    EXPECT_NEAR(r.p, 0.8398718461949126, 1e-12);
  }
}

TEST(FidelityStats, WelchGuardsZeroVarianceAndNonFiniteValues) {
  // Both constant and equal within float rounding (quadratic_deep's deterministic initial test
  // loss, ours vs TensorFlow's): consistent, p = 1.
  const WelchResult equal = welch_test({353.44677298409596, 353.44677298409596},
                                       {353.44676426478793, 353.44676426478793});
  EXPECT_EQ(equal.kind, WelchResult::Kind::Equal);
  EXPECT_EQ(equal.p, 1.0);
  EXPECT_EQ(sample_std(std::vector<double>(10, 353.44677298409596)), 0.0) << "exactly, not 6e-14";
  // Both constant and different: a certain deviation.
  const WelchResult apart = welch_test({2, 2, 2}, {3, 3});
  EXPECT_EQ(apart.kind, WelchResult::Kind::ZeroVariance);
  EXPECT_EQ(apart.p, 0.0);
  EXPECT_TRUE(std::isinf(apart.t) && apart.t < 0);
  // A NaN (a diverged run): the comparison fails.
  const WelchResult nan = welch_test({1, std::nan("")}, {1, 2});
  EXPECT_EQ(nan.kind, WelchResult::Kind::NonFinite);
  EXPECT_EQ(nan.p, 0.0);
  EXPECT_THROW(welch_test({1}, {1, 2}), Error);
}

TEST(FidelityStats, HolmAdjustment) {
  // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max(0.06, 0.04).
  const auto adj = holm_adjust({0.01, 0.04, 0.03, 0.005});
  const std::vector<double> want = {0.03, 0.06, 0.06, 0.02};
  ASSERT_EQ(adj.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(adj[i], want[i], 1e-15) << i;
  EXPECT_EQ(holm_adjust({0.5, 0.9}), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(holm_adjust({std::nan(""), 0.01}), (std::vector<double>{1.0, 0.02}));
  EXPECT_TRUE(holm_adjust({}).empty());
}

}  // namespace
}  // namespace deepobs::runner::stats
