// Built-in optimizers: hand-derived trajectories on a quadratic, convergence, the zero gaps of the
// flat buffer, checkpoint round trips, hyperparameter resolution and name lookup.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/flat_parameters.h"
#include "core/module.h"
#include "kernels/cpu/optimizer_updates.h"
#include "optimizers/optimizer.h"
#include "optimizers/registry.h"

namespace deepobs {
namespace {

// θ split over two parameter tensors, "w" (the first `split` coordinates) and "b" (the rest), so
// the flat buffer has a gap between the two segments (they start at multiples of 16 elements).
class SplitVector : public Module {
 public:
  SplitVector(const std::vector<double>& theta, std::size_t split, DType dtype) {
    const std::vector<double> w(theta.begin(), theta.begin() + static_cast<std::ptrdiff_t>(split));
    const std::vector<double> b(theta.begin() + static_cast<std::ptrdiff_t>(split), theta.end());
    register_parameter("w", Tensor::from_vector(w, {std::int64_t(w.size())}).to(dtype),
                       {ParamKind::Weight, true, 0});
    register_parameter("b", Tensor::from_vector(b, {std::int64_t(b.size())}).to(dtype),
                       {ParamKind::Bias, false, 0});
  }
};

// A model, its flat buffers and an optimizer; θ is read from and gradients written into the flat
// buffers directly, the way the runner's backward pass leaves them.
struct Harness {
  Harness(const std::vector<double>& theta0, std::size_t split, DType dtype = DType::F64)
      : model(theta0, split, dtype), flat(model) {}

  std::vector<double> theta() const {
    const auto all = flat.params().to_vector<double>();
    std::vector<double> out;
    for (const auto& s : flat.segments())
      for (std::int64_t i = 0; i < s.numel; ++i)
        out.push_back(all[s.offset + i]);
    return out;
  }
  void set_grad(const std::vector<double>& g) const {
    std::vector<double> all(static_cast<std::size_t>(flat.size()), 0.0);
    std::size_t k = 0;
    for (const auto& s : flat.segments())
      for (std::int64_t i = 0; i < s.numel; ++i)
        all[s.offset + i] = g.at(k++);
    flat.grads().copy_from(Tensor::from_vector(all, {flat.size()}).to(flat.params().dtype()));
  }
  // Indices of the flat buffer that belong to no segment.
  std::vector<std::int64_t> gaps() const {
    std::vector<bool> used(static_cast<std::size_t>(flat.size()), false);
    for (const auto& s : flat.segments())
      for (std::int64_t i = 0; i < s.numel; ++i)
        used[s.offset + i] = true;
    std::vector<std::int64_t> out;
    for (std::int64_t i = 0; i < flat.size(); ++i)
      if (!used[i]) out.push_back(i);
    return out;
  }

  SplitVector model;
  FlatParameters flat;
};

// g = A θ for a row-major n×n matrix A (the gradient of ½ θᵀAθ).
std::vector<double> mat_vec(const std::vector<double>& a, const std::vector<double>& x) {
  const std::size_t n = x.size();
  std::vector<double> y(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      y[i] += a[i * n + j] * x[j];
  return y;
}

double quadratic(const std::vector<double>& a, const std::vector<double>& x) {
  const auto ax = mat_vec(a, x);
  double f = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i)
    f += 0.5 * x[i] * ax[i];
  return f;
}

std::unique_ptr<Optimizer> make(const std::string& name, Harness& s,
                                const std::map<std::string, std::string>& hp = {}) {
  return make_optimizer(name, s.flat, resolve_hyperparameters(find_optimizer(name), hp));
}

// Runs `steps` updates on ½ θᵀAθ with gradient A θ, starting at global step `first_step`.
void descend(Optimizer& opt, const Harness& s, const std::vector<double>& a, double lr, int steps,
             int first_step = 0) {
  for (int k = 0; k < steps; ++k) {
    s.set_grad(mat_vec(a, s.theta()));
    opt.step({first_step + k, 0, lr});
  }
}

// The error message deepobs::Error carries when `fn` throws (the test fails if it does not).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected deepobs::Error";
  return "";
}

// The 2-D quadratic of the hand-derived trajectories: A = diag(1, 2), θ0 = (1, −2), so the
// gradient is (θ1, 2·θ2).
const std::vector<double> kDiag12 = {1, 0, 0, 2};
const std::vector<double> kTheta0 = {1.0, -2.0};

void expect_theta(const Harness& s, const std::vector<double>& want, double tol, int step) {
  const auto got = s.theta();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << "coordinate " << i << " after step " << step;
}

// ---------------------------------------------------------------------------------------------
// Closed-form trajectories

TEST(OptimizerTrajectory, GradientDescentMatchesClosedForm) {
  // θ_{k+1} = (I − lr·A) θ_k, so with lr = 0.1: θ_k = (0.9^k, −2·0.8^k).
  Harness s(kTheta0, 1);
  auto opt = make("sgd", s);
  const std::vector<std::vector<double>> want = {{0.9, -1.6}, {0.81, -1.28}, {0.729, -1.024}};
  for (int k = 0; k < 3; ++k) {
    descend(*opt, s, kDiag12, 0.1, 1, k);
    expect_theta(s, want[k], 1e-15, k);
  }
}

TEST(OptimizerTrajectory, MomentumMatchesHandDerivedSteps) {
  // m = 0.5, lr = 0.1; accum = m·accum + g; θ −= lr·accum.
  // coordinate 1 (g = θ):    g=1     accum=1      θ=0.9;   g=0.9  accum=1.4  θ=0.76;
  //                          g=0.76  accum=1.46   θ=0.614
  // coordinate 2 (g = 2θ):   g=−4    accum=−4     θ=−1.6;  g=−3.2 accum=−5.2 θ=−1.08;
  //                          g=−2.16 accum=−4.76  θ=−0.604
  Harness s(kTheta0, 1);
  auto opt = make("momentum", s, {{"momentum", "0.5"}});
  const std::vector<std::vector<double>> want = {{0.9, -1.6}, {0.76, -1.08}, {0.614, -0.604}};
  for (int k = 0; k < 3; ++k) {
    descend(*opt, s, kDiag12, 0.1, 1, k);
    expect_theta(s, want[k], 1e-14, k);
  }
  const auto accum = opt->state("accumulator").to_vector<double>();
  EXPECT_NEAR(accum[s.flat.segments()[0].offset], 1.46, 1e-14);
  EXPECT_NEAR(accum[s.flat.segments()[1].offset], -4.76, 1e-14);
}

TEST(OptimizerTrajectory, NesterovMatchesHandDerivedSteps) {
  // m = 0.5, lr = 0.1; accum = m·accum + g; θ −= lr·(g + m·accum) with the updated accum.
  // coordinate 1: g=1      accum=1       θ −= 0.1·(1+0.5)          → 0.85
  //               g=0.85   accum=1.35    θ −= 0.1·(0.85+0.675)     → 0.6975
  //               g=0.6975 accum=1.3725  θ −= 0.1·(0.6975+0.68625) → 0.559125
  // coordinate 2: g=−4     accum=−4      θ −= 0.1·(−4−2)           → −1.4
  //               g=−2.8   accum=−4.8    θ −= 0.1·(−2.8−2.4)       → −0.88
  //               g=−1.76  accum=−4.16   θ −= 0.1·(−1.76−2.08)     → −0.496
  Harness s(kTheta0, 1);
  auto opt = make("MomentumOptimizer", s, {{"momentum", "0.5"}, {"use_nesterov", "true"}});
  const std::vector<std::vector<double>> want = {{0.85, -1.4}, {0.6975, -0.88}, {0.559125, -0.496}};
  for (int k = 0; k < 3; ++k) {
    descend(*opt, s, kDiag12, 0.1, 1, k);
    expect_theta(s, want[k], 1e-14, k);
  }
}

TEST(OptimizerTrajectory, AdamBiasCorrectionAtFirstSteps) {
  // β1 = 0.9, β2 = 0.999, ε = 1e-3 (large, so TF's placement of ε shows), lr = 0.1.
  // t = 1: m = 0.1·g, v = 0.001·g², lr_1 = 0.1·√(1−0.999)/(1−0.9) = √0.001,
  //        θ −= √0.001 · 0.1·g / (√0.001·|g| + ε).
  //   coordinate 1 (g = 1):  θ = 1 − 0.1·√0.001/(√0.001 + 0.001)      = 0.90306534300317...
  //   coordinate 2 (g = −4): θ = −2 + 0.4·√0.001/(4·√0.001 + 0.001)   = −1.90078436843806...
  //   (the paper's placement, m̂/(√v̂ + ε), would give 1 − 0.1/1.001 = 0.9000999 instead.)
  // t = 2: lr_2 = 0.1·√(1−0.999²)/(1−0.9²) = 0.1·√0.001999/0.19 = 0.0235316725327...
  //   coordinate 1: g = 0.903065343, m = 0.09 + 0.0903065343 = 0.180306534,
  //                 v = 0.000999 + 0.001·0.815527 = 0.00181452701,
  //                 θ = 0.903065343 − lr_2·m/(√v + ε) = 0.80574469024...
  //   coordinate 2: g = −3.80156874, m = −0.36 − 0.380156874 = −0.740156874,
  //                 v = 0.015984 + 0.001·14.4519249 = 0.0304359249,
  //                 θ = −1.90078437 − lr_2·m/(√v + ε) = −1.80151824789...
  EXPECT_DOUBLE_EQ(kernels::cpu::adam_step_size(0.1, 0.9, 0.999, 1), std::sqrt(0.001));
  // 1 − 0.999² cancels digits, so the two roundings differ in the last bits.
  EXPECT_NEAR(kernels::cpu::adam_step_size(0.1, 0.9, 0.999, 2), 0.1 * std::sqrt(0.001999) / 0.19,
              1e-15);

  Harness s(kTheta0, 1);
  auto opt = make("adam", s, {{"epsilon", "1e-3"}});
  const double r = std::sqrt(0.001);
  descend(*opt, s, kDiag12, 0.1, 1);
  expect_theta(s, {1.0 - 0.1 * r / (r + 0.001), -2.0 + 0.4 * r / (4 * r + 0.001)}, 1e-15, 0);
  expect_theta(s, {0.9030653430031714, -1.9007843684380694}, 1e-13, 0);
  descend(*opt, s, kDiag12, 0.1, 1, 1);
  expect_theta(s, {0.8057446902421633, -1.8015182478961802}, 1e-13, 1);

  const auto m = opt->state("m").to_vector<double>();
  const auto v = opt->state("v").to_vector<double>();
  const std::int64_t b = s.flat.segments()[1].offset;
  EXPECT_NEAR(m[0], 0.18030653430031718, 1e-14);
  EXPECT_NEAR(m[b], -0.740156873687614, 1e-14);
  EXPECT_NEAR(v[0], 0.0018145270137334356, 1e-15);
  EXPECT_NEAR(v[b], 0.030435924861194043, 1e-15);
  EXPECT_EQ(opt->state("step").to_vector<std::int64_t>(), std::vector<std::int64_t>{2});
}

TEST(OptimizerTrajectory, AdamFirstStepIsLearningRateTimesSignWithDefaultEpsilon) {
  // With the bias correction the first update is lr_1·0.1·g/(√0.001·|g| + ε)
  // = lr·g/(|g| + ε/√0.001): about lr·sign(g) whatever the size of g (the hallmark of Adam's
  // t = 1 step), less by the relative amount ε/(√0.001·|g|) ≈ 3.2e-5 for |g| = 0.01.
  Harness s({0.0, 0.0, 0.0}, 2);
  auto opt = make("adam", s);
  const std::vector<double> g = {1000.0, -0.01, 3.0};
  s.set_grad(g);
  opt->step({0, 0, 0.05});
  const double eps_hat = 1e-8 / std::sqrt(0.001);
  std::vector<double> want;
  for (const double gi : g)
    want.push_back(-0.05 * gi / (std::abs(gi) + eps_hat));
  expect_theta(s, want, 1e-16, 0);
  expect_theta(s, {-0.05, 0.05, -0.05}, 2e-6, 0);
}

TEST(OptimizerTrajectory, Float32FollowsTheDoubleTrajectory) {
  // The float instantiation of every update rule follows the double one to float precision.
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> cases = {
      {"sgd", {}},
      {"momentum", {{"momentum", "0.9"}}},
      {"momentum", {{"momentum", "0.9"}, {"use_nesterov", "1"}}},
      {"adam", {}}};
  for (const auto& [name, hp] : cases) {
    Harness s64(kTheta0, 1, DType::F64);
    Harness s32(kTheta0, 1, DType::F32);
    auto o64 = make(name, s64, hp);
    auto o32 = make(name, s32, hp);
    // Like-params slots double in size with the dtype; Adam's i64 step counter does not.
    const std::int64_t counter = name == "adam" ? 8 : 0;
    EXPECT_EQ((o32->state_bytes() - counter) * 2, o64->state_bytes() - counter) << name;
    for (int k = 0; k < 20; ++k) {
      descend(*o64, s64, kDiag12, 0.05, 1, k);
      descend(*o32, s32, kDiag12, 0.05, 1, k);
    }
    expect_theta(s32, s64.theta(), 1e-5, 20);
  }
}

// ---------------------------------------------------------------------------------------------
// Kernels on buffers large enough to run on several threads

TEST(OptimizerKernels, LargeBuffersMatchSmallChunksBitForBit) {
  // Above 2^15 elements the loops run in parallel; each element must still see exactly the serial
  // arithmetic, so one call over the buffer equals calls over chunks too small to be split.
  const std::int64_t n = 100000, chunk = 1000;
  std::vector<float> g(n), p0(n);
  for (std::int64_t i = 0; i < n; ++i) {
    g[i] = std::sin(0.37f * float(i)) * float(1 + i % 7);
    p0[i] = std::cos(0.11f * float(i));
  }
  auto p1 = p0, p2 = p0;
  std::vector<float> a1(n, 0.5f), a2(n, 0.5f), m1(n, 0.1f), m2(n, 0.1f), v1(n, 0.2f), v2(n, 0.2f);
  for (int rep = 0; rep < 2; ++rep) {
    kernels::cpu::sgd_update(p1.data(), g.data(), n, 0.01f);
    kernels::cpu::momentum_update(p1.data(), g.data(), a1.data(), n, 0.01f, 0.9f, rep == 1);
    kernels::cpu::adam_update(p1.data(), g.data(), m1.data(), v1.data(), n, 0.003f, 0.9f, 0.999f,
                              1e-8f);
    for (std::int64_t i = 0; i < n; i += chunk) {
      kernels::cpu::sgd_update(p2.data() + i, g.data() + i, chunk, 0.01f);
      kernels::cpu::momentum_update(p2.data() + i, g.data() + i, a2.data() + i, chunk, 0.01f, 0.9f,
                                    rep == 1);
      kernels::cpu::adam_update(p2.data() + i, g.data() + i, m2.data() + i, v2.data() + i, chunk,
                                0.003f, 0.9f, 0.999f, 1e-8f);
    }
  }
  EXPECT_EQ(std::memcmp(p1.data(), p2.data(), n * sizeof(float)), 0);
  EXPECT_EQ(a1, a2);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(v1, v2);
  EXPECT_NE(p1, p0);
}

// ---------------------------------------------------------------------------------------------
// Convergence on f(θ) = ½θᵀAθ, A symmetric positive definite (eigenvalues ≈ 0.75 … 3.25)

TEST(OptimizerConvergence, EveryOptimizerApproachesTheMinimum) {
  // Tridiagonal: 2 on the diagonal (1 and 3 at the corners), −0.5 beside it.
  const std::vector<double> a = {1.0, -0.5, 0.0,  0.0, 0.0,  -0.5, 2.0, -0.5, 0.0,
                                 0.0, 0.0,  -0.5, 2.0, -0.5, 0.0,  0.0, 0.0,  -0.5,
                                 2.0, -0.5, 0.0,  0.0, 0.0,  -0.5, 3.0};
  const std::vector<double> theta0 = {1.0, -2.0, 0.5, 3.0, -1.0};
  struct Case {
    std::string name;
    std::map<std::string, std::string> hp;
    double lr;
  };
  const std::vector<Case> cases = {
      {"sgd", {}, 0.1},
      {"momentum", {{"momentum", "0.9"}}, 0.05},
      {"momentum", {{"momentum", "0.9"}, {"use_nesterov", "true"}}, 0.05},
      {"adam", {}, 0.05}};
  for (const DType dtype : {DType::F32, DType::F64}) {
    for (const auto& c : cases) {
      Harness s(theta0, 3, dtype);
      auto opt = make(c.name, s, c.hp);
      const double f0 = quadratic(a, s.theta());
      descend(*opt, s, a, c.lr, 300);
      const double f = quadratic(a, s.theta());
      EXPECT_LT(f, 1e-9 * f0) << c.name << " " << dtype_name(dtype) << ": f = " << f;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The gaps between segments

TEST(OptimizerGaps, StayExactlyZeroInParametersAndState) {
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> cases = {
      {"sgd", {}},
      {"momentum", {{"momentum", "0.99"}}},
      {"momentum", {{"momentum", "0.99"}, {"use_nesterov", "true"}}},
      {"adam", {}}};
  for (const auto& [name, hp] : cases) {
    Harness s({0.3, -0.7, 1.5, 2.0, -4.0}, 3, DType::F32);
    const auto gaps = s.gaps();
    ASSERT_FALSE(gaps.empty());
    auto opt = make(name, s, hp);
    for (int k = 0; k < 25; ++k) {
      // Large, sign-changing gradients; from step 20 on the "b" segment gets NaN, which must stay
      // inside its segment.
      const double big = (k % 2 ? 1e6 : -3e5) * (k + 1);
      const double b = k >= 20 ? std::nan("") : -big;
      s.set_grad({big, 0.5, -big, b, b});
      opt->step({k, 0, 0.3});
    }
    const auto params = s.flat.params().to_vector<float>();
    for (const auto i : gaps)
      EXPECT_EQ(params[i], 0.0f) << name << " parameter gap " << i;
    for (const auto& slot : opt->info().state_slots) {
      if (slot.kind != StateSlotKind::LikeParams) continue;
      const auto state = opt->state(slot.name).to_vector<float>();
      for (const auto i : gaps)
        EXPECT_EQ(state[i], 0.0f) << name << " " << slot.name << " " << i;
    }
    EXPECT_TRUE(std::isnan(params[s.flat.segments()[1].offset])) << name;
    EXPECT_TRUE(std::isfinite(params[0])) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// State: size, save → load → continue

TEST(OptimizerState, SlotsAndBytes) {
  Harness s({1.0, 2.0, 3.0}, 2, DType::F32);
  const std::int64_t n = s.flat.size();
  EXPECT_EQ(n, 17);  // "w" at 0 (2 elements), "b" at 16 (1 element)
  EXPECT_EQ(make("sgd", s)->state_bytes(), 0);
  auto momentum = make("momentum", s, {{"momentum", "0.9"}});
  EXPECT_EQ(momentum->state_bytes(), n * 4);
  EXPECT_EQ(momentum->state("accumulator").numel(), n);
  auto adam = make("adam", s);
  EXPECT_EQ(adam->state_bytes(), 2 * n * 4 + 8);
  EXPECT_EQ(adam->state("v").dtype(), DType::F32);
  EXPECT_EQ(adam->state("step").dtype(), DType::I64);
  for (const float x : adam->state("m").to_vector<float>())
    EXPECT_EQ(x, 0.0f);
  const std::string msg = error_of([&] { adam->state("accumulator"); });
  EXPECT_NE(msg.find("no state slot 'accumulator'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("m, v, step"), std::string::npos) << msg;
}

TEST(OptimizerState, SaveLoadContinueEqualsAnUninterruptedRunBitForBit) {
  const std::vector<double> a = {2.0, 0.3, 0.0, 0.3, 1.0, -0.2, 0.0, -0.2, 0.5};
  const std::vector<double> theta0 = {1.0, -1.5, 0.75};
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> cases = {
      {"sgd", {}},
      {"momentum", {{"momentum", "0.9"}}},
      {"momentum", {{"momentum", "0.9"}, {"use_nesterov", "true"}}},
      {"adam", {}}};
  const auto bytes_of = [](const Tensor& t) {
    const auto* p = static_cast<const std::uint8_t*>(t.raw_data());
    return std::vector<std::uint8_t>(p, p + t.nbytes());
  };
  for (const auto& [name, hp] : cases) {
    Harness whole(theta0, 2, DType::F32);
    auto o_whole = make(name, whole, hp);
    descend(*o_whole, whole, a, 0.01, 20);

    Harness first(theta0, 2, DType::F32);
    auto o_first = make(name, first, hp);
    descend(*o_first, first, a, 0.01, 10);
    const auto saved = o_first->save_state();

    // A fresh model and optimizer (other starting values), given the checkpoint.
    Harness resumed({9.0, 9.0, 9.0}, 2, DType::F32);
    resumed.flat.params().copy_from(first.flat.params());
    auto o_resumed = make(name, resumed, hp);
    o_resumed->load_state(saved);
    EXPECT_EQ(o_resumed->save_state(), saved) << name;
    descend(*o_resumed, resumed, a, 0.01, 10, 10);

    EXPECT_EQ(bytes_of(resumed.flat.params()), bytes_of(whole.flat.params())) << name;
    EXPECT_EQ(o_resumed->save_state(), o_whole->save_state()) << name;

    // The comparison can fail: resuming without the state diverges for stateful optimizers.
    if (name != "sgd") {
      Harness fresh({9.0, 9.0, 9.0}, 2, DType::F32);
      fresh.flat.params().copy_from(first.flat.params());
      auto o_fresh = make(name, fresh, hp);
      descend(*o_fresh, fresh, a, 0.01, 10, 10);
      EXPECT_NE(bytes_of(fresh.flat.params()), bytes_of(whole.flat.params())) << name;
    }
  }
}

TEST(OptimizerState, LoadRejectsForeignOrDamagedStateAndKeepsItsOwn) {
  Harness s({1.0, 2.0, 3.0}, 2, DType::F32);
  auto adam = make("adam", s);
  s.set_grad({1.0, -1.0, 0.5});
  adam->step({0, 0, 0.1});
  const auto good = adam->save_state();

  auto momentum = make("momentum", s, {{"momentum", "0.9"}});
  std::string msg = error_of([&] { momentum->load_state(good); });
  EXPECT_NE(msg.find("belongs to AdamOptimizer, not MomentumOptimizer"), std::string::npos) << msg;

  auto other = make("adam", s);
  const auto before = other->save_state();
  auto truncated = good;
  truncated.resize(good.size() - 3);
  msg = error_of([&] { other->load_state(truncated); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  auto extra = good;
  extra.push_back(0);
  msg = error_of([&] { other->load_state(extra); });
  EXPECT_NE(msg.find("1 unexpected bytes"), std::string::npos) << msg;
  auto garbage = good;
  garbage[0] = 'X';
  msg = error_of([&] { other->load_state(garbage); });
  EXPECT_NE(msg.find("format tag"), std::string::npos) << msg;
  EXPECT_EQ(other->save_state(), before);  // every failed load left the state untouched

  Harness bigger({1.0, 2.0, 3.0, 4.0, 5.0}, 2, DType::F32);  // "b" has 3 elements: buffer of 19
  auto adam_bigger = make("adam", bigger);
  msg = error_of([&] { adam_bigger->load_state(good); });
  EXPECT_NE(msg.find("slot 'm' was saved with 17 elements"), std::string::npos) << msg;

  Harness f64({1.0, 2.0, 3.0}, 2, DType::F64);
  auto adam_f64 = make("adam", f64);
  msg = error_of([&] { adam_f64->load_state(good); });
  EXPECT_NE(msg.find("another model or dtype"), std::string::npos) << msg;

  other->load_state(good);
  EXPECT_EQ(other->save_state(), good);
}

// ---------------------------------------------------------------------------------------------
// The step context

TEST(OptimizerStep, RejectsNonFiniteLearningRate) {
  Harness s(kTheta0, 1);
  auto opt = make("sgd", s);
  s.set_grad({1.0, 1.0});
  const std::string msg = error_of([&] { opt->step({7, 0, std::nan("")}); });
  EXPECT_NE(msg.find("GradientDescentOptimizer: learning rate must be finite, got nan at step 7"),
            std::string::npos)
      << msg;
  EXPECT_THROW(opt->step({0, 0, INFINITY}), Error);
  expect_theta(s, kTheta0, 0.0, 0);  // nothing was applied
}

// ---------------------------------------------------------------------------------------------
// Hyperparameter resolution

TEST(OptimizerHyperparameters, DefaultsFillWhatIsNotGiven) {
  const auto adam = resolve_hyperparameters(find_optimizer("adam"), {});
  EXPECT_EQ(adam.values().size(), 3u);
  EXPECT_EQ(adam.get_f64("beta1"), 0.9);
  EXPECT_EQ(adam.get_f64("beta2"), 0.999);
  EXPECT_EQ(adam.get_f64("epsilon"), 1e-8);

  const auto given = resolve_hyperparameters(find_optimizer("adam"), {{"beta2", "0.99"}});
  EXPECT_EQ(given.get_f64("beta2"), 0.99);
  EXPECT_EQ(given.get_f64("beta1"), 0.9);

  const auto momentum = resolve_hyperparameters(find_optimizer("momentum"), {{"momentum", "0.99"}});
  EXPECT_EQ(momentum.get_f64("momentum"), 0.99);
  EXPECT_FALSE(momentum.get_bool("use_nesterov"));

  EXPECT_TRUE(resolve_hyperparameters(find_optimizer("sgd"), {}).empty());
}

TEST(OptimizerHyperparameters, ParsesNumbersAndBooleans) {
  const OptimizerInfo& info = find_optimizer("momentum");
  const auto resolve = [&](const std::string& m, const std::string& nesterov) {
    return resolve_hyperparameters(info, {{"momentum", m}, {"use_nesterov", nesterov}});
  };
  EXPECT_TRUE(resolve("0.9", "true").get_bool("use_nesterov"));
  EXPECT_TRUE(resolve("0.9", "True").get_bool("use_nesterov"));  // Python's str(True)
  EXPECT_TRUE(resolve("0.9", "1").get_bool("use_nesterov"));
  EXPECT_FALSE(resolve("0.9", "FALSE").get_bool("use_nesterov"));
  EXPECT_FALSE(resolve("0.9", "0").get_bool("use_nesterov"));
  EXPECT_EQ(resolve("9.9e-01", "0").get_f64("momentum"), 0.99);
  EXPECT_EQ(resolve("+.5", "0").get_f64("momentum"), 0.5);
  EXPECT_EQ(resolve("0", "0").get_f64("momentum"), 0.0);  // the closed end of [0, 1)
}

TEST(OptimizerHyperparameters, UnknownNameListsTheKnownOnesAndSuggests) {
  std::string msg = error_of([] {
    resolve_hyperparameters(find_optimizer("momentum"), {{"momentun", "0.9"}});
  });
  EXPECT_EQ(msg,
            "MomentumOptimizer: unknown hyperparameter 'momentun' (did you mean 'momentum'?); "
            "known: momentum, use_nesterov");

  msg = error_of([] { resolve_hyperparameters(find_optimizer("adam"), {{"nesterov", "1"}}); });
  EXPECT_NE(msg.find("unknown hyperparameter 'nesterov'; known: beta1, beta2, epsilon"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg;

  msg = error_of([] { resolve_hyperparameters(find_optimizer("adam"), {{"eps", "1e-7"}}); });
  EXPECT_NE(msg.find("did you mean 'epsilon'"), std::string::npos) << msg;

  msg = error_of([] { resolve_hyperparameters(find_optimizer("sgd"), {{"momentum", "0.9"}}); });
  EXPECT_EQ(msg,
            "GradientDescentOptimizer: unknown hyperparameter 'momentum'; GradientDescentOptimizer "
            "has no hyperparameters besides the learning rate");

  msg = error_of([] { resolve_hyperparameters(find_optimizer("adam"), {{"lr", "0.1"}}); });
  EXPECT_NE(msg.find("'lr' is not an optimizer hyperparameter: the learning rate is given "
                     "separately"),
            std::string::npos)
      << msg;
}

TEST(OptimizerHyperparameters, MissingRequiredNamesItAndItsRange) {
  const std::string msg = error_of([] {
    resolve_hyperparameters(find_optimizer("momentum"), {{"use_nesterov", "1"}});
  });
  EXPECT_NE(
      msg.find("MomentumOptimizer: missing required hyperparameter 'momentum' (f64 in [0, 1)"),
      std::string::npos)
      << msg;
  EXPECT_NE(msg.find("0.99"), std::string::npos) << msg;  // the doc mentions the baseline value
}

TEST(OptimizerHyperparameters, UnparsableValueNamesTextAndType) {
  const OptimizerInfo& momentum = find_optimizer("momentum");
  std::string msg = error_of([&] { resolve_hyperparameters(momentum, {{"momentum", "abc"}}); });
  EXPECT_EQ(msg,
            "MomentumOptimizer: hyperparameter 'momentum' expects f64 (a finite number such as 0.9 "
            "or 1e-8), got 'abc'");
  for (const char* bad : {"", "0.9x", " 0.9", "nan", "inf", "1e999", "+-1", "0,9"}) {
    msg = error_of([&] { resolve_hyperparameters(momentum, {{"momentum", bad}}); });
    EXPECT_NE(msg.find(cat("expects f64 (a finite number such as 0.9 or 1e-8), got '", bad, "'")),
              std::string::npos)
        << msg;
  }
  msg = error_of([&] {
    resolve_hyperparameters(momentum, {{"momentum", "0.9"}, {"use_nesterov", "yes"}});
  });
  EXPECT_EQ(msg,
            "MomentumOptimizer: hyperparameter 'use_nesterov' expects bool (true, false, 1 or 0), "
            "got 'yes'");

  // No built-in optimizer has an integer hyperparameter yet; a plugin-style spec exercises them.
  const OptimizerInfo lookahead{.name = "Lookahead",
                                .hyperparameters = {{.name = "k",
                                                     .type = HyperparameterType::I64,
                                                     .default_value = std::int64_t{5},
                                                     .min = 1,
                                                     .max = 100,
                                                     .doc = "inner steps per outer step"}}};
  EXPECT_EQ(resolve_hyperparameters(lookahead, {}).get_i64("k"), 5);
  EXPECT_EQ(resolve_hyperparameters(lookahead, {{"k", "100"}}).get_i64("k"), 100);
  for (const char* bad : {"3.5", "12a", "99999999999999999999", "1e2"}) {
    msg = error_of([&] { resolve_hyperparameters(lookahead, {{"k", bad}}); });
    EXPECT_EQ(msg, cat("Lookahead: hyperparameter 'k' expects i64 (an integer such as 100), got '",
                       bad, "'"));
  }
  msg = error_of([&] { resolve_hyperparameters(lookahead, {{"k", "0"}}); });
  EXPECT_EQ(msg,
            "Lookahead: hyperparameter 'k' = 0 is outside [1, 100] (inner steps per outer step)");
}

TEST(OptimizerHyperparameters, ValueOutsideTheRangeIsRejected) {
  const OptimizerInfo& momentum = find_optimizer("momentum");
  std::string msg = error_of([&] { resolve_hyperparameters(momentum, {{"momentum", "1"}}); });
  EXPECT_NE(msg.find("MomentumOptimizer: hyperparameter 'momentum' = 1 is outside [0, 1)"),
            std::string::npos)
      << msg;
  msg = error_of([&] { resolve_hyperparameters(momentum, {{"momentum", "-0.1"}}); });
  EXPECT_NE(msg.find("'momentum' = -0.1 is outside [0, 1)"), std::string::npos) << msg;

  const OptimizerInfo& adam = find_optimizer("adam");
  msg = error_of([&] { resolve_hyperparameters(adam, {{"epsilon", "0"}}); });
  EXPECT_NE(msg.find("AdamOptimizer: hyperparameter 'epsilon' = 0 is outside (0, inf)"),
            std::string::npos)
      << msg;
  msg = error_of([&] { resolve_hyperparameters(adam, {{"beta2", "1.0"}}); });
  EXPECT_NE(msg.find("'beta2' = 1.0 is outside [0, 1)"), std::string::npos) << msg;
  msg = error_of([&] { resolve_hyperparameters(adam, {{"beta1", "-1e-9"}}); });
  EXPECT_NE(msg.find("'beta1' = -1e-9 is outside [0, 1)"), std::string::npos) << msg;
  EXPECT_EQ(resolve_hyperparameters(adam, {{"epsilon", "1e-300"}}).get_f64("epsilon"), 1e-300);
}

TEST(OptimizerHyperparameters, HandBuiltValuesAreCheckedWhenTheOptimizerIsMade) {
  Harness s(kTheta0, 1);
  Hyperparameters hp;
  std::string msg = error_of([&] { make_optimizer("momentum", s.flat, hp); });
  EXPECT_NE(msg.find("missing required hyperparameter 'momentum'"), std::string::npos) << msg;

  hp.set("momentum", true);
  hp.set("use_nesterov", false);
  msg = error_of([&] { make_optimizer("momentum", s.flat, hp); });
  EXPECT_NE(msg.find("'momentum' is bool but must be f64"), std::string::npos) << msg;

  hp.set("momentum", 1.5);
  msg = error_of([&] { make_optimizer("momentum", s.flat, hp); });
  EXPECT_NE(msg.find("'momentum' = 1.5 is outside [0, 1)"), std::string::npos) << msg;

  hp.set("momentum", 0.9);
  hp.set("beta1", 0.9);
  msg = error_of([&] { make_optimizer("momentum", s.flat, hp); });
  EXPECT_NE(msg.find("unknown hyperparameter 'beta1'"), std::string::npos) << msg;

  Hyperparameters good;
  good.set("momentum", 0.9);
  good.set("use_nesterov", true);
  EXPECT_EQ(make_optimizer("momentum", s.flat, good)->hyperparameters().get_f64("momentum"), 0.9);
}

TEST(OptimizerHyperparameters, TypedGettersRefuseMissingAndMistypedNames) {
  Hyperparameters hp;
  hp.set("beta1", 0.9);
  hp.set("k", std::int64_t{3});
  EXPECT_EQ(hp.get_i64("k"), 3);
  EXPECT_TRUE(hp.contains("beta1"));
  EXPECT_FALSE(hp.contains("beta2"));
  std::string msg = error_of([&] { hp.get_bool("beta1"); });
  EXPECT_EQ(msg, "hyperparameter 'beta1' is f64, not bool");
  msg = error_of([&] { hp.get_f64("beta2"); });
  EXPECT_EQ(msg, "hyperparameter 'beta2' is not set");
}

TEST(OptimizerHyperparameters, ClosestNameIsCaseInsensitiveAndOnlyForPlausibleTypos) {
  const std::vector<std::string> names = {"beta1", "beta2", "epsilon"};
  EXPECT_EQ(closest_name("BETA1", names), "beta1");
  EXPECT_EQ(closest_name("beta3", names), "beta1");  // a tie goes to the earlier candidate
  EXPECT_EQ(closest_name("epsilom", names), "epsilon");
  EXPECT_EQ(closest_name("eps", names), "epsilon");  // a prefix
  EXPECT_EQ(closest_name("weight_decay", names), std::nullopt);
  EXPECT_EQ(closest_name("x", {}), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Registry

TEST(OptimizerRegistry, FindsClassNamesAndAliasesIgnoringCase) {
  const auto& all = builtin_optimizers();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->name, "GradientDescentOptimizer");
  EXPECT_EQ(all[1]->name, "MomentumOptimizer");
  EXPECT_EQ(all[2]->name, "AdamOptimizer");
  EXPECT_EQ(find_optimizer("sgd").name, "GradientDescentOptimizer");
  EXPECT_EQ(find_optimizer("SGD").name, "GradientDescentOptimizer");
  EXPECT_EQ(find_optimizer("GradientDescentOptimizer").name, "GradientDescentOptimizer");
  EXPECT_EQ(find_optimizer("momentum").name, "MomentumOptimizer");
  EXPECT_EQ(find_optimizer("adam").name, "AdamOptimizer");
  EXPECT_EQ(find_optimizer("Adam").name, "AdamOptimizer");
  EXPECT_EQ(&find_optimizer("adamoptimizer"), all[2]);

  Harness s(kTheta0, 1);
  EXPECT_EQ(make_optimizer("SGD", s.flat, Hyperparameters{})->info().name,
            "GradientDescentOptimizer");
}

TEST(OptimizerRegistry, UnknownNameListsTheKnownOnesAndSuggests) {
  const std::string known =
      "known: GradientDescentOptimizer (sgd), MomentumOptimizer (momentum), AdamOptimizer (adam)";
  std::string msg = error_of([] { find_optimizer("adma"); });
  EXPECT_EQ(msg, "unknown optimizer 'adma' (did you mean 'adam'?); " + known);
  msg = error_of([] { find_optimizer("MomentumOptimiser"); });
  EXPECT_NE(msg.find("did you mean 'MomentumOptimizer'"), std::string::npos) << msg;
  msg = error_of([] { find_optimizer("lbfgs"); });
  EXPECT_EQ(msg, "unknown optimizer 'lbfgs'; " + known);
  Harness s(kTheta0, 1);
  EXPECT_THROW(make_optimizer("rmsprop", s.flat, Hyperparameters{}), Error);
}

TEST(OptimizerRegistry, BuiltinSpecsAreConsistent) {
  std::vector<std::string> names;
  for (const OptimizerInfo* info : builtin_optimizers()) {
    names.push_back(info->name);
    EXPECT_FALSE(info->aliases.empty()) << info->name;
    EXPECT_FALSE(info->description.empty()) << info->name;
    for (const auto& spec : info->hyperparameters) {
      EXPECT_EQ(info->find_hyperparameter(spec.name), &spec) << "duplicate " << spec.name;
      EXPECT_FALSE(spec.doc.empty()) << spec.name;
      if (!spec.default_value) continue;
      EXPECT_EQ(hyperparameter_value_type(*spec.default_value), spec.type) << spec.name;
      if (spec.type == HyperparameterType::Enum) continue;  // the built-ins have none
      const double x = std::visit(
          [](const auto& v) -> double {
            if constexpr (std::is_arithmetic_v<std::decay_t<decltype(v)>>) {
              return static_cast<double>(v);
            } else {
              return std::nan("");
            }
          },
          *spec.default_value);
      EXPECT_TRUE(in_range(spec, x)) << spec.name;
    }
  }
  // Class names and aliases are all distinct, so every lookup has one answer.
  for (const OptimizerInfo* info : builtin_optimizers())
    for (const auto& alias : info->aliases)
      names.push_back(alias);
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j)
      EXPECT_NE(names[i], names[j]);
  EXPECT_EQ(range_string(*find_optimizer("adam").find_hyperparameter("epsilon")), "(0, inf)");
  EXPECT_EQ(range_string(*find_optimizer("momentum").find_hyperparameter("use_nesterov")), "any");
  EXPECT_TRUE(find_optimizer("adam").find_hyperparameter("epsilon")->log_scale);
}

}  // namespace
}  // namespace deepobs
