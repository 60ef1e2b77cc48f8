// The per-element functions the CUDA pooling and resize kernels run (kernels/cuda/pool_element.h,
// resize_element.h) are host/device code; here they run on the CPU over whole tensors and must
// reproduce the CPU kernels (kernels/cpu/pool.h, resize.h) bit for bit — forward values, argmax and
// the gather-form gradients. The GPU executes the same source with the same roundings (the
// intrinsics replace the host operators one for one), so this checks the index math and the order
// of every sum without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/pool.h"
#include "kernels/cpu/resize.h"
#include "kernels/cuda/pool_element.h"
#include "kernels/cuda/resize_element.h"

namespace deepobs {
namespace {

std::vector<float> random_values(std::int64_t n, std::uint64_t seed, bool ties) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) {
    x = dist(gen);
    // Quarters offset by 1/8: many ties, never zero.
    x = ties ? std::floor(x * 4.0f) / 4.0f + 0.125f : (x == 0.0f ? 0.5f : x);
  }
  return v;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want,
                      const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_TRUE(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])))
        << what << " element " << i << ": " << got[i] << " vs " << want[i];
}

void check_pool(const kernels::cpu::PoolGeometry& g, bool ties, bool with_nan) {
  namespace pe = kernels::cuda::pool_element;
  const std::string what = "pool in " + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) +
                           " k " + std::to_string(g.kernel_h) + " s " + std::to_string(g.stride_h) +
                           " pad " + std::to_string(g.pad_top) + " out " + std::to_string(g.out_h) +
                           "x" + std::to_string(g.out_w);
  const std::int64_t in_n = g.planes * g.in_h * g.in_w, out_n = g.planes * g.out_h * g.out_w;
  auto x = random_values(in_n, 1, ties);
  if (with_nan) x[static_cast<std::size_t>(in_n / 2)] = std::numeric_limits<float>::quiet_NaN();
  const auto dy = random_values(out_n, 2, false);

  std::vector<float> y(static_cast<std::size_t>(out_n)), dx(static_cast<std::size_t>(in_n));
  std::vector<std::int32_t> arg(static_cast<std::size_t>(out_n));
  std::vector<float> ye(y.size()), dxe(dx.size());
  std::vector<std::int32_t> arge(arg.size());
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;

  // Max.
  kernels::cpu::max_pool2d_forward<float>(g, x.data(), y.data(), arg.data());
  kernels::cpu::max_pool2d_backward<float>(g, dy.data(), arg.data(), dx.data());
  for (std::int64_t p = 0; p < g.planes; ++p)
    for (std::int64_t oh = 0; oh < g.out_h; ++oh)
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const std::int64_t o = p * out_plane + oh * g.out_w + ow;
        pe::max_output(g, x.data() + p * in_plane, oh, ow, &ye[static_cast<std::size_t>(o)],
                       &arge[static_cast<std::size_t>(o)]);
      }
  for (std::int64_t p = 0; p < g.planes; ++p)
    for (std::int64_t ih = 0; ih < g.in_h; ++ih)
      for (std::int64_t iw = 0; iw < g.in_w; ++iw)
        dxe[static_cast<std::size_t>(p * in_plane + ih * g.in_w + iw)] =
            pe::max_input_grad(g, dy.data() + p * out_plane, arge.data() + p * out_plane, ih, iw);
  expect_same_bits(ye, y, "max forward " + what);
  ASSERT_EQ(arge, arg) << "argmax " << what;
  expect_same_bits(dxe, dx, "max backward " + what);

  // Average.
  kernels::cpu::avg_pool2d_forward<float>(g, x.data(), y.data());
  kernels::cpu::avg_pool2d_backward<float>(g, dy.data(), dx.data());
  for (std::int64_t p = 0; p < g.planes; ++p)
    for (std::int64_t oh = 0; oh < g.out_h; ++oh)
      for (std::int64_t ow = 0; ow < g.out_w; ++ow)
        ye[static_cast<std::size_t>(p * out_plane + oh * g.out_w + ow)] =
            pe::avg_output(g, x.data() + p * in_plane, oh, ow);
  for (std::int64_t p = 0; p < g.planes; ++p)
    for (std::int64_t ih = 0; ih < g.in_h; ++ih)
      for (std::int64_t iw = 0; iw < g.in_w; ++iw)
        dxe[static_cast<std::size_t>(p * in_plane + ih * g.in_w + iw)] =
            pe::avg_input_grad(g, dy.data() + p * out_plane, ih, iw);
  expect_same_bits(ye, y, "avg forward " + what);
  expect_same_bits(dxe, dx, "avg backward " + what);
}

TEST(CudaPoolResizeElements, PoolingMatchesTheCpuKernelsBitForBit) {
  for (std::int64_t in = 1; in <= 9; in += 2)
    for (std::int64_t k = 1; k <= 3; ++k)
      for (std::int64_t s = 1; s <= 3; ++s)
        for (std::int64_t before = 0; before < k; ++before)
          for (std::int64_t after = 0; after < k; ++after) {
            if (in + before + after < k) continue;
            kernels::cpu::PoolGeometry g;
            g.planes = 3;
            g.in_h = in;
            g.in_w = in + 3;
            g.kernel_h = k;
            g.kernel_w = k;
            g.stride_h = s;
            g.stride_w = s;
            g.pad_top = before;
            g.pad_left = before;
            g.out_h = (in + before + after - k) / s + 1;
            g.out_w = (in + 3 + before + after - k) / s + 1;
            for (const bool ties : {false, true}) {
              check_pool(g, ties, false);
              if (HasFatalFailure()) return;
            }
            check_pool(g, false, true);
            if (HasFatalFailure()) return;
          }
}

void check_resize(std::int64_t in_h, std::int64_t in_w, std::int64_t out_h, std::int64_t out_w) {
  namespace re = kernels::cuda::resize_element;
  const std::string what = std::to_string(in_h) + "x" + std::to_string(in_w) + " -> " +
                           std::to_string(out_h) + "x" + std::to_string(out_w);
  kernels::cpu::ResizeGeometry g;
  g.planes = 2;
  g.in_h = in_h;
  g.in_w = in_w;
  g.out_h = out_h;
  g.out_w = out_w;
  const std::int64_t in_plane = in_h * in_w, out_plane = out_h * out_w;
  const auto x = random_values(g.planes * in_plane, 3, false);
  const auto dy = random_values(g.planes * out_plane, 4, false);
  std::vector<float> y(dy.size()), dx(x.size()), ye(dy.size()), dxe(x.size());
  kernels::cpu::resize_bilinear_forward<float>(g, x.data(), y.data());
  kernels::cpu::resize_bilinear_backward<float>(g, dy.data(), dx.data());
  const float sh = static_cast<float>(in_h) / static_cast<float>(out_h);
  const float sw = static_cast<float>(in_w) / static_cast<float>(out_w);
  for (std::int64_t p = 0; p < g.planes; ++p) {
    for (std::int64_t oh = 0; oh < out_h; ++oh)
      for (std::int64_t ow = 0; ow < out_w; ++ow)
        ye[static_cast<std::size_t>(p * out_plane + oh * out_w + ow)] =
            re::output(g, sh, sw, x.data() + p * in_plane, oh, ow);
    for (std::int64_t ih = 0; ih < in_h; ++ih)
      for (std::int64_t iw = 0; iw < in_w; ++iw)
        dxe[static_cast<std::size_t>(p * in_plane + ih * in_w + iw)] =
            re::input_grad(g, sh, sw, dy.data() + p * out_plane, ih, iw);
  }
  expect_same_bits(ye, y, "resize forward " + what);
  expect_same_bits(dxe, dx, "resize backward " + what);
}

TEST(CudaPoolResizeElements, ResizeMatchesTheCpuKernelsBitForBit) {
  for (std::int64_t in = 1; in <= 13; in += 3)
    for (std::int64_t out = 1; out <= 17; out += 2) {
      check_resize(in, in + 1, out, out + 2);
      if (HasFatalFailure()) return;
    }
  check_resize(7, 9, 16, 20);
  check_resize(32, 32, 24, 24);
  check_resize(28, 28, 64, 64);
}

}  // namespace
}  // namespace deepobs
