// CUDA sum/mean reductions against the CPU twin, forward and backward, and their determinism.
#include <gtest/gtest.h>

#include <vector>

#include "core/ops/reduce.h"
#include "op_twin.h"
#include "twin.h"

namespace deepobs {
namespace {

using twin::expect_op_twin;
using twin::random_tensor;
using V = std::vector<Tensor>;

// Both devices accumulate in double, in different orders; the double sums differ by ~1e-16
// relative to Σ|x|, so after the one rounding to f32 the results differ by at most one f32 ulp
// (6e-8 relative) of the result — or, when the sum cancels to near zero, by ~1e-16·Σ|x| absolute.
constexpr double kSumRtol = 1e-6;
constexpr double kSumAtol = 1e-6;
constexpr const char* kWhy = "double accumulation in a different order, one f32 rounding";

TEST(CudaReduce, SumAndMeanOverEverything) {
  SKIP_WITHOUT_GPU();
  // One output element: the block-per-output kernel. 300k terms.
  const Tensor x = random_tensor({3, 100, 1000}, 1);
  expect_op_twin([](const V& v) { return ops::sum(v[0]); }, {x}, kSumRtol, kSumAtol, kWhy);
  expect_op_twin([](const V& v) { return ops::mean(v[0]); }, {x}, kSumRtol, kSumAtol, kWhy);
}

TEST(CudaReduce, SumAndMeanOverAxes) {
  SKIP_WITHOUT_GPU();
  const Tensor x = random_tensor({6, 33, 5, 70}, 2);
  const std::vector<std::vector<std::int64_t>> axes = {{0},    {1},       {3},    {-1}, {0, 2},
                                                       {1, 3}, {0, 1, 2}, {0, 3}, {2}};
  for (const auto& a : axes) {
    for (const bool keepdim : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "axes " << a.size() << " first " << a[0] << " keepdim " << keepdim);
      expect_op_twin([&](const V& v) { return ops::sum(v[0], a, keepdim); }, {x}, kSumRtol,
                     kSumAtol, kWhy);
      expect_op_twin([&](const V& v) { return ops::mean(v[0], a, keepdim); }, {x}, kSumRtol,
                     kSumAtol, kWhy);
    }
  }
}

TEST(CudaReduce, ManyOutputsWithManyTerms) {
  SKIP_WITHOUT_GPU();
  // 20000 outputs of 100 terms: the thread-per-output kernel with a strided walk.
  const Tensor x = random_tensor({100, 20000}, 3);
  expect_op_twin([](const V& v) { return ops::sum(v[0], {0}); }, {x}, kSumRtol, kSumAtol, kWhy);
  // 200 outputs of 10000 terms: the block-per-output kernel.
  const Tensor y = random_tensor({200, 10000}, 4);
  expect_op_twin([](const V& v) { return ops::mean(v[0], {1}); }, {y}, kSumRtol, kSumAtol, kWhy);
}

TEST(CudaReduce, RerunsAreBitIdentical) {
  SKIP_WITHOUT_GPU();
  const Tensor x = random_tensor({64, 4096}, 5).to(Device::cuda(0));
  const Tensor a = ops::sum(x), b = ops::sum(x);
  twin::expect_identical(a, b.to(Device::cpu()), "rerun of a full sum");
  const Tensor c = ops::sum(x, {0}), d = ops::sum(x, {0});
  twin::expect_identical(c, d.to(Device::cpu()), "rerun of a column sum");
}

TEST(CudaReduce, EmptyReductionIsZero) {
  SKIP_WITHOUT_GPU();
  const Tensor x = Tensor::empty({0, 5}, DType::F32, Device::cuda(0));
  const Tensor s = ops::sum(x, {0});
  EXPECT_EQ(s.to_vector<float>(), std::vector<float>(5, 0.0f));
}

}  // namespace
}  // namespace deepobs
