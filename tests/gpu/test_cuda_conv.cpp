// cuDNN conv2d / conv_transpose2d vs the CPU twin (im2col + Eigen), forward and all gradients,
// including TF's asymmetric 'same' padding (explicitly padded path) at stride 1 and 2 on odd sizes.
#include <gtest/gtest.h>

#include <string>

#include "core/cuda_backend.h"
#include "core/ops/conv.h"
#include "nn_twin.h"

namespace deepobs {
namespace {

using ops::Padding2d;
using ops::PaddingMode;
using twin::evaluate;
using twin::expect_close;
using twin::f32_sum_atol;
using twin::random_tensor;

struct ConvCase {
  std::string name;
  std::int64_t h, w, c_in, c_out, kh, kw;
  int stride;
  bool explicit_padding;  // use `padding` instead of `mode`
  PaddingMode mode;
  Padding2d padding;
};

const char* kWhy = "f32 sums in another order (cuDNN algorithm vs im2col GEMM), TF32 off";

void compare_conv2d(const ConvCase& c) {
  SCOPED_TRACE(c.name);
  const std::int64_t batch = 3;
  const Tensor x = random_tensor({batch, c.c_in, c.h, c.w}, 101);
  const Tensor w = random_tensor({c.c_out, c.c_in, c.kh, c.kw}, 102);
  const Tensor b = random_tensor({c.c_out}, 103);
  const auto f = [&](const std::vector<Tensor>& v) {
    return c.explicit_padding ? ops::conv2d(v[0], v[1], v[2], c.stride, c.stride, c.padding)
                              : ops::conv2d(v[0], v[1], v[2], c.stride, c.stride, c.mode);
  };
  Tensor y_shape_probe;
  {
    autograd::NoGrad no_grad;
    y_shape_probe = f({x, w, b});
  }
  const Tensor up = random_tensor(y_shape_probe.shape(), 104);
  const auto cpu = evaluate(Device::cpu(), {x, w, b}, up, f);
  const auto gpu = evaluate(Device::cuda(), {x, w, b}, up, f);
  const double window = static_cast<double>(c.c_in * c.kh * c.kw);
  const double per_filter = static_cast<double>(batch * up.size(2) * up.size(3));
  expect_close(gpu.output, cpu.output, 1e-5, f32_sum_atol(window), kWhy);
  // dx sums over c_out·kh·kw (at most) taps; dw over batch·out_h·out_w positions.
  expect_close(gpu.grads[0], cpu.grads[0], 1e-5, f32_sum_atol(c.c_out * c.kh * c.kw), kWhy);
  expect_close(gpu.grads[1], cpu.grads[1], 1e-5, f32_sum_atol(per_filter), kWhy);
  expect_close(gpu.grads[2], cpu.grads[2], 1e-5, f32_sum_atol(per_filter), kWhy);
}

TEST(CudaConv, Conv2dMatchesCpuForAllPaddings) {
  SKIP_WITHOUT_GPU();
  const ConvCase cases[] = {
      // fmnist_2c2d-like symmetric 'same' (direct cuDNN padding).
      {"same 5x5 stride 1 (symmetric)", 14, 13, 3, 8, 5, 5, 1, false, PaddingMode::kSame, {}},
      // Even kernel, stride 1: TF pads 1 before, 2 after → explicitly padded path.
      {"same 4x4 stride 1 (asymmetric)", 11, 9, 2, 5, 4, 4, 1, false, PaddingMode::kSame, {}},
      // Stride 2 on odd sizes: 'same' 3x3 on 15 → out 8, pad 1/1 (direct); on 14 → pad 0/1.
      {"same 3x3 stride 2 odd", 15, 13, 4, 6, 3, 3, 2, false, PaddingMode::kSame, {}},
      {"same 3x3 stride 2 even", 14, 16, 4, 6, 3, 3, 2, false, PaddingMode::kSame, {}},
      // 'same' 4x4 stride 2 on 27: out 14, total = 13·2 + 4 − 27 = 3 → pad 1/2 (padded path);
      // 5x5 stride 2 on 28: total 3 → 1/2 as well.
      {"same 4x4 stride 2 on 27", 27, 27, 2, 4, 4, 4, 2, false, PaddingMode::kSame, {}},
      {"same 5x5 stride 2 on 28", 28, 28, 1, 4, 5, 5, 2, false, PaddingMode::kSame, {}},
      {"valid 3x3 stride 2 odd", 17, 11, 3, 5, 3, 3, 2, false, PaddingMode::kValid, {}},
      {"explicit 2/0/1/3 stride 1", 9, 10, 2, 3, 3, 4, 1, true, PaddingMode::kValid, {2, 0, 1, 3}},
      {"explicit 0/2/3/1 stride 2", 12, 9, 2, 3, 3, 3, 2, true, PaddingMode::kValid, {0, 2, 3, 1}},
  };
  for (const ConvCase& c : cases)
    compare_conv2d(c);
}

TEST(CudaConv, ConvTranspose2dMatchesCpu) {
  SKIP_WITHOUT_GPU();
  const std::int64_t batch = 2, c_in = 5, c_out = 3;
  for (const PaddingMode mode : {PaddingMode::kSame, PaddingMode::kValid}) {
    for (const int stride : {1, 2}) {
      SCOPED_TRACE(std::string(mode == PaddingMode::kSame ? "same" : "valid") + " stride " +
                   std::to_string(stride));
      const Tensor x = random_tensor({batch, c_in, 7, 9}, 201);
      const Tensor w = random_tensor({c_in, c_out, 4, 3}, 202);  // even × odd window
      const Tensor b = random_tensor({c_out}, 203);
      const auto f = [&](const std::vector<Tensor>& v) {
        return ops::conv_transpose2d(v[0], v[1], v[2], stride, stride, mode);
      };
      Tensor probe;
      {
        autograd::NoGrad no_grad;
        probe = f({x, w, b});
      }
      const Tensor up = random_tensor(probe.shape(), 204);
      const auto cpu = evaluate(Device::cpu(), {x, w, b}, up, f);
      const auto gpu = evaluate(Device::cuda(), {x, w, b}, up, f);
      const double per_filter = static_cast<double>(batch * 7 * 9);
      expect_close(gpu.output, cpu.output, 1e-5, f32_sum_atol(c_in * 4 * 3), kWhy);
      expect_close(gpu.grads[0], cpu.grads[0], 1e-5, f32_sum_atol(c_out * 4 * 3), kWhy);
      expect_close(gpu.grads[1], cpu.grads[1], 1e-5, f32_sum_atol(per_filter), kWhy);
      expect_close(gpu.grads[2], cpu.grads[2], 1e-5,
                   f32_sum_atol(static_cast<double>(batch * up.size(2) * up.size(3))), kWhy);
    }
  }
}

// Runs one conv forward + backward on the GPU and returns output and gradients.
twin::Evaluated conv_step(std::uint64_t seed) {
  const Tensor x = random_tensor({4, 3, 13, 13}, seed);
  const Tensor w = random_tensor({6, 3, 4, 4}, seed + 1);
  const Tensor b = random_tensor({6}, seed + 2);
  const Tensor up = random_tensor({4, 6, 7, 7}, seed + 3);  // 'same' stride 2 on 13 → 7
  return evaluate(Device::cuda(), {x, w, b}, up, [](const std::vector<Tensor>& v) {
    return ops::conv2d(v[0], v[1], v[2], 2, 2, PaddingMode::kSame);
  });
}

TEST(CudaConv, DeterministicPolicyGivesIdenticalRerunsAndDeterministicPlans) {
  SKIP_WITHOUT_GPU();
  twin::ScopedPolicies policies(/*deterministic=*/true, /*tf32=*/false);
  const auto first = conv_step(301);
  const auto second = conv_step(301);
  twin::expect_identical(second.output, first.output, "conv output");
  for (std::size_t i = 0; i < 3; ++i)
    twin::expect_identical(second.grads[i], first.grads[i], "conv gradient " + std::to_string(i));
  const auto plans = cuda_backend::conv_plans(Device::cuda());
  ASSERT_FALSE(plans.empty());
  for (const auto& p : plans) {
    if (p.shape.find("x[4,3,13,13]") == std::string::npos) continue;
    EXPECT_NE(p.algorithm, "CUDNN_CONVOLUTION_BWD_DATA_ALGO_0") << p.shape;
    EXPECT_NE(p.algorithm, "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0") << p.shape;
    EXPECT_NE(p.algorithm, "CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3") << p.shape;
  }
}

TEST(CudaConv, PlanCacheRecordsEachOperationOnce) {
  SKIP_WITHOUT_GPU();
  // A shape no other test uses, run twice: three plans (forward, data, filter) recorded once each.
  const auto run = [] {
    const Tensor x = random_tensor({2, 2, 10, 6}, 401);
    const Tensor w = random_tensor({3, 2, 3, 2}, 402);
    const Tensor up = random_tensor({2, 3, 10, 6}, 403);
    evaluate(Device::cuda(), {x, w}, up, [](const std::vector<Tensor>& v) {
      return ops::conv2d(v[0], v[1], Tensor(), 1, 1, PaddingMode::kSame);
    });
  };
  run();
  run();
  int forward = 0, data = 0, filter = 0;
  for (const auto& p : cuda_backend::conv_plans(Device::cuda())) {
    if (p.shape.find("x[2,2,10,6] w[3,2,3,2]") == std::string::npos) continue;
    EXPECT_EQ(p.algorithm.rfind("CUDNN_CONVOLUTION_", 0), 0u) << p.algorithm;
    // 3x2 'same' pads W by 0 before and 1 after: the explicitly padded path, whose input is
    // (out − 1)·stride + kernel = 9 + 3 = 12 rows and 5 + 2 = 7 columns.
    EXPECT_NE(p.shape.find("explicitly padded input 12x7"), std::string::npos) << p.shape;
    forward += p.operation == "conv2d_forward";
    data += p.operation == "conv2d_backward_data";
    filter += p.operation == "conv2d_backward_filter";
  }
  EXPECT_EQ(forward, 1);
  EXPECT_EQ(data, 1);
  EXPECT_EQ(filter, 1);
}

}  // namespace
}  // namespace deepobs
