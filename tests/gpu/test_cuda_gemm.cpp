// cuBLAS matmul/dense vs the CPU twin (Eigen), forward and backward through autograd.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/ops/linear.h"
#include "nn_twin.h"

namespace deepobs {
namespace {

using twin::evaluate;
using twin::expect_close;
using twin::f32_sum_atol;
using twin::random_tensor;

TEST(CudaGemm, MatmulAllTransposesForwardAndBackward) {
  SKIP_WITHOUT_GPU();
  const std::int64_t m = 37, n = 53, k = 129;  // odd sizes: no tile divides them
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      SCOPED_TRACE(std::string("trans_a ") + (ta ? "1" : "0") + " trans_b " + (tb ? "1" : "0"));
      const Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, 11);
      const Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, 12);
      const Tensor up = random_tensor({m, n}, 13);
      const auto f = [&](const std::vector<Tensor>& v) { return ops::matmul(v[0], v[1], ta, tb); };
      const auto cpu = evaluate(Device::cpu(), {a, b}, up, f);
      const auto gpu = evaluate(Device::cuda(), {a, b}, up, f);
      const char* why = "f32 sums in another order (cuBLAS tiles vs Eigen blocks), TF32 off";
      expect_close(gpu.output, cpu.output, 1e-5, f32_sum_atol(k), why);
      expect_close(gpu.grads[0], cpu.grads[0], 1e-5, f32_sum_atol(n), why);  // dA sums over n
      expect_close(gpu.grads[1], cpu.grads[1], 1e-5, f32_sum_atol(m), why);  // dB sums over m
    }
  }
}

TEST(CudaGemm, DenseWithBiasForwardAndBackward) {
  SKIP_WITHOUT_GPU();
  const std::int64_t batch = 33, in = 70, out = 45;
  const Tensor x = random_tensor({batch, in}, 21);
  const Tensor w = random_tensor({in, out}, 22);
  const Tensor b = random_tensor({out}, 23);
  const Tensor up = random_tensor({batch, out}, 24);
  const auto f = [](const std::vector<Tensor>& v) { return ops::dense(v[0], v[1], v[2]); };
  const auto cpu = evaluate(Device::cpu(), {x, w, b}, up, f);
  const auto gpu = evaluate(Device::cuda(), {x, w, b}, up, f);
  const char* why = "f32 sums in another order, TF32 off";
  expect_close(gpu.output, cpu.output, 1e-5, f32_sum_atol(in), why);
  expect_close(gpu.grads[0], cpu.grads[0], 1e-5, f32_sum_atol(out), why);
  expect_close(gpu.grads[1], cpu.grads[1], 1e-5, f32_sum_atol(batch), why);
  // column_sums adds in double on the GPU; the CPU sums f32 columns: the CPU's rounding dominates.
  expect_close(gpu.grads[2], cpu.grads[2], 1e-5, f32_sum_atol(batch), why);
}

TEST(CudaGemm, DeterministicPolicyGivesIdenticalReruns) {
  SKIP_WITHOUT_GPU();
  twin::ScopedPolicies policies(/*deterministic=*/true, /*tf32=*/false);
  const Tensor x = random_tensor({64, 300}, 31);
  const Tensor w = random_tensor({300, 100}, 32);
  const Tensor b = random_tensor({100}, 33);
  const Tensor up = random_tensor({64, 100}, 34);
  const auto f = [](const std::vector<Tensor>& v) { return ops::dense(v[0], v[1], v[2]); };
  const auto first = evaluate(Device::cuda(), {x, w, b}, up, f);
  const auto second = evaluate(Device::cuda(), {x, w, b}, up, f);
  twin::expect_identical(second.output, first.output, "dense output");
  for (std::size_t i = 0; i < 3; ++i)
    twin::expect_identical(second.grads[i], first.grads[i], "dense gradient " + std::to_string(i));
}

TEST(CudaGemm, F64OnTheGpuIsAClearError) {
  SKIP_WITHOUT_GPU();
  const Tensor a = random_tensor({4, 5}, 41).to(DType::F64).to(Device::cuda());
  const Tensor b = random_tensor({5, 3}, 42).to(DType::F64).to(Device::cuda());
  try {
    ops::matmul(a, b);
    ADD_FAILURE() << "matmul of f64 CUDA tensors did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f32 only"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace deepobs
