// TF1 bilinear resize vs the CPU twin: the CUDA kernels use the CPU's single-precision coordinate
// math and evaluation order without FMA contraction, so forward and gradient match bit for bit.
#include <gtest/gtest.h>

#include <string>

#include "core/ops/resize.h"
#include "nn_twin.h"

namespace deepobs {
namespace {

using twin::evaluate;
using twin::random_tensor;

TEST(CudaResize, ForwardAndBackwardMatchCpuBitForBit) {
  SKIP_WITHOUT_GPU();
  struct Case {
    std::int64_t in_h, in_w, out_h, out_w;
  };
  const Case cases[] = {
      {7, 9, 16, 20},    // upscale, non-integer ratios
      {16, 20, 7, 9},    // downscale: pixels skipped
      {5, 5, 10, 10},    // exact factor 2
      {32, 32, 24, 24},  // cifar-like crop scale
      {1, 6, 3, 13},     // a single source row (lo = hi)
      {9, 9, 9, 9},      // identity
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.in_h) + "x" + std::to_string(c.in_w) + " -> " +
                 std::to_string(c.out_h) + "x" + std::to_string(c.out_w));
    const Tensor x = random_tensor({2, 3, c.in_h, c.in_w}, 601);
    const Tensor up = random_tensor({2, 3, c.out_h, c.out_w}, 602);
    const auto f = [&](const std::vector<Tensor>& v) {
      return ops::resize_bilinear(v[0], c.out_h, c.out_w);
    };
    const auto cpu = evaluate(Device::cpu(), {x}, up, f);
    const auto gpu = evaluate(Device::cuda(), {x}, up, f);
    twin::expect_identical(gpu.output, cpu.output, "resize output (same f32 operations)");
    twin::expect_identical(gpu.grads[0], cpu.grads[0],
                           "resize gradient (gather in the CPU's scatter order)");
  }
}

}  // namespace
}  // namespace deepobs
