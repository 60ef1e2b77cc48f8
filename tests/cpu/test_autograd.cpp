#include <gtest/gtest.h>

#include "core/autograd.h"
#include "core/ops/linear.h"

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
  autograd::record("broken", {a}, out, [](const Tensor&) {
    return std::vector<Tensor>{Tensor::zeros({3}, DType::F64)};
  });
  EXPECT_THROW(autograd::backward(out), Error);
  EXPECT_EQ(autograd::tape_size(), 0u);  // consumed even though the rule failed
}

}  // namespace
}  // namespace deepobs
