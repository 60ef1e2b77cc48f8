// Fused softmax cross-entropy and accuracy vs the CPU twin.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/loss.h"
#include "nn_twin.h"

namespace deepobs {
namespace {

using twin::evaluate;
using twin::expect_close;
using twin::random_tensor;

template <class L>
Tensor labels_for(std::int64_t n, std::int64_t classes, std::uint64_t seed) {
  std::vector<L> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    v[static_cast<std::size_t>(i)] =
        static_cast<L>((i * 7 + static_cast<std::int64_t>(seed)) % classes);
  return Tensor::from_vector(v, {n});
}

template <class L>
void compare_loss(std::int64_t n, std::int64_t classes, double smoothing) {
  SCOPED_TRACE("n " + std::to_string(n) + " classes " + std::to_string(classes) + " smoothing " +
               std::to_string(smoothing) + (sizeof(L) == 4 ? " i32" : " i64"));
  const Tensor logits = random_tensor({n, classes}, 701, -6.0, 6.0);
  const Tensor labels = labels_for<L>(n, classes, 3);
  const Tensor up = random_tensor({n}, 702);
  const auto f = [&](Device d) {
    return evaluate(d, {logits}, up, [&](const std::vector<Tensor>& v) {
      return ops::softmax_cross_entropy(v[0], labels.to(d), smoothing);
    });
  };
  const auto cpu = f(Device::cpu());
  const auto gpu = f(Device::cuda());
  // Both sum exp in double (different order: ~1e-16 relative) and round once to f32; CUDA's expf
  // is within 2 ulp of glibc's, which the double sum carries at ~1e-7 relative.
  expect_close(gpu.output, cpu.output, 1e-6, 1e-6, "expf ulps and double-sum order");
  // d = (exp(x − lse) − t)·g in f32: the two lse may differ by 1 f32 ulp (≤ 2e-6 for |lse| < 16),
  // which moves p = exp(x − lse) by ≤ 2e-6·p, plus expf's 2 ulp; |g| < 1.
  expect_close(gpu.grads[0], cpu.grads[0], 1e-5, 4e-6, "lse ulp and expf ulps on the softmax");
}

TEST(CudaSoftmaxXent, LossAndGradientMatchCpu) {
  SKIP_WITHOUT_GPU();
  for (const double eps : {0.0, 0.1}) {
    compare_loss<std::int32_t>(67, 10, eps);
    compare_loss<std::int64_t>(67, 10, eps);
    compare_loss<std::int32_t>(19, 1001, eps);  // more classes than a warp's lanes
    compare_loss<std::int64_t>(5, 33, eps);
  }
}

TEST(CudaSoftmaxXent, AccuracyMatchesCpuWithTiesAndNan) {
  SKIP_WITHOUT_GPU();
  const std::int64_t n = 200, classes = 37;
  auto v = random_tensor({n, classes}, 801).to_vector<float>();
  // Ties: rows whose maximum appears twice (the first index must win), and a NaN row.
  for (std::int64_t i = 0; i < n; i += 5) {
    v[static_cast<std::size_t>(i * classes + 3)] = 5.0f;
    v[static_cast<std::size_t>(i * classes + 30)] = 5.0f;
  }
  v[static_cast<std::size_t>(7 * classes + 1)] = std::numeric_limits<float>::quiet_NaN();
  const Tensor logits = Tensor::from_vector(v, {n, classes});
  std::vector<std::int32_t> lab(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto row = v.begin() + i * classes;
    // Label = the first arg-max for every other row (so many rows count), 3 or 30 on tie rows.
    lab[static_cast<std::size_t>(i)] =
        i % 2 == 0 ? static_cast<std::int32_t>(std::max_element(row, row + classes) - row)
                   : static_cast<std::int32_t>((i * 11) % classes);
    if (i % 10 == 5) lab[static_cast<std::size_t>(i)] = 30;  // tie row labelled with the second
  }
  lab[7] = 0;
  const Tensor labels = Tensor::from_vector(lab, {n});
  const double cpu = ops::accuracy(logits, labels);
  const double gpu = ops::accuracy(logits.to(Device::cuda()), labels.to(Device::cuda()));
  EXPECT_GT(cpu, 0.3);  // the setup really counts rows
  EXPECT_EQ(gpu, cpu);
  const double gpu64 =
      ops::accuracy(logits.to(Device::cuda()), labels.to(DType::I64).to(Device::cuda()));
  EXPECT_EQ(gpu64, cpu);
}

TEST(CudaSoftmaxXent, BadLabelsAreReported) {
  SKIP_WITHOUT_GPU();
  const Tensor logits = random_tensor({6, 4}, 901).to(Device::cuda());
  const Tensor labels =
      Tensor::from_vector<std::int64_t>({0, 1, 2, 3, 9, -1}, {6}).to(Device::cuda());
  try {
    ops::accuracy(logits, labels);
    ADD_FAILURE() << "accuracy with label 9 of 4 classes did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 9 in row 4"), std::string::npos) << e.what();
  }
  // The loss does not read labels back: the bad rows are NaN, the good ones finite.
  const auto loss = ops::softmax_cross_entropy(logits, labels).to(Device::cpu()).to_vector<float>();
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(std::isfinite(loss[static_cast<std::size_t>(i)])) << i;
  EXPECT_TRUE(std::isnan(loss[4]));
  EXPECT_TRUE(std::isnan(loss[5]));
}

}  // namespace
}  // namespace deepobs
