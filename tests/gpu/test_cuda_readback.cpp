// The non-synchronising helpers of the training loop on a GPU: the asynchronous loss read-back and
// the pooled step timer.
#include <gtest/gtest.h>

#include <vector>

#include "core/cuda_backend.h"
#include "core/tensor.h"
#include "twin.h"

namespace deepobs {
namespace {

TEST(CudaReadback, ValuesComeBackInPushOrderAfterTheirTensorsAreGone) {
  SKIP_WITHOUT_GPU();
  cuda_backend::ScalarReadback readback(Device::cuda());
  std::vector<double> expected;
  for (int i = 0; i < 5; ++i) {
    const double v = 0.25 + 1.5 * i;
    // The tensor dies at the end of this scope, while its copy may still be queued.
    readback.push(Tensor::scalar(v, DType::F32, Device::cuda()));
    expected.push_back(static_cast<double>(static_cast<float>(v)));
  }
  readback.push(Tensor::scalar(1.0 / 3.0, DType::F64, Device::cuda()));
  expected.push_back(1.0 / 3.0);
  ASSERT_EQ(readback.pending(), expected.size());
  for (double want : expected)
    EXPECT_EQ(readback.pop(), want);  // f32 and f64 values come back exactly
  EXPECT_EQ(readback.pending(), 0u);
}

TEST(CudaReadback, IntervalTimerCollectsOneFigurePerInterval) {
  SKIP_WITHOUT_GPU();
  cuda_backend::IntervalTimer timer(Device::cuda());
  const Tensor t = Tensor::ones({1 << 20}, DType::F32, Device::cuda());
  for (int i = 0; i < 7; ++i) {
    timer.begin();
    t.fill(static_cast<double>(i));  // some device work inside the interval
    timer.end();
  }
  const std::vector<double> ms = timer.collect_ms();
  ASSERT_EQ(ms.size(), 7u);
  for (double x : ms)
    EXPECT_GE(x, 0.0);
  EXPECT_TRUE(timer.collect_ms().empty()) << "collected figures are handed out once";
}

}  // namespace
}  // namespace deepobs
