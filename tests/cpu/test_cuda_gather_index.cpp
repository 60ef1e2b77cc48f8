// The index helpers of the CUDA gather-form backward kernels (kernels/cuda/gather_index.h),
// checked against brute force on the CPU: every input pixel must be reached by exactly the
// outputs that read it, or a gradient would be lost or double counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/gather_index.h"

namespace deepobs {
namespace {

namespace gather = kernels::cuda::gather;

TEST(CudaGatherIndex, PoolCoveringEqualsTheWindowsThatHoldThePixel) {
  int checked = 0;
  for (std::int64_t in = 1; in <= 12; ++in)
    for (std::int64_t k = 1; k <= 4; ++k)
      for (std::int64_t s = 1; s <= 4; ++s)
        for (std::int64_t before = 0; before < k; ++before)
          for (std::int64_t after = 0; after < k; ++after) {
            if (in + before + after < k) continue;
            const std::int64_t out = (in + before + after - k) / s + 1;
            for (std::int64_t i = 0; i < in; ++i) {
              std::set<std::int64_t> brute, gathered;
              for (std::int64_t o = 0; o < out; ++o) {
                const auto span = gather::window_span(o, s, before, k, in);
                if (span.lo <= i && i < span.hi) brute.insert(o);
              }
              const auto c = gather::covering(i, s, before, k, out);
              for (std::int64_t o = c.lo; o <= c.hi; ++o)
                gathered.insert(o);
              ASSERT_EQ(gathered, brute) << "in " << in << " kernel " << k << " stride " << s
                                         << " pad " << before << "/" << after << " pixel " << i;
              ++checked;
            }
          }
  EXPECT_GT(checked, 5000);
}

// The CPU kernel's taps (kernels/cpu/resize.cpp), restated.
std::pair<std::int64_t, std::int64_t> cpu_tap(std::int64_t d, std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const float src = static_cast<float>(d) * scale;
  const auto lo = static_cast<std::int64_t>(std::floor(src));
  return {lo, std::min(lo + 1, in - 1)};
}

void check_resize(std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (std::int64_t d = 0; d < out; ++d) {
    const auto t = gather::tap(d, scale, in);
    const auto ref = cpu_tap(d, in, out);
    ASSERT_EQ(t.lo, ref.first) << in << "->" << out << " d " << d;
    ASSERT_EQ(t.hi, ref.second) << in << "->" << out << " d " << d;
  }
  for (std::int64_t i = 0; i < in; ++i) {
    std::set<std::int64_t> brute, gathered;
    for (std::int64_t d = 0; d < out; ++d) {
      const auto ref = cpu_tap(d, in, out);
      if (ref.first == i || ref.second == i) brute.insert(d);
    }
    // The scan of the backward kernel.
    for (std::int64_t d = gather::first_reaching(i, scale, in, out); d < out; ++d) {
      const auto t = gather::tap(d, scale, in);
      if (t.lo > i) break;
      if (t.lo == i || t.hi == i) gathered.insert(d);
    }
    ASSERT_EQ(gathered, brute) << in << "->" << out << " source " << i;
  }
}

TEST(CudaGatherIndex, ResizeScanFindsEveryOutputThatReadsASourcePixel) {
  for (std::int64_t in = 1; in <= 40; ++in)
    for (std::int64_t out = 1; out <= 40; ++out) {
      check_resize(in, out);
      if (HasFatalFailure()) return;
    }
  // Image-sized ratios (up and down, non-integer).
  for (const auto& [in, out] : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {299, 224}, {224, 299}, {32, 299}, {1000, 7}, {7, 1000}, {4096, 4095}}) {
    check_resize(in, out);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace deepobs
