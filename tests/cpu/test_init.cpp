// Initialisers: fan rules, statistics of large draws, bounds and determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "layers/init.h"

namespace deepobs {
namespace {

struct Moments {
  double mean, var, max_abs;
};

Moments moments(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  const double n = static_cast<double>(v.size());
  double m = 0, s2 = 0, mx = 0;
  for (const double x : v)
    m += x;
  m /= n;
  for (const double x : v) {
    s2 += (x - m) * (x - m);
    mx = std::max(mx, std::fabs(x));
  }
  return {m, s2 / (n - 1), mx};
}

// Variance and fourth moment of a standard normal truncated to [-2, 2].
const double kPhi2 = std::exp(-2.0) / std::sqrt(2 * 3.14159265358979323846);
const double kMass = std::erf(std::sqrt(2.0));
const double kTruncVar = 1 - 4 * kPhi2 / kMass;
const double kTruncM4 = 3 - 28 * kPhi2 / kMass;

// Checks mean 0 and the given standard deviation within 6 standard errors for the sample size.
void expect_zero_mean_std(const Tensor& t, double stddev, double kurtosis) {
  const Moments m = moments(t);
  const double n = static_cast<double>(t.numel()), var = stddev * stddev;
  EXPECT_NEAR(m.mean, 0.0, 6 * stddev / std::sqrt(n));
  EXPECT_NEAR(m.var, var, 6 * var * std::sqrt((kurtosis - 1) / n));
}

TEST(Init, FanRules) {
  const init::Fans dense = init::dense_fans({784, 10});
  EXPECT_EQ(dense.fan_in, 784);
  EXPECT_EQ(dense.fan_out, 10);
  const init::Fans conv = init::conv_fans({64, 3, 5, 5});  // [Cout, Cin, kh, kw]
  EXPECT_EQ(conv.fan_in, 3 * 25);
  EXPECT_EQ(conv.fan_out, 64 * 25);
  // [Cin_t, Cout_t, kh, kw]: TF's [kh, kw, Cout_t, Cin_t] kernel gives fan_in = kh·kw·Cout_t.
  const init::Fans tconv = init::conv_transpose_fans({32, 1, 4, 4});
  EXPECT_EQ(tconv.fan_in, 1 * 16);
  EXPECT_EQ(tconv.fan_out, 32 * 16);
  const init::Fans vec = init::vector_fans({100});
  EXPECT_EQ(vec.fan_in, 100);
  EXPECT_EQ(vec.fan_out, 100);
  EXPECT_THROW(init::dense_fans({3}), Error);
  EXPECT_THROW(init::conv_fans({3, 3, 3}), Error);
  EXPECT_THROW(init::vector_fans({2, 2}), Error);
  EXPECT_THROW(init::glorot_uniform_limit({0, 0}), Error);
  EXPECT_DOUBLE_EQ(init::glorot_uniform_limit({784, 10}), std::sqrt(6.0 / 794));
  EXPECT_DOUBLE_EQ(init::glorot_normal_stddev({784, 10}),
                   std::sqrt(2.0 / 794) / 0.87962566103423978);
}

TEST(Init, Constant) {
  Tensor t = Tensor::empty({3, 4});
  init::constant_(t, 0.25);
  for (const float v : t.to_vector<float>())
    EXPECT_EQ(v, 0.25f);
}

TEST(Init, GlorotUniformBoundsAndMoments) {
  PhiloxGenerator gen(42, RngPurpose::Init);
  for (const DType dt : {DType::F32, DType::F64}) {
    Tensor w = Tensor::empty({512, 512}, dt);
    const init::Fans fans = init::dense_fans(w.shape());
    init::glorot_uniform_(w, fans, gen);
    const double limit = std::sqrt(6.0 / 1024);
    // The f32 values are rounded from double, so the bound they respect is the rounded limit.
    const double bound = dt == DType::F32 ? static_cast<float>(limit) : limit;
    const Moments m = moments(w);
    EXPECT_LE(m.max_abs, bound);
    EXPECT_GT(m.max_abs, 0.999 * limit);                       // the draw reaches out to the bound
    expect_zero_mean_std(w, limit / std::sqrt(3.0), 9.0 / 5);  // uniform kurtosis 9/5
  }
}

TEST(Init, TruncatedNormalStaysWithinTwoSigma) {
  PhiloxGenerator gen(42, RngPurpose::Init);
  for (const DType dt : {DType::F32, DType::F64}) {
    Tensor w = Tensor::empty({64, 32, 5, 5}, dt);
    init::truncated_normal_(w, 0.05, gen);
    const Moments m = moments(w);
    EXPECT_LE(m.max_abs, dt == DType::F32 ? static_cast<double>(static_cast<float>(0.1)) : 0.1);
    EXPECT_GT(m.max_abs, 0.099);
    expect_zero_mean_std(w, 0.05 * std::sqrt(kTruncVar), kTruncM4 / (kTruncVar * kTruncVar));
  }
}

TEST(Init, GlorotNormalHasTheGlorotVariance) {
  PhiloxGenerator gen(7, RngPurpose::Init);
  Tensor w = Tensor::empty({128, 64, 3, 3}, DType::F64);
  const init::Fans fans = init::conv_fans(w.shape());
  init::glorot_normal_(w, fans, gen);
  const double target = std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
  const double sigma = init::glorot_normal_stddev(fans);
  const Moments m = moments(w);
  EXPECT_LE(m.max_abs, 2 * sigma);
  expect_zero_mean_std(w, target, kTruncM4 / (kTruncVar * kTruncVar));
}

TEST(Init, DeterministicPerSeedAndStream) {
  auto make = [](std::uint64_t seed, std::uint32_t index) {
    PhiloxGenerator gen(seed, RngPurpose::Init, index);
    Tensor a = Tensor::empty({100, 30}), b = Tensor::empty({30});
    init::glorot_uniform_(a, init::dense_fans(a.shape()), gen);
    init::truncated_normal_(b, 0.1, gen);
    std::vector<float> out = a.to_vector<float>();
    const std::vector<float> bv = b.to_vector<float>();
    out.insert(out.end(), bv.begin(), bv.end());
    return out;
  };
  EXPECT_EQ(make(42, 0), make(42, 0));
  EXPECT_NE(make(42, 0), make(43, 0));
  EXPECT_NE(make(42, 0), make(42, 1));
}

TEST(Init, RejectsNonFloatingTensors) {
  PhiloxGenerator gen(1, RngPurpose::Init);
  Tensor labels = Tensor::zeros({4, 4}, DType::I64);
  EXPECT_THROW(init::glorot_uniform_(labels, init::dense_fans(labels.shape()), gen), Error);
  EXPECT_THROW(init::truncated_normal_(labels, 1.0, gen), Error);
  EXPECT_THROW(init::truncated_normal_(Tensor::empty({2}), -1.0, gen), Error);
}

}  // namespace
}  // namespace deepobs
