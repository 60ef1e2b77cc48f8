// Max/avg pooling kernels vs the CPU twin. The CUDA kernels evaluate every window and every
// gradient sum in the CPU's order, so the comparison is bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/ops/pool.h"
#include "nn_twin.h"

namespace deepobs {
namespace {

using ops::PaddingMode;
using twin::evaluate;
using twin::random_tensor;

// Values on a grid of quarters offset by 1/8 (never zero): windows hold many ties, which must go
// to the first pixel on both devices.
Tensor tied_tensor(const Shape& shape, std::uint64_t seed) {
  auto v = random_tensor(shape, seed, -2.0, 2.0).to_vector<float>();
  for (auto& x : v)
    x = std::floor(x * 4.0f) / 4.0f + 0.125f;
  return Tensor::from_vector(v, shape);
}

struct PoolCase {
  std::string name;
  std::int64_t h, w;
  int k, stride;
  PaddingMode mode;
};

const PoolCase kCases[] = {
    {"same 3x3 stride 2 odd (asymmetric)", 15, 12, 3, 2, PaddingMode::kSame},
    {"same 2x2 stride 1 (pad after)", 9, 7, 2, 1, PaddingMode::kSame},
    {"valid 2x2 stride 2 odd (last row unread)", 11, 9, 2, 2, PaddingMode::kValid},
    {"same 3x3 stride 1 overlapping", 8, 10, 3, 1, PaddingMode::kSame},
    {"valid 3x3 stride 2 overlapping", 13, 13, 3, 2, PaddingMode::kValid},
};

void compare(bool max, const PoolCase& c, const Tensor& x) {
  SCOPED_TRACE(std::string(max ? "max " : "avg ") + c.name);
  const auto f = [&](const std::vector<Tensor>& v) {
    return max ? ops::max_pool2d(v[0], c.k, c.k, c.stride, c.stride, c.mode)
               : ops::avg_pool2d(v[0], c.k, c.k, c.stride, c.stride, c.mode);
  };
  Tensor probe;
  {
    autograd::NoGrad no_grad;
    probe = f({x});
  }
  const Tensor up = random_tensor(probe.shape(), 7);
  const auto cpu = evaluate(Device::cpu(), {x}, up, f);
  const auto gpu = evaluate(Device::cuda(), {x}, up, f);
  twin::expect_identical(gpu.output, cpu.output, "pool output (same window order as the CPU)");
  twin::expect_identical(gpu.grads[0], cpu.grads[0],
                         "pool input gradient (gather in the CPU's output order)");
}

TEST(CudaPool, MaxAndAvgMatchCpuBitForBit) {
  SKIP_WITHOUT_GPU();
  for (const PoolCase& c : kCases) {
    const Tensor x = random_tensor({2, 3, c.h, c.w}, 501);
    compare(true, c, x);
    compare(false, c, x);
  }
}

TEST(CudaPool, MaxPoolTiesGoToTheFirstPixel) {
  SKIP_WITHOUT_GPU();
  for (const PoolCase& c : kCases)
    compare(true, c, tied_tensor({2, 2, c.h, c.w}, 502));
}

TEST(CudaPool, MaxPoolNanWins) {
  SKIP_WITHOUT_GPU();
  auto v = random_tensor({1, 2, 9, 9}, 503).to_vector<float>();
  v[10] = std::numeric_limits<float>::quiet_NaN();       // plane 0, row 1, column 1
  v[81 + 40] = std::numeric_limits<float>::quiet_NaN();  // plane 1, centre
  const Tensor x = Tensor::from_vector(v, {1, 2, 9, 9});
  compare(true, kCases[0], x);
  compare(true, kCases[3], x);
  // The NaN reaches the output on the GPU, as on the CPU.
  const auto y = ops::max_pool2d(x.to(Device::cuda()), 3, 3, 1, 1, PaddingMode::kSame)
                     .to(Device::cpu())
                     .to_vector<float>();
  EXPECT_TRUE(std::isnan(y[0]));
}

}  // namespace
}  // namespace deepobs
