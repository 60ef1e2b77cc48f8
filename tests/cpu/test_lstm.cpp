// The LSTM and embedding building blocks of the char-RNN against values computed independently in
// the test: a naive TF LSTMCell (one concat·kernel product per step, written from TF's formulas),
// a two-step case whose numbers follow by hand, the forget bias, the layer's parameters (TF's
// shapes, glorot_uniform limits, zero bias) and its carried state through the forward modes.
// The f64 finite-difference gradient checks are rows of the op table (tests/common/op_cases.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops/embedding.h"
#include "core/ops/lstm.h"
#include "layers/init.h"
#include "layers/lstm.h"
#include "tests/common/expect_error.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

double sigmoid(double z) {
  return 1.0 / (1.0 + std::exp(-z));
}

struct Reference {
  std::vector<double> y, h, c;
};

// TF's LSTMCell, literally: z = concat([x_t, h])·kernel + bias; i, j, f, o = split(z);
// c = c·σ(f + forget_bias) + σ(i)·tanh(j); h = tanh(c)·σ(o).
Reference naive_lstm(const std::vector<double>& x, std::vector<double> h, std::vector<double> c,
                     const std::vector<double>& kernel, const std::vector<double>& bias, int B,
                     int S, int I, int H, double forget_bias) {
  Reference r;
  r.y.assign(static_cast<std::size_t>(B * S * H), 0.0);
  for (int t = 0; t < S; ++t) {
    std::vector<double> hn(h), cn(c);
    for (int b = 0; b < B; ++b) {
      std::vector<double> in;
      for (int k = 0; k < I; ++k)
        in.push_back(x[static_cast<std::size_t>((b * S + t) * I + k)]);
      for (int k = 0; k < H; ++k)
        in.push_back(h[static_cast<std::size_t>(b * H + k)]);
      std::vector<double> z(static_cast<std::size_t>(4 * H));
      for (int col = 0; col < 4 * H; ++col) {
        double s = 0;
        for (int row = 0; row < I + H; ++row)
          s += in[static_cast<std::size_t>(row)] *
               kernel[static_cast<std::size_t>(row * 4 * H + col)];
        z[static_cast<std::size_t>(col)] = s + bias[static_cast<std::size_t>(col)];
      }
      for (int u = 0; u < H; ++u) {
        const auto at = [&](int gate) { return z[static_cast<std::size_t>(gate * H + u)]; };
        const std::size_t k = static_cast<std::size_t>(b * H + u);
        cn[k] = c[k] * sigmoid(at(2) + forget_bias) + sigmoid(at(0)) * std::tanh(at(1));
        hn[k] = std::tanh(cn[k]) * sigmoid(at(3));
        r.y[static_cast<std::size_t>((b * S + t) * H + u)] = hn[k];
      }
    }
    h = hn;
    c = cn;
  }
  r.h = h;
  r.c = c;
  return r;
}

std::vector<double> values(std::size_t n, double scale, double phase) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = scale * std::sin(1.7 * static_cast<double>(i) + phase);
  return v;
}

void expect_all_near(const std::vector<double>& got, const std::vector<double>& want, double tol,
                     const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << what << "[" << i << "]";
}

TEST(Lstm, MatchesANaiveTfLstmCellInDouble) {
  const int B = 2, S = 4, I = 3, H = 5;
  const auto x = values(B * S * I, 1.0, 0.1), h0 = values(B * H, 0.5, 0.2),
             c0 = values(B * H, 0.8, 0.3), kernel = values((I + H) * 4 * H, 0.4, 0.4),
             bias = values(4 * H, 0.3, 0.5);
  for (double forget_bias : {1.0, 0.0}) {
    const ops::LstmResult r =
        ops::lstm(Tensor::from_vector(x, {B, S, I}), Tensor::from_vector(h0, {B, H}),
                  Tensor::from_vector(c0, {B, H}), Tensor::from_vector(kernel, {I + H, 4 * H}),
                  Tensor::from_vector(bias, {4 * H}), forget_bias);
    const Reference want = naive_lstm(x, h0, c0, kernel, bias, B, S, I, H, forget_bias);
    expect_all_near(r.y.to_vector<double>(), want.y, 1e-13, "y");
    expect_all_near(r.h.to_vector<double>(), want.h, 1e-13, "h");
    expect_all_near(r.c.to_vector<double>(), want.c, 1e-13, "c");
  }
}

// One unit, two steps, kernel and bias zero: every gate pre-activation is 0, so i = o = 1/2,
// j = 0 and f = σ(forget_bias) = σ(1); the cell only decays: c_t = c0·σ(1)^t, h_t = tanh(c_t)/2.
// With input weights on the candidate only (kernel[0, j] = 1, x = (0.5, −1)), the candidate
// enters: c1 = c0·σ(1) + tanh(0.5)/2, and c2 = c1·σ(1) + tanh(−1 + 0)/2 (h does not feed back
// because the recurrent row is zero).
TEST(Lstm, TwoStepsByHand) {
  const double f = 1.0 / (1.0 + std::exp(-1.0));  // σ(1) = 0.7310585786300049
  ASSERT_NEAR(f, 0.7310585786300049, 1e-16);
  const Tensor x = Tensor::from_vector<double>({0.5, -1.0}, {1, 2, 1});
  const Tensor h0 = Tensor::zeros({1, 1}, DType::F64);
  const Tensor c0 = Tensor::full({1, 1}, 2.0, DType::F64);
  const Tensor bias = Tensor::zeros({4}, DType::F64);
  {
    const auto r = ops::lstm(x, h0, c0, Tensor::zeros({2, 4}, DType::F64), bias, 1.0);
    const double c1 = 2.0 * f, c2 = 2.0 * f * f;
    expect_all_near(r.y.to_vector<double>(), {std::tanh(c1) / 2, std::tanh(c2) / 2}, 1e-15, "y");
    expect_all_near(r.c.to_vector<double>(), {c2}, 1e-15, "c");
    EXPECT_NEAR(c2, 1.0688932907770461, 1e-15);  // 2·σ(1)²
  }
  {
    // kernel rows: x, h; columns: i, j, f, o.
    const Tensor k = Tensor::from_vector<double>({0, 1, 0, 0, 0, 0, 0, 0}, {2, 4});
    const auto r = ops::lstm(x, h0, c0, k, bias, 1.0);
    const double c1 = 2.0 * f + std::tanh(0.5) / 2, c2 = c1 * f + std::tanh(-1.0) / 2;
    expect_all_near(r.y.to_vector<double>(), {std::tanh(c1) / 2, std::tanh(c2) / 2}, 1e-15, "y");
    expect_all_near(r.h.to_vector<double>(), {std::tanh(c2) / 2}, 1e-15, "h");
    expect_all_near(r.c.to_vector<double>(), {c2}, 1e-15, "c");
  }
}

TEST(Lstm, BadShapesNameTheOpAndTheShapes) {
  const Tensor x = Tensor::zeros({2, 3, 4}), h = Tensor::zeros({2, 5});
  testing::expect_error(
      [&] {
        ops::lstm(x, h, h, Tensor::zeros({8, 20}), Tensor::zeros({20}), 1);
      },
      {"lstm: kernel [8,20] must be [input + hidden, 4·hidden] = [9, 20]"});
  testing::expect_error(
      [&] {
        ops::lstm(x, h, h, Tensor::zeros({9, 20}), Tensor::zeros({5}), 1);
      },
      {"lstm: bias [5] must be [20]"});
  testing::expect_error(
      [&] {
        ops::lstm(x, Tensor::zeros({3, 5}), h, Tensor::zeros({9, 20}), Tensor::zeros({20}), 1);
      },
      {"lstm: states h0 [3,5] and c0 [2,5] must both be [2, hidden]"});
}

TEST(Embedding, GathersRowsAndScatterAddsInOrder) {
  Tensor table = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  table.set_requires_grad(true);
  const Tensor ids = Tensor::from_vector<std::int64_t>({2, 0, 2, 2}, {2, 2});
  const Tensor out = ops::embedding(table, ids);
  EXPECT_EQ(out.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(out.to_vector<double>(), (std::vector<double>{5, 6, 1, 2, 5, 6, 5, 6}));
  autograd::backward(out, Tensor::from_vector<double>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}));
  // Row 0 gets position 1; row 1 nothing; row 2 positions 0, 2, 3.
  EXPECT_EQ(table.grad().to_vector<double>(), (std::vector<double>{3, 4, 0, 0, 13, 16}));
  testing::expect_error(
      [&] {
        ops::embedding(table, Tensor::from_vector<std::int64_t>({1, 3}, {2}));
      },
      {"embedding: id 3 at position 1 is outside the vocabulary [0, 3)"});
}

// TF's LSTMCell(128) on a 128-wide input: kernel [256, 512] glorot_uniform (limit
// sqrt(6/(256+512)) = 0.0884), bias [512] zeros — 131,584 parameters per layer.
TEST(LstmLayer, HasTfsParametersAndInitialisation) {
  PhiloxGenerator gen(42, RngPurpose::Init);
  layers::Lstm lstm(128, 128, {}, gen);
  EXPECT_EQ(lstm.parameter_count(), 131584);
  EXPECT_EQ(lstm.kernel().shape(), (Shape{256, 512}));
  EXPECT_EQ(lstm.bias().shape(), (Shape{512}));
  const double limit = std::sqrt(6.0 / (256 + 512));
  double max_abs = 0, sum_sq = 0;
  for (float v : lstm.kernel().to_vector<float>()) {
    max_abs = std::max(max_abs, std::abs(static_cast<double>(v)));
    sum_sq += static_cast<double>(v) * v;
  }
  EXPECT_LE(max_abs, limit);
  EXPECT_GT(max_abs, 0.99 * limit);
  // Uniform(−l, l) has variance l²/3; 131,072 draws put the sample within 2%.
  EXPECT_NEAR(sum_sq / (256.0 * 512.0), limit * limit / 3, 0.02 * limit * limit / 3);
  for (float v : lstm.bias().to_vector<float>())
    EXPECT_EQ(v, 0.0f);
}

// The carried state: Train and Eval continue from the previous batch's final state; Closure runs
// from the state its step started from and leaves the carried state alone; reset_state zeroes it.
TEST(LstmLayer, CarriesItsStateThroughTheModes) {
  PhiloxGenerator gen(3, RngPurpose::Init);
  layers::Lstm lstm(2, 3, {}, gen);
  const Tensor x1 = Tensor::from_vector<float>({0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f}, {1, 3, 2});
  const Tensor x2 = Tensor::from_vector<float>({0.7f, 0.1f, -0.3f, 0.2f, 0.5f, -0.6f}, {1, 3, 2});
  autograd::NoGrad no_grad;
  const Tensor zeros = Tensor::zeros({1, 3});
  lstm.set_mode(ForwardMode::Train);
  const auto y1 = lstm.forward(x1).to_vector<float>();
  const auto first = lstm.run(x1, zeros, zeros);
  EXPECT_EQ(y1, first.y.to_vector<float>()) << "the first batch starts from zeros";
  EXPECT_EQ(lstm.state_h().to_vector<float>(), first.h.to_vector<float>());
  EXPECT_EQ(lstm.state_c().to_vector<float>(), first.c.to_vector<float>());
  const auto y2 = lstm.forward(x2).to_vector<float>();
  const auto second = lstm.run(x2, first.h, first.c);
  EXPECT_EQ(y2, second.y.to_vector<float>()) << "the second batch continues the first";
  EXPECT_NE(y2, lstm.run(x2, zeros, zeros).y.to_vector<float>());
  lstm.set_mode(ForwardMode::Closure);
  for (int call = 0; call < 2; ++call) {
    EXPECT_EQ(lstm.forward(x2).to_vector<float>(), y2) << "Closure reruns its step";
    EXPECT_EQ(lstm.state_h().to_vector<float>(), second.h.to_vector<float>())
        << "Closure does not advance the state";
  }
  lstm.set_mode(ForwardMode::Eval);
  EXPECT_EQ(lstm.forward(x1).to_vector<float>(),
            lstm.run(x1, second.h, second.c).y.to_vector<float>());
  lstm.reset_state();
  EXPECT_EQ(lstm.state_h().to_vector<float>(), std::vector<float>(3, 0.0f));
  EXPECT_EQ(lstm.state_c().to_vector<float>(), std::vector<float>(3, 0.0f));
  testing::expect_error(
      [&] {
        lstm.forward(Tensor::zeros({2, 3, 2}));
      },
      {"Lstm: a batch of 2 sequences, but the carried state holds 1"});
}

}  // namespace
}  // namespace deepobs
