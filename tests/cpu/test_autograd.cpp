#include <gtest/gtest.h>

#include <array>

#include "core/allocator.h"
#include "core/autograd.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "core/ops/linear.h"
#include "core/ops/reduce.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

Tensor leaf(std::vector<double> v, Shape s) {
  Tensor t = Tensor::from_vector(v, s);
  t.set_requires_grad(true);
  return t;
}

TEST(Autograd, FanOutAccumulatesBothPaths) {
  // y = A·A with A = [[1,2],[3,4]]: dy/dA applied to ones = 1·Aᵀ + Aᵀ·1 pattern; check by hand.
  Tensor a = leaf({1, 2, 3, 4}, {2, 2});
  Tensor y = ops::matmul(a, a);
  autograd::backward(y, Tensor::ones({2, 2}, DType::F64));
  // d/dA sum(A·A) = 1·Aᵀ + Aᵀ·1 where 1 is the all-ones matrix:
  // 1·Aᵀ = [[3,7],[3,7]], Aᵀ·1 = [[4,4],[6,6]] -> [[7,11],[9,13]].
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{7, 11, 9, 13}));
  EXPECT_EQ(autograd::tape_size(), 0u);
}

TEST(Autograd, RepeatedBackwardAccumulatesIntoLeaves) {
  Tensor a = leaf({1, 2}, {1, 2});
  const Tensor w = Tensor::from_vector<double>({3, 4}, {2, 1});
  for (int i = 0; i < 3; ++i)
    autograd::backward(ops::matmul(a, w));
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{9, 12}));
  a.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Autograd, NoGradRecordsNothing) {
  Tensor a = leaf({1, 2, 3, 4}, {2, 2});
  {
    autograd::NoGrad guard;
    EXPECT_FALSE(autograd::grad_enabled());
    Tensor y = ops::matmul(a, a);
    EXPECT_FALSE(y.requires_grad());
    { autograd::NoGrad nested; }
    EXPECT_FALSE(autograd::grad_enabled());
  }
  EXPECT_TRUE(autograd::grad_enabled());
  EXPECT_EQ(autograd::tape_size(), 0u);
  Tensor y = ops::matmul(a, a);
  EXPECT_EQ(autograd::tape_ops(), (std::vector<std::string>{"matmul"}));
  autograd::clear_tape();
  EXPECT_EQ(autograd::tape_size(), 0u);
  (void)y;
}

TEST(Autograd, BadUseIsAnError) {
  const Tensor c = Tensor::ones({1}, DType::F64);
  EXPECT_THROW(autograd::backward(c), Error);  // nothing requires gradients
  Tensor a = leaf({1, 2}, {2});
  EXPECT_THROW(autograd::backward(a), Error);  // not a scalar and no grad_output
  // A backward rule that returns the wrong shape is caught, not silently accumulated.
  Tensor out = Tensor::zeros({1}, DType::F64);
  autograd::record("broken", {a}, {out}, {}, [](const autograd::Grads&) {
    return std::vector<Tensor>{Tensor::zeros({3}, DType::F64)};
  });
  EXPECT_THROW(autograd::backward(out), Error);
  EXPECT_EQ(autograd::tape_size(), 0u);  // consumed even though the rule failed
}

// The op_twin situation on the CPU: two graphs recorded side by side. Each backward runs only its
// own graph; the other stays recorded and untouched until its own backward.
TEST(Autograd, GraphsRecordedTogetherBackpropagateIndependently) {
  Tensor a1 = leaf({1, -2, 3}, {3}), a2 = leaf({1, -2, 3}, {3});
  const auto f = [](const Tensor& a) { return ops::sum(ops::mul(ops::exp(a), a)); };
  const Tensor y1 = f(a1), y2 = f(a2);
  const std::size_t both = autograd::tape_size();
  autograd::backward(y1);
  ASSERT_TRUE(a1.grad().defined());
  EXPECT_FALSE(a2.grad().defined()) << "the second graph was run by the first backward";
  EXPECT_EQ(autograd::tape_size(), both / 2) << "the second graph must still be pending";
  autograd::backward(y2);
  EXPECT_EQ(a2.grad().to_vector<double>(), a1.grad().to_vector<double>());
  EXPECT_EQ(autograd::tape_size(), 0u);
  // A graph runs once: its nodes are released by the first backward.
  EXPECT_THROW(autograd::backward(y1), Error);
}

TEST(Autograd, DetachCutsTheGraph) {
  Tensor x = leaf({2, 3}, {2});
  const Tensor y = ops::mul(x, x);
  const Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.same_storage(y));
  autograd::backward(ops::sum(ops::mul(d, x)));  // d is a constant: the gradient is d = x²
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{4, 9}));
  autograd::clear_tape();  // y's graph was never back-propagated
  EXPECT_EQ(autograd::tape_size(), 0u);
}

// A 20-layer MLP: a node keeps only what its rule reads (the dense outputs that only feed a ReLU
// are freed in the forward pass), and backward frees each layer's activations as soon as its rule
// has run, so the memory falls during the backward pass and the peak is lower than with every
// activation kept to the end (what the previous linear tape did).
TEST(Autograd, ActivationsAreReleasedDuringBackward) {
  constexpr int kLayers = 20, kBatch = 512, kWidth = 128;
  std::vector<Tensor> weights;
  for (int l = 0; l < kLayers; ++l) {
    Tensor w = testing::random_tensor({kWidth, kWidth}, 100 + l, -0.1, 0.1).to(DType::F32);
    weights.push_back(w.set_requires_grad(true));
  }
  const std::int64_t activation_bytes = std::int64_t{kBatch} * kWidth * 4;
  const std::int64_t weight_grad_bytes = std::int64_t{kLayers} * kWidth * kWidth * 4;
  const auto run = [&](bool keep_everything) {
    std::vector<Tensor> kept;
    std::int64_t at_start = 0, at_last_rule = 0;
    reset_cpu_peak();
    const std::int64_t before = cpu_allocator_stats().current_bytes;
    {
      Tensor x = testing::random_tensor({kBatch, kWidth}, 7).to(DType::F32);
      x.set_requires_grad(true);
      // An identity whose rule runs last: it reads the allocator when every other rule has run.
      Tensor h = x.clone();
      autograd::record("probe", {x}, {h}, {}, [&](const autograd::Grads& g) {
        at_last_rule = cpu_allocator_stats().current_bytes;
        return std::vector<Tensor>{g.g()};
      });
      for (const Tensor& w : weights) {
        const Tensor z = ops::matmul(h, w);
        h = ops::relu(z);
        if (keep_everything) kept.insert(kept.end(), {z, h});
      }
      const Tensor loss = ops::sum(h);
      at_start = cpu_allocator_stats().current_bytes;
      autograd::backward(loss);
    }
    kept.clear();
    for (const Tensor& w : weights)
      w.zero_grad();
    EXPECT_EQ(autograd::tape_size(), 0u);
    return std::array<std::int64_t, 3>{at_start - before, at_last_rule - before,
                                       cpu_allocator_stats().peak_bytes - before};
  };
  const auto freed = run(false), kept = run(true);
  // At the start of backward the ReLU outputs (one per layer) are alive; when the last rule runs
  // only the weight gradients and the gradient flowing into the input are.
  EXPECT_GE(freed[0], kLayers * activation_bytes);
  EXPECT_LT(freed[0], kept[0] - (kLayers - 1) * activation_bytes) << "dense outputs kept";
  EXPECT_LT(freed[1] - weight_grad_bytes, freed[0] - (kLayers - 2) * activation_bytes)
      << "activations not released during backward";
  EXPECT_LT(freed[2], kept[2] - (kLayers - 1) * activation_bytes) << "the peak did not fall";
}

}  // namespace
}  // namespace deepobs
