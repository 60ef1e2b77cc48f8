#include "tests/common/op_cases.h"

#include <cctype>
#include <cmath>
#include <random>

#include "core/ops/activation.h"
#include "core/ops/batch_norm.h"
#include "core/ops/conv.h"
#include "core/ops/dropout.h"
#include "core/ops/elementwise.h"
#include "core/ops/embedding.h"
#include "core/ops/l2.h"
#include "core/ops/linear.h"
#include "core/ops/loss.h"
#include "core/ops/lstm.h"
#include "core/ops/pool.h"
#include "core/ops/reduce.h"
#include "core/ops/resize.h"
#include "core/ops/shape.h"

namespace deepobs::testing {
namespace {

using ops::Padding2d;
using ops::PaddingMode;
using V = std::vector<Tensor>;

// Reasons for the twin tolerances.
constexpr const char* kExact = "basic IEEE operations in the same order (no FMA): identical bits";
constexpr const char* kLibm =
    "CUDA's libdevice and the CPU's Eigen/glibc transcendental functions differ by a few ulp";
constexpr const char* kSums =
    "f32 sums in another order (cuBLAS/cuDNN tiling vs Eigen; double accumulators elsewhere)";

// The absolute tolerance of a sum of `terms` products of values in [−1, 1] rounded in f32 in two
// orders: ~sqrt(terms)·2⁻²⁴ per unit of partial sum, which grows like sqrt(terms); 8× margin.
double sums(double terms) {
  return 8.0 * terms * std::ldexp(1.0, -24) + 1e-6;
}

OpInput in(Shape shape, double lo = -1, double hi = 1) {
  return OpInput{std::move(shape), lo, hi};
}
OpInput kinked(Shape shape) {  // ±[0.05, 1.5]: both signs, never on the kink at 0
  return OpInput{std::move(shape), -1.45, 1.45, 0.05};
}

template <class F>
OpCase unary(std::string name, OpInput x, F f, double rtol, double atol, const char* why) {
  return {
      std::move(name), {std::move(x)}, [f](const V& v) { return f(v[0]); }, {}, rtol, atol, why};
}

std::vector<OpCase> make_cases() {
  std::vector<OpCase> c;
  // ---- unary maps and activations
  const OpInput any = in({3, 4}, -1.5, 1.5), positive = in({3, 4}, 0.3, 2.0);
  c.push_back(unary(
      "neg", any, [](auto& x) { return ops::neg(x); }, 0, 0, kExact));
  c.push_back(unary(
      "square", any, [](auto& x) { return ops::square(x); }, 0, 0, kExact));
  c.push_back(unary(
      "add_scalar", any, [](auto& x) { return ops::add_scalar(x, 2.5); }, 0, 0, kExact));
  c.push_back(unary(
      "mul_scalar", any, [](auto& x) { return ops::mul_scalar(x, -1.75); }, 0, 0, kExact));
  c.push_back(unary(
      "exp", any, [](auto& x) { return ops::exp(x); }, 2e-6, 1e-6, kLibm));
  c.push_back(unary(
      "sin", any, [](auto& x) { return ops::sin(x); }, 2e-6, 1e-6, kLibm));
  c.push_back(unary(
      "cos", any, [](auto& x) { return ops::cos(x); }, 2e-6, 1e-6, kLibm));
  c.push_back(unary(
      "pow_3", any, [](auto& x) { return ops::pow(x, 3.0); }, 2e-6, 1e-6, kLibm));
  c.push_back(unary(
      "log", positive, [](auto& x) { return ops::log(x); }, 2e-6, 1e-6, kLibm));
  // Eigen's EIGEN_FAST_MATH f32 sqrt is rsqrt plus one Newton step, 1-2 bits short of CUDA's.
  c.push_back(unary(
      "sqrt", positive, [](auto& x) { return ops::sqrt(x); }, 2e-6, 0, kLibm));
  c.push_back(unary(
      "pow_2.5", positive, [](auto& x) { return ops::pow(x, 2.5); }, 2e-6, 1e-6, kLibm));
  c.push_back(unary(
      "pow_-1.5", positive, [](auto& x) { return ops::pow(x, -1.5); }, 2e-6, 1e-6, kLibm));
  c.push_back(unary(
      "pow_0", positive, [](auto& x) { return ops::pow(x, 0.0); }, 0, 0, kExact));
  c.push_back(unary(
      "relu", kinked({3, 5}), [](auto& x) { return ops::relu(x); }, 0, 0, kExact));
  c.push_back(unary(
      "leaky_relu_0.3", kinked({3, 5}), [](auto& x) { return ops::leaky_relu(x, 0.3); }, 0, 0,
      kExact));
  c.push_back(unary(
      "leaky_relu_0", kinked({3, 5}), [](auto& x) { return ops::leaky_relu(x, 0.0); }, 0, 0,
      kExact));
  c.push_back(unary(
      "sigmoid", in({3, 5}, -4, 4), [](auto& x) { return ops::sigmoid(x); }, 2e-6, 1e-6, kLibm));
  c.push_back(unary(
      "tanh", in({3, 5}, -4, 4), [](auto& x) { return ops::tanh(x); }, 2e-6, 1e-6, kLibm));
  // ---- binary ops over every broadcast pattern: equal shapes, a row vector, operands repeated
  // along different dimensions, a scalar on either side
  struct Binary {
    const char* name;
    Tensor (*op)(const Tensor&, const Tensor&);
    double a_lo, a_hi, b_lo, b_hi;  // div: divisor away from 0; pow: positive base
  };
  const Binary binaries[] = {
      {"add", &ops::add, -1, 1, -1, 1},
      {"sub", &ops::sub, -1, 1, -1, 1},
      {"mul", &ops::mul, -1, 1, -1, 1},
      {"div", &ops::div, -1, 1, 0.5, 2.0},
      {"pow", static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&ops::pow), 0.5, 2.0, -1.5,
       2.5},
  };
  const std::pair<Shape, Shape> patterns[] = {{{2, 3}, {2, 3}}, {{2, 3}, {3}}, {{2, 1, 4}, {3, 1}},
                                              {{}, {2, 3}},     {{2, 3}, {}},  {{3, 1}, {1, 4}}};
  for (const Binary& b : binaries)
    for (const auto& [sa, sb] : patterns) {
      const bool pow = std::string(b.name) == "pow";
      c.push_back({std::string(b.name) + "_" + shape_str(sa) + "_" + shape_str(sb),
                   {in(sa, b.a_lo, b.a_hi), in(sb, b.b_lo, b.b_hi)},
                   [op = b.op](const V& v) { return op(v[0], v[1]); },
                   {},
                   pow ? 2e-6 : 1e-6,
                   pow ? 1e-5 : 1e-6,
                   pow ? "libm pow/log, and gradients summed in another order"
                       : "exact arithmetic; a broadcast operand's gradient is a double sum "
                         "rounded once, in another order"});
    }
  c.push_back({"broadcast_to",
               {in({3, 1})},
               [](const V& v) {
                 return ops::broadcast_to(v[0], {2, 3, 4});
               },
               {},
               1e-6,
               1e-7,
               "copies; the gradient sums 8 terms in double, another order"});
  c.push_back({"sum_to",
               {in({2, 3, 4})},
               [](const V& v) {
                 return ops::sum_to(v[0], {3, 1});
               },
               {},
               1e-6,
               1e-7,
               "double sums in another order, rounded once to f32"});
  // ---- reductions
  const char* kReduce = "double sums in another order, rounded once to f32";
  c.push_back(
      {"sum", {in({2, 3, 4})}, [](const V& v) { return ops::sum(v[0]); }, {}, 1e-6, 1e-7, kReduce});
  c.push_back({"mean",
               {in({2, 3, 4})},
               [](const V& v) { return ops::mean(v[0]); },
               {},
               1e-6,
               1e-7,
               kReduce});
  const std::pair<std::vector<std::int64_t>, bool> axes[] = {{{0}, false},   {{1}, true},
                                                             {{-1}, false},  {{0, 2}, false},
                                                             {{2, 0}, true}, {{0, 1, 2}, false}};
  for (const auto& [a, keep] : axes) {
    std::string tag;
    for (auto d : a)
      tag += "_" + std::to_string(d);
    tag += keep ? "_keep" : "";
    c.push_back({"sum_axes" + tag,
                 {in({2, 3, 4})},
                 [a, keep](const V& v) { return ops::sum(v[0], a, keep); },
                 {},
                 1e-6,
                 1e-7,
                 kReduce});
    c.push_back({"mean_axes" + tag,
                 {in({2, 3, 4})},
                 [a, keep](const V& v) { return ops::mean(v[0], a, keep); },
                 {},
                 1e-6,
                 1e-7,
                 kReduce});
  }
  // ---- products
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Shape sa = ta ? Shape{4, 3} : Shape{3, 4}, sb = tb ? Shape{5, 4} : Shape{4, 5};
      c.push_back({std::string("matmul") + (ta ? "_ta" : "") + (tb ? "_tb" : ""),
                   {in(sa), in(sb)},
                   [ta, tb](const V& v) { return ops::matmul(v[0], v[1], ta, tb); },
                   {},
                   1e-5,
                   sums(5),
                   kSums});
    }
  c.push_back({"dense",
               {in({3, 4}), in({4, 5}), in({5})},
               [](const V& v) { return ops::dense(v[0], v[1], v[2]); },
               {},
               1e-5,
               sums(5),
               kSums});
  // ---- convolutions: asymmetric padding, TF 'same' at stride 2, mixed strides, 1×1, transposed
  c.push_back({"conv2d_s1_pad_1/2/0/1",
               {in({2, 3, 5, 4}), in({4, 3, 3, 2}), in({4})},
               [](const V& v) {
                 return ops::conv2d(v[0], v[1], v[2], 1, 1, Padding2d{1, 2, 0, 1});
               },
               {},
               1e-5,
               sums(80),
               kSums});
  c.push_back({"conv2d_s2_same",
               {in({2, 2, 7, 6}), in({3, 2, 4, 3}), in({3})},
               [](const V& v) { return ops::conv2d(v[0], v[1], v[2], 2, 2, PaddingMode::kSame); },
               {},
               1e-5,
               sums(56),
               kSums});
  c.push_back(
      {"conv2d_s21_valid_no_bias",
       {in({3, 2, 6, 5}), in({2, 2, 3, 2})},
       [](const V& v) { return ops::conv2d(v[0], v[1], Tensor(), 2, 1, PaddingMode::kValid); },
       {},
       1e-5,
       sums(48),
       kSums});
  c.push_back({"conv2d_1x1",
               {in({2, 3, 3, 4}), in({2, 3, 1, 1}), in({2})},
               [](const V& v) { return ops::conv2d(v[0], v[1], v[2], 1, 1, Padding2d{}); },
               {},
               1e-5,
               sums(24),
               kSums});
  c.push_back(
      {"conv_transpose2d_s1_same",
       {in({2, 3, 4, 5}), in({3, 2, 4, 3}), in({2})},
       [](const V& v) { return ops::conv_transpose2d(v[0], v[1], v[2], 1, 1, PaddingMode::kSame); },
       {},
       1e-5,
       sums(60),
       kSums});
  c.push_back(
      {"conv_transpose2d_s2_same",
       {in({2, 2, 3, 4}), in({2, 3, 4, 4}), in({3})},
       [](const V& v) { return ops::conv_transpose2d(v[0], v[1], v[2], 2, 2, PaddingMode::kSame); },
       {},
       1e-5,
       sums(64),
       kSums});
  c.push_back(
      {"conv_transpose2d_s21_explicit_7x4",
       {in({2, 2, 4, 4}), in({2, 3, 3, 3})},
       [](const V& v) {
         return ops::conv_transpose2d(v[0], v[1], Tensor(), 2, 1, Padding2d{1, 1, 0, 2}, 7, 4);
       },
       {},
       1e-5,
       sums(56),
       kSums});
  // ---- pooling and resizing: the CUDA kernels run the CPU's operations in the CPU's order
  c.push_back({"max_pool2d_3x3_s2_same",
               {in({2, 3, 7, 6})},
               [](const V& v) { return ops::max_pool2d(v[0], 3, 3, 2, 2, PaddingMode::kSame); },
               {},
               0,
               0,
               kExact});
  // The disjoint 2×2/2 windows of 2c2d take vectorised loops of their own (kernels/cpu/pool.cpp).
  c.push_back({"max_pool2d_2x2_s2_same_even",
               {in({2, 3, 6, 4})},
               [](const V& v) { return ops::max_pool2d(v[0], 2, 2, 2, 2, PaddingMode::kSame); },
               {},
               0,
               0,
               kExact});
  c.push_back({"max_pool2d_2x2_s2_valid_odd",
               {in({2, 2, 5, 7})},
               [](const V& v) { return ops::max_pool2d(v[0], 2, 2, 2, 2, PaddingMode::kValid); },
               {},
               0,
               0,
               kExact});
  c.push_back({"max_pool2d_2x3_s1_asym",
               {in({2, 2, 4, 5})},
               [](const V& v) {
                 return ops::max_pool2d(v[0], 2, 3, 1, 1, Padding2d{1, 0, 2, 1});
               },
               {},
               0,
               0,
               kExact});
  c.push_back({"avg_pool2d_3x3_s1_same",
               {in({2, 3, 5, 4})},
               [](const V& v) { return ops::avg_pool2d(v[0], 3, 3, 1, 1, PaddingMode::kSame); },
               {},
               0,
               0,
               kExact});
  c.push_back({"avg_pool2d_2x3_s2_asym",
               {in({2, 2, 5, 6})},
               [](const V& v) {
                 return ops::avg_pool2d(v[0], 2, 3, 2, 2, Padding2d{0, 1, 2, 1});
               },
               {},
               0,
               0,
               kExact});
  const std::pair<Shape, Shape> resizes[] = {
      {{2, 2, 3, 5}, {7, 8}}, {{2, 2, 6, 5}, {4, 3}}, {{1, 3, 4, 3}, {2, 7}}};
  for (const auto& [shape, out] : resizes)
    c.push_back({"resize_bilinear_" + shape_str(shape) + "_to_" + shape_str(out),
                 {in(shape)},
                 [h = out[0], w = out[1]](const V& v) { return ops::resize_bilinear(v[0], h, w); },
                 {},
                 0,
                 0,
                 kExact});
  // ---- shapes
  const char* kCopy = "copies only";
  c.push_back({"reshape",
               {in({2, 3, 2})},
               [](const V& v) {
                 return ops::reshape(v[0], {3, -1});
               },
               {},
               0,
               0,
               kCopy});
  c.push_back({"flatten",
               {in({2, 3, 2, 2})},
               [](const V& v) { return ops::flatten(v[0]); },
               {},
               0,
               0,
               kCopy});
  c.push_back({"concat_axis_1",
               {in({2, 1, 3, 2}), in({2, 3, 3, 2}), in({2, 2, 3, 2})},
               [](const V& v) { return ops::concat(v, 1); },
               {},
               0,
               0,
               kCopy});
  OpInput frozen = in({2, 3, 3, 2});
  frozen.differentiable = false;  // only some inputs want gradients
  c.push_back({"concat_partial",
               {in({2, 1, 3, 2}), frozen, in({2, 2, 3, 2})},
               [](const V& v) { return ops::concat(v, 1); },
               {},
               0,
               0,
               kCopy});
  c.push_back({"concat_axis_-1",
               {in({3, 2}), in({3, 4})},
               [](const V& v) { return ops::concat(v, -1); },
               {},
               0,
               0,
               kCopy});
  // ---- loss, dropout, regulariser
  for (double eps : {0.0, 0.1}) {
    OpInput labels{{5}};
    labels.classes = 4;
    labels.differentiable = false;
    c.push_back({"softmax_cross_entropy_eps_" + std::to_string(eps).substr(0, 3),
                 {in({5, 4}, -3, 3), labels},
                 [eps](const V& v) { return ops::softmax_cross_entropy(v[0], v[1], eps); },
                 {},
                 1e-5,
                 4e-6,
                 "expf ulps in the softmax, the log-sum-exp summed in another order"});
  }
  c.push_back({"dropout_0.4",
               {in({6, 7})},
               [](const V& v) {
                 PhiloxGenerator gen(11, RngPurpose::Dropout);  // the same mask every time
                 return ops::dropout(v[0], 0.4, gen);
               },
               {},
               0,
               0,
               "the same Philox mask on both devices, one multiply per element"});
  // ---- batch normalisation: training mode (batch statistics, the gradient through them), with
  // 4-D and 2-D inputs, and inference mode (fixed statistics)
  const char* kBatchNorm =
      "cuDNN's batch-norm reductions in f32 in its own order vs the CPU's double sums; the "
      "normalisation divides by a batch deviation, which amplifies them a little";
  c.push_back({"batch_norm_train_4d",
               {in({3, 2, 2, 3}, -2, 2), in({2}, 0.5, 1.5), in({2})},
               [](const V& v) { return ops::batch_norm_train(v[0], v[1], v[2], 1e-3); },
               {},
               2e-5,
               2e-5,
               kBatchNorm});
  c.push_back({"batch_norm_train_2d",
               {in({5, 3}, -2, 2), in({3}, 0.5, 1.5), in({3})},
               [](const V& v) { return ops::batch_norm_train(v[0], v[1], v[2], 1.001e-5); },
               {},
               2e-5,
               2e-5,
               kBatchNorm});
  {
    OpInput mean = in({2}, -0.5, 0.5), variance = in({2}, 0.5, 2.0);
    mean.differentiable = variance.differentiable = false;
    c.push_back(
        {"batch_norm_inference",
         {in({2, 2, 3, 2}, -2, 2), in({2}, 0.5, 1.5), in({2}), mean, variance},
         [](const V& v) { return ops::batch_norm_inference(v[0], v[1], v[2], v[3], v[4], 1e-3); },
         {},
         1e-5,
         1e-5,
         "cuDNN's inference kernel vs the CPU's (x − mean)·(gamma·inv_std) + beta: a "
         "rounding or two in another order"});
  }
  // ---- embedding and LSTM (the char-RNN): 12 ids over 5 rows, so rows repeat and the
  // scatter-add sums several gradient rows; the LSTM over 3 steps, checked through y and through
  // the final state (h and c side by side).
  OpInput ids{{3, 4}};
  ids.classes = 5;
  ids.differentiable = false;
  c.push_back({"embedding",
               {in({5, 3}), ids},
               [](const V& v) { return ops::embedding(v[0], v[1]); },
               {},
               0,
               0,
               "a gather, and sums added in the same order (increasing position) on both devices"});
  const char* kLstm =
      "cuDNN's GEMM tiling and the forget bias folded into its bias vs Eigen's order; expf/tanhf "
      "ulps through 3 steps";
  const std::vector<OpInput> lstm_inputs = {in({2, 3, 4}), in({2, 5}), in({2, 5}),
                                            in({9, 20}, -0.6, 0.6), in({20}, -0.5, 0.5)};
  c.push_back({"lstm_outputs",
               lstm_inputs,
               [](const V& v) { return ops::lstm(v[0], v[1], v[2], v[3], v[4], 1.0).y; },
               {},
               1e-5,
               2e-6,
               kLstm});
  c.push_back({"lstm_final_state",
               lstm_inputs,
               [](const V& v) {
                 const ops::LstmResult r = ops::lstm(v[0], v[1], v[2], v[3], v[4], 1.0);
                 return ops::concat({r.h, r.c}, -1);
               },
               {},
               1e-5,
               2e-6,
               kLstm});
  c.push_back(
      {"l2_penalty",
       {in({40})},
       [](const V& v) {
         const Tensor seg =
             Tensor::from_vector<std::int64_t>({0, 7, 9, 1, 16, 20}, {3, 2}).to(v[0].device());
         return ops::l2_penalty(v[0], seg, 0.75);
       },
       {},
       1e-6,
       1e-6,
       "squares summed in double, in another order per segment"});
  return c;
}

}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = make_cases();
  return cases;
}

std::string op_case_test_name(std::size_t i) {
  std::string name = op_cases().at(i).name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

std::vector<Tensor> op_inputs(const OpCase& c, DType dtype) {
  const auto index = static_cast<unsigned>(&c - op_cases().data());
  std::vector<Tensor> out;
  for (std::size_t k = 0; k < c.inputs.size(); ++k) {
    const OpInput& spec = c.inputs[k];
    const unsigned seed = 1000 * index + static_cast<unsigned>(k) + 1;
    if (spec.classes > 0) {
      std::mt19937 gen(seed);
      std::vector<std::int64_t> labels(static_cast<std::size_t>(shape_numel(spec.shape)));
      for (auto& l : labels)
        l = static_cast<std::int64_t>(gen() % static_cast<unsigned>(spec.classes));
      out.push_back(Tensor::from_vector(labels, spec.shape));
      continue;
    }
    std::vector<double> v = random_tensor(spec.shape, seed, spec.lo, spec.hi).to_vector<double>();
    for (double& x : v)
      x += x < 0 ? -spec.gap : spec.gap;
    out.push_back(Tensor::from_vector(v, spec.shape).to(dtype));
  }
  return out;
}

}  // namespace deepobs::testing
