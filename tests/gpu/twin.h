// Support for the CUDA-vs-CPU twin tests: the skip macro, random inputs that are never zero, and
// an elementwise comparison whose tolerance comes with its reason.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"

namespace deepobs::twin {

#define SKIP_WITHOUT_GPU() \
  if (!::deepobs::Device::cuda_available()) GTEST_SKIP() << "no usable CUDA device"

// A CPU f32 tensor of uniform values in [lo, hi) with every exact zero replaced by (lo+hi)/2 or,
// when that is zero too, by hi/2: zeros hide unwritten outputs and wrong indexing.
inline Tensor random_tensor(const Shape& shape, std::uint64_t seed, double lo = -1.0,
                            double hi = 1.0) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(shape_numel(shape)));
  const float mid = static_cast<float>((lo + hi) / 2);
  for (auto& x : v) {
    x = static_cast<float>(dist(gen));
    if (x == 0.0f) x = mid != 0.0f ? mid : static_cast<float>(hi / 2);
  }
  return Tensor::from_vector(v, shape);
}

// Expects |gpu − cpu| ≤ atol + rtol·|cpu| elementwise (the GPU tensor is copied back first), with
// NaN matching only NaN. `why` states where the tolerance comes from (summation order, FMA, …)
// and is printed with the first mismatch.
inline void expect_close(const Tensor& gpu, const Tensor& cpu, double rtol, double atol,
                         const std::string& why) {
  ASSERT_EQ(gpu.shape(), cpu.shape()) << why;
  const auto g = gpu.to(Device::cpu()).to_vector<double>();
  const auto c = cpu.to_vector<double>();
  std::int64_t bad = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const bool both_nan = std::isnan(g[i]) && std::isnan(c[i]);
    const bool ok = both_nan || std::abs(g[i] - c[i]) <= atol + rtol * std::abs(c[i]);
    if (!ok && bad++ == 0)
      ADD_FAILURE() << "element " << i << ": gpu " << g[i] << " vs cpu " << c[i] << " (rtol "
                    << rtol << ", atol " << atol << ": " << why << ")";
  }
  EXPECT_EQ(bad, 0) << "mismatching elements of " << c.size();
}

// Expects bit-identical contents.
inline void expect_identical(const Tensor& gpu, const Tensor& cpu, const std::string& what) {
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  const auto g = gpu.to(Device::cpu()).to_vector<double>();
  const auto c = cpu.to_vector<double>();
  for (std::size_t i = 0; i < c.size(); ++i)
    ASSERT_TRUE(g[i] == c[i] || (std::isnan(g[i]) && std::isnan(c[i])))
        << what << ": element " << i << " gpu " << g[i] << " vs cpu " << c[i];
}

}  // namespace deepobs::twin
