// The CPU side of the training loop's read-back and timing helpers (core/cuda_backend.h): on the
// CPU a pushed value is read at once and intervals are host-clock readings.
#include <gtest/gtest.h>

#include "core/cuda_backend.h"
#include "core/tensor.h"
#include "tests/common/expect_error.h"

namespace deepobs {
namespace {

TEST(StepHelpers, ScalarReadbackOnTheCpuReturnsValuesInOrder) {
  cuda_backend::ScalarReadback readback(Device::cpu());
  readback.push(Tensor::scalar(2.5));
  readback.push(Tensor::scalar(-0.125, DType::F64));
  EXPECT_EQ(readback.pending(), 2u);
  EXPECT_EQ(readback.pop(), 2.5);
  EXPECT_EQ(readback.pop(), -0.125);
  EXPECT_EQ(readback.pending(), 0u);
}

TEST(StepHelpers, ScalarReadbackRejectsMisuseClearly) {
  cuda_backend::ScalarReadback readback(Device::cpu());
  testing::expect_error([&] { readback.pop(); }, {"nothing pending"});
  testing::expect_error([&] { readback.push(Tensor::zeros({2})); }, {"one f32 or f64 element"});
  testing::expect_error([&] { readback.push(Tensor::scalar(1, DType::I64)); },
                        {"one f32 or f64 element"});
}

TEST(StepHelpers, IntervalTimerOnTheCpuMeasuresEachInterval) {
  cuda_backend::IntervalTimer timer(Device::cpu());
  for (int i = 0; i < 3; ++i) {
    timer.begin();
    timer.end();
  }
  const auto ms = timer.collect_ms();
  ASSERT_EQ(ms.size(), 3u);
  for (double x : ms)
    EXPECT_GE(x, 0.0);
  EXPECT_TRUE(timer.collect_ms().empty());
  testing::expect_error([&] { timer.end(); }, {"end() without begin()"});
  timer.begin();
  testing::expect_error([&] { timer.begin(); }, {"begin() twice"});
}

}  // namespace
}  // namespace deepobs
