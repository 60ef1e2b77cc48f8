// Philox-4x32-10, the libm-free scalar math, the CPU fill kernels and PhiloxGenerator.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

#include "core/random/philox_generator.h"
#include "kernels/cpu/random.h"
#include "kernels/cpu/parallel.h"
#include "kernels/philox.h"
#include "kernels/random_draws.h"
#include "kernels/rng_math.h"

namespace deepobs {
namespace {

using kernels::PhiloxWords;

void expect_block(const PhiloxWords& got, std::uint32_t a, std::uint32_t b, std::uint32_t c,
                  std::uint32_t d) {
  EXPECT_EQ(got.v[0], a);
  EXPECT_EQ(got.v[1], b);
  EXPECT_EQ(got.v[2], c);
  EXPECT_EQ(got.v[3], d);
}

// The published known-answer vectors of Philox4x32-10.
TEST(Philox, KnownAnswerVectors) {
  expect_block(kernels::philox4x32_10(PhiloxWords{{0, 0, 0, 0}}, 0, 0), 0x6627e8d5u, 0xe169c58du,
               0xbc57ac4cu, 0x9b00dbd8u);
  const std::uint32_t f = 0xffffffffu;
  expect_block(kernels::philox4x32_10(PhiloxWords{{f, f, f, f}}, f, f), 0x408f276du, 0x41c83b0eu,
               0xa20bc7c6u, 0x6d5451fdu);
  expect_block(
      kernels::philox4x32_10(PhiloxWords{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                             0xa4093822u, 0x299f31d0u),
      0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
}

TEST(Philox, DrawAddressesSeedStreamAndCall) {
  const auto d = kernels::make_philox_draw(0x0123456789abcdefull, 7, 9);
  EXPECT_EQ(d.key[0], 0x89abcdefu);
  EXPECT_EQ(d.key[1], 0x01234567u);
  const PhiloxWords direct =
      kernels::philox4x32_10(PhiloxWords{{5, 3, 7, 9}}, 0x89abcdefu, 0x01234567u);
  const PhiloxWords via = d.block(5, 3);
  for (int l = 0; l < 4; ++l)
    EXPECT_EQ(via.v[l], direct.v[l]);
}

TEST(RngMath, UniformConversionsUseTheTopBits) {
  EXPECT_EQ(kernels::uniform24(0), 0.0f);
  EXPECT_EQ(kernels::uniform24(0xffffffffu), 1.0f - 0x1p-24f);
  EXPECT_EQ(kernels::uniform24(0x80000000u), 0.5f);
  EXPECT_EQ(kernels::uniform24(0x000000ffu), 0.0f);  // the low 8 bits are discarded
  EXPECT_EQ(kernels::uniform53(0, 0), 0.0);
  EXPECT_EQ(kernels::uniform53(0xffffffffu, 0xffffffffu), 1.0 - 0x1p-53);
  EXPECT_EQ(kernels::uniform53(0x80000000u, 0), 0.5);
  EXPECT_EQ(kernels::uniform53(0, 0x800u), 0x1p-53);  // the lowest bit that is used
  EXPECT_EQ(kernels::uniform53(0, 0x7ffu), 0.0);
}

// Relative error of `got` against a long-double reference, in units of double epsilon.
double rel_err_eps(double got, long double ref) {
  const long double err = std::fabs(static_cast<long double>(got) - ref);
  return static_cast<double>(err / std::fabs(ref)) / std::numeric_limits<double>::epsilon();
}

TEST(RngMath, LogMatchesLibmAcrossTheRange) {
  double worst = 0;
  std::uint64_t state = 12345;
  auto next = [&state] {  // splitmix64: an independent source of test points
    state += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  std::vector<double> points;
  for (int i = 0; i < 100000; ++i) {
    points.push_back(kernels::uniform53(static_cast<std::uint32_t>(next() >> 32),
                                        static_cast<std::uint32_t>(next())) +
                     0x1p-53);  // (0, 1]: the Box–Muller domain
  }
  for (int i = 0; i < 100000; ++i) {
    // Any positive finite double, subnormals included: random bits with the sign cleared.
    const double x = std::bit_cast<double>(next() & 0x7fffffffffffffffull);
    if (std::isfinite(x) && x > 0) points.push_back(x);
  }
  for (int i = -200; i <= 200; ++i)
    points.push_back(1.0 + i * 0x1p-40);  // near the zero of log
  points.push_back(std::numeric_limits<double>::denorm_min());
  points.push_back(std::numeric_limits<double>::min());
  points.push_back(std::numeric_limits<double>::max());
  points.push_back(0x1p-53);
  points.push_back(std::sqrt(2.0));
  points.push_back(std::nextafter(std::sqrt(2.0), 0.0));
  for (const double x : points) {
    if (x == 1.0) {
      EXPECT_EQ(kernels::rng_log(x), 0.0);
      continue;
    }
    const double got = kernels::rng_log(x);
    const double e = rel_err_eps(got, std::log(static_cast<long double>(x)));
    worst = std::max(worst, e);
    ASSERT_LT(e, 4.0) << "log(" << x << ") = " << got << " vs " << std::log(x);
    ASSERT_LE(std::fabs(got - std::log(x)), 1e-15 * std::fabs(std::log(x))) << x;
  }
  RecordProperty("worst_log_error_eps", std::to_string(worst));
}

TEST(RngMath, LogSpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(kernels::rng_log(0.0), -inf);
  EXPECT_EQ(kernels::rng_log(-0.0), -inf);
  EXPECT_EQ(kernels::rng_log(inf), inf);
  EXPECT_TRUE(std::isnan(kernels::rng_log(-1.0)));
  EXPECT_TRUE(std::isnan(kernels::rng_log(std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(kernels::rng_log(2.0), std::log(2.0));
}

TEST(RngMath, SinCosOfTwoPiUMatchLibm) {
  const long double two_pi = 2 * std::numbers::pi_v<long double>;
  std::vector<double> points;
  for (int i = 0; i < 200000; ++i)
    points.push_back(i / 200000.0);
  for (int i = 0; i < 20000; ++i)
    points.push_back(kernels::uniform53(2654435761u * i, 40503u * i));
  for (const double q : {0.25, 0.5, 0.75, 1.0}) {  // near the zeros of sin and cos
    for (int k = -50; k <= 50; ++k)
      points.push_back(q + k * 0x1p-45);
  }
  for (int i = 0; i < 1000; ++i)
    points.push_back(-3.7 + i * 0.0123);  // negative and beyond 1
  double worst_s = 0, worst_c = 0;
  for (const double u : points) {
    double s = 0, c = 0;
    kernels::sincos_2pi(u, &s, &c);
    const long double ref_s = std::sin(two_pi * static_cast<long double>(u));
    const long double ref_c = std::cos(two_pi * static_cast<long double>(u));
    // The long-double angle is exact to ~1e-19 absolute, so only compare relatively where the
    // value is large enough for that to be meaningless.
    if (std::fabs(ref_s) > 1e-3L) worst_s = std::max(worst_s, rel_err_eps(s, ref_s));
    if (std::fabs(ref_c) > 1e-3L) worst_c = std::max(worst_c, rel_err_eps(c, ref_c));
    ASSERT_LT(std::fabs(s - ref_s), 2e-16L) << "sin(2π·" << u << ")";
    ASSERT_LT(std::fabs(c - ref_c), 2e-16L) << "cos(2π·" << u << ")";
    // And against the double-precision libm, as a user would: within 1e-15 absolute.
    ASSERT_NEAR(s, std::sin(2 * std::numbers::pi * u), 1e-15 * std::max(1.0, std::fabs(u))) << u;
    ASSERT_NEAR(c, std::cos(2 * std::numbers::pi * u), 1e-15 * std::max(1.0, std::fabs(u))) << u;
  }
  EXPECT_LT(worst_s, 4.0);
  EXPECT_LT(worst_c, 4.0);
  RecordProperty("worst_sin_error_eps", std::to_string(worst_s));
  RecordProperty("worst_cos_error_eps", std::to_string(worst_c));
  // Exact quarter turns.
  double s = 1, c = 1;
  kernels::sincos_2pi(0.25, &s, &c);
  EXPECT_EQ(s, 1.0);
  EXPECT_EQ(c, 0.0);
  kernels::sincos_2pi(0.5, &s, &c);
  EXPECT_EQ(s, 0.0);
  EXPECT_EQ(c, -1.0);
  kernels::sincos_2pi(std::numeric_limits<double>::infinity(), &s, &c);
  EXPECT_TRUE(std::isnan(s) && std::isnan(c));
}

// ---- CPU fill kernels: the element layout of kernels/random_draws.h ----

TEST(RandomKernels, UniformFollowsTheDocumentedLayout) {
  const auto d = kernels::make_philox_draw(42, 3, 5);
  std::vector<float> f(11);
  kernels::cpu::random_uniform<float>(d, f.data(), 11, -2.0, 6.0);
  std::vector<double> g(5);
  kernels::cpu::random_uniform<double>(d, g.data(), 5, 0.0, 1.0);
  for (std::uint32_t i = 0; i < 11; ++i) {
    const PhiloxWords w = d.block(i / 4, 0);
    EXPECT_EQ(f[i], static_cast<float>(-2.0 + 8.0 * kernels::uniform24(w.v[i % 4]))) << i;
  }
  for (std::uint32_t i = 0; i < 5; ++i) {
    const PhiloxWords w = d.block(i / 2, 0);
    EXPECT_EQ(g[i], kernels::uniform53(w.v[2 * (i % 2)], w.v[2 * (i % 2) + 1])) << i;
  }
}

TEST(RandomKernels, ElementsDoNotDependOnCountOrThreads) {
  const auto d = kernels::make_philox_draw(7, 1, 0);
  const std::int64_t n = 100001;  // odd, and large enough to run in parallel
  const int threads = kernels::cpu::cpu_threads();
  auto fill_all = [&] {
    std::vector<std::vector<double>> out(4, std::vector<double>(n));
    kernels::cpu::random_uniform<double>(d, out[0].data(), n, 0, 1);
    kernels::cpu::random_normal<double>(d, out[1].data(), n, 0, 1);
    kernels::cpu::random_truncated_normal<double>(d, out[2].data(), n, 0, 1);
    kernels::cpu::random_keep_mask<double>(d, out[3].data(), n, 0.3, 1.0);
    return out;
  };
  kernels::cpu::set_cpu_threads(1);
  const auto one = fill_all();
  kernels::cpu::set_cpu_threads(3);
  const auto three = fill_all();
  kernels::cpu::set_cpu_threads(threads);
  EXPECT_EQ(one, three);
  // A shorter draw is a prefix of the longer one.
  std::vector<double> few(3);
  kernels::cpu::random_truncated_normal<double>(d, few.data(), 3, 0, 1);
  EXPECT_TRUE(std::equal(few.begin(), few.end(), one[2].begin()));
  kernels::cpu::random_normal<double>(d, few.data(), 3, 0, 1);
  EXPECT_TRUE(std::equal(few.begin(), few.end(), one[1].begin()));
}

TEST(RandomKernels, TruncatedNormalRedrawsOnlyTheOutlier) {
  const auto d = kernels::make_philox_draw(2024, 0, 0);
  // Find a pair whose first attempt has exactly one value outside [-2, 2].
  for (std::uint32_t p = 0; p < 10000; ++p) {
    double c = 0, s = 0;
    kernels::normal_pair(d, p, 0, &c, &s);
    const bool c_in = std::fabs(c) <= 2, s_in = std::fabs(s) <= 2;
    if (c_in == s_in) continue;
    double z0 = 0, z1 = 0;
    kernels::truncated_normal_pair(d, p, &z0, &z1);
    EXPECT_EQ(c_in ? z0 : z1, c_in ? c : s);  // the inside value is kept from attempt 0
    const double redrawn = c_in ? z1 : z0;
    EXPECT_LE(std::fabs(redrawn), 2.0);
    EXPECT_NE(redrawn, c_in ? s : c);
    return;
  }
  FAIL() << "no pair with a single outlier found";
}

TEST(RandomKernels, PermutationIsAPermutationSortedByKey) {
  const auto d = kernels::make_philox_draw(1, 2, 3);
  const std::int64_t n = 5001;
  std::vector<std::int64_t> perm(n);
  kernels::cpu::random_permutation(d, perm.data(), n);
  std::vector<std::int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> iota(n);
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_EQ(sorted, iota);
  auto key = [&](std::int64_t i) {
    return kernels::permutation_key(d.block(static_cast<std::uint32_t>(i / 2), 0),
                                    static_cast<int>(i % 2));
  };
  for (std::int64_t j = 1; j < n; ++j)
    EXPECT_LT(key(perm[j - 1]), key(perm[j])) << j;
}

// ---- PhiloxGenerator ----

TEST(PhiloxGenerator, SameSeedStreamAndCallsGiveTheSameTensors) {
  PhiloxGenerator a(42, rng_stream(RngPurpose::Init)), b(42, RngPurpose::Init);
  for (const DType dt : {DType::F32, DType::F64}) {
    Tensor ta = Tensor::empty({3, 77}, dt), tb = Tensor::empty({3, 77}, dt);
    a.normal_(ta, 1, 2);
    b.normal_(tb, 1, 2);
    EXPECT_EQ(ta.to_vector<double>(), tb.to_vector<double>());
    a.uniform_(ta, -1, 1);
    b.uniform_(tb, -1, 1);
    EXPECT_EQ(ta.to_vector<double>(), tb.to_vector<double>());
  }
  EXPECT_EQ(a.calls(), 4u);
  EXPECT_EQ(a.permutation(100).to_vector<std::int64_t>(),
            b.permutation(100).to_vector<std::int64_t>());
}

// Values from an independent implementation of the documented layout (Python integers for Philox,
// 200-bit mpmath for Box–Muller), for PhiloxGenerator(42, rng_stream(Init)) and calls 0..3. They
// pin the counter and element layout: changing it changes every seeded result.
TEST(PhiloxGenerator, MatchesAnIndependentImplementationOfTheLayout) {
  PhiloxGenerator g(42, RngPurpose::Init);
  EXPECT_EQ(g.stream(), 1u << 24);
  Tensor normals = Tensor::empty({6}, DType::F64);
  g.normal_(normals, 0, 1);
  const std::vector<double> want_normals = {-0.91211219394363633926, -0.06796791580021536265,
                                            1.3158121743128883969,   0.68878079457823051978,
                                            -0.48034032195105844355, -0.210214281691384401};
  const std::vector<double> got = normals.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want_normals[i], 4e-16) << i;
  Tensor u64 = Tensor::empty({2}, DType::F64);
  g.uniform_(u64, 0, 1);
  EXPECT_EQ(u64.to_vector<double>(),
            (std::vector<double>{0.013254328281302352, 0.8209695481765702}));
  Tensor u32 = Tensor::empty({4}, DType::F32);
  g.uniform_(u32, 0, 1);
  EXPECT_EQ(u32.to_vector<float>(),
            (std::vector<float>{0.8824570178985596f, 0.4760040044784546f, 0.19247770309448242f,
                                0.3012237548828125f}));
  EXPECT_EQ(g.permutation(6).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{4, 5, 2, 3, 1, 0}));
}

TEST(PhiloxGenerator, CallsSeedsAndStreamsSeparateDraws) {
  auto draw = [](PhiloxGenerator& g) {
    Tensor t = Tensor::empty({64}, DType::F64);
    g.uniform_(t, 0, 1);
    return t.to_vector<double>();
  };
  PhiloxGenerator g(42, 0);
  const auto first = draw(g), second = draw(g);
  EXPECT_NE(first, second);
  PhiloxGenerator other_seed(43, 0), other_stream(42, 1);
  EXPECT_NE(draw(other_seed), first);
  EXPECT_NE(draw(other_stream), first);
  // Resuming at a saved call index repeats the draw.
  PhiloxGenerator resumed(42, 0);
  resumed.set_calls(1);
  EXPECT_EQ(draw(resumed), second);
  // Seeds that differ only in the high word are different keys.
  PhiloxGenerator high(42 + (std::uint64_t{1} << 32), 0);
  EXPECT_NE(draw(high), first);
}

TEST(PhiloxGenerator, FloatNormalIsTheRoundedDoubleNormal) {
  PhiloxGenerator a(5, 0), b(5, 0);
  Tensor f = Tensor::empty({1001}, DType::F32), d = Tensor::empty({1001}, DType::F64);
  a.normal_(f, 0.5, 3);
  b.normal_(d, 0.5, 3);
  const auto fv = f.to_vector<float>();
  const auto dv = d.to_vector<double>();
  for (std::size_t i = 0; i < fv.size(); ++i)
    EXPECT_EQ(fv[i], static_cast<float>(dv[i])) << i;
}

// Mean and variance of a large draw, within 6 standard errors computed from the sample size.
void expect_moments(const std::vector<double>& v, double mean, double var, double fourth_central) {
  const double n = static_cast<double>(v.size());
  double m = 0;
  for (const double x : v)
    m += x;
  m /= n;
  double s2 = 0;
  for (const double x : v)
    s2 += (x - m) * (x - m);
  s2 /= n - 1;
  EXPECT_NEAR(m, mean, 6 * std::sqrt(var / n));
  EXPECT_NEAR(s2, var, 6 * std::sqrt((fourth_central - var * var) / n));
}

TEST(PhiloxGenerator, DistributionsHaveTheRightMoments) {
  PhiloxGenerator g(123, RngPurpose::Noise);
  const Shape shape{1 << 18};
  for (const DType dt : {DType::F32, DType::F64}) {
    Tensor t = Tensor::empty(shape, dt);
    g.uniform_(t, -1, 3);  // variance 16/12, fourth central moment 4^4/80
    auto v = t.to_vector<double>();
    EXPECT_GE(*std::min_element(v.begin(), v.end()), -1.0);
    EXPECT_LE(*std::max_element(v.begin(), v.end()), 3.0);
    expect_moments(v, 1.0, 16.0 / 12, 256.0 / 80);
    g.normal_(t, -2, 0.5);  // fourth central moment 3σ⁴
    expect_moments(t.to_vector<double>(), -2.0, 0.25, 3 * 0.0625);
    g.truncated_normal_(t, 1, 2);
    v = t.to_vector<double>();
    // Standard normal truncated to [-2, 2]: variance 1 - 4φ(2)/(Φ(2)-Φ(-2)), and
    // E z⁴ = 3 - (2³ + 3·2)·2φ(2)/(Φ(2)-Φ(-2)).
    const double phi2 = std::exp(-2.0) / std::sqrt(2 * std::numbers::pi),
                 mass = std::erf(std::sqrt(2.0));
    const double var = 1 - 4 * phi2 / mass, m4 = 3 - 14 * 2 * phi2 / mass;
    EXPECT_NEAR(var, 0.87962566103423978 * 0.87962566103423978, 1e-12);
    expect_moments(v, 1.0, 4 * var, 16 * m4);
    for (const double x : v)
      ASSERT_LE(std::fabs(x - 1.0), 4.0);
  }
}

TEST(PhiloxGenerator, KeepMaskKeepsOneMinusRate) {
  PhiloxGenerator g(9, RngPurpose::Dropout);
  Tensor t = Tensor::empty({1 << 18}, DType::F32);
  for (const double rate : {0.0, 0.1, 0.5, 0.8}) {
    g.keep_mask_(t, rate, 2.5);
    const auto v = t.to_vector<float>();
    double kept = 0;
    for (const float x : v) {
      ASSERT_TRUE(x == 0.0f || x == 2.5f);
      kept += x != 0.0f;
    }
    const double n = static_cast<double>(v.size());
    EXPECT_NEAR(kept / n, 1 - rate, 6 * std::sqrt(rate * (1 - rate) / n) + 1e-12) << rate;
  }
  g.keep_mask_(t, 1.0);
  for (const float x : t.to_vector<float>())
    ASSERT_EQ(x, 0.0f);
}

TEST(PhiloxGenerator, PermutationTensor) {
  PhiloxGenerator g(0, RngPurpose::Shuffle);
  const Tensor p = g.permutation(1000);
  EXPECT_EQ(p.dtype(), DType::I64);
  EXPECT_EQ(p.shape(), (Shape{1000}));
  auto v = p.to_vector<std::int64_t>();
  const auto second = g.permutation(1000).to_vector<std::int64_t>();
  EXPECT_NE(v, second);
  std::vector<std::int64_t> iota(1000);
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_NE(v, iota);
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, iota);
  EXPECT_EQ(g.permutation(0).numel(), 0);
  // Element 0 lands at each position with probability 1/n: a crude uniformity check.
  std::vector<int> first_pos(4, 0);
  for (int r = 0; r < 4000; ++r) {
    const auto q = g.permutation(4).to_vector<std::int64_t>();
    ++first_pos[static_cast<std::size_t>(std::find(q.begin(), q.end(), 0) - q.begin())];
  }
  for (const int c : first_pos)
    EXPECT_NEAR(c, 1000, 6 * std::sqrt(4000 * 0.25 * 0.75));
}

TEST(PhiloxGenerator, BadInputsThrowWithoutConsumingADraw) {
  PhiloxGenerator g(1, 0);
  Tensor ints = Tensor::zeros({4}, DType::I32);
  try {
    g.uniform_(ints, 0, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("uniform_"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("i32"), std::string::npos) << e.what();
  }
  Tensor f = Tensor::zeros({4});
  EXPECT_THROW(g.normal_(ints, 0, 1), Error);
  EXPECT_THROW(g.truncated_normal_(ints, 0, 1), Error);
  EXPECT_THROW(g.keep_mask_(ints, 0.5), Error);
  EXPECT_THROW(g.uniform_(f, 1, 0), Error);
  EXPECT_THROW(g.normal_(f, 0, -1), Error);
  EXPECT_THROW(g.normal_(f, 0, std::numeric_limits<double>::infinity()), Error);
  EXPECT_THROW(g.keep_mask_(f, 1.5), Error);
  EXPECT_THROW(g.keep_mask_(f, std::numeric_limits<double>::quiet_NaN()), Error);
  EXPECT_THROW(g.permutation(-1), Error);
  EXPECT_THROW(g.set_calls(std::uint64_t{1} << 32), Error);
  EXPECT_EQ(g.calls(), 0u);
  EXPECT_THROW(rng_stream(RngPurpose::Dropout, 1u << 24), Error);
  EXPECT_NE(rng_stream(RngPurpose::Dropout, 0), rng_stream(RngPurpose::Dropout, 1));
  EXPECT_NE(rng_stream(RngPurpose::Init), rng_stream(RngPurpose::Shuffle));
  // The last call index is usable once, then the stream is exhausted.
  g.set_calls((std::uint64_t{1} << 32) - 1);
  EXPECT_EQ(g.take_call(), 0xffffffffu);
  EXPECT_THROW(g.uniform_(f, 0, 1), Error);
}

}  // namespace
}  // namespace deepobs
