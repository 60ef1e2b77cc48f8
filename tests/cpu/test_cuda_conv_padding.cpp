// The padding strategy of the cuDNN convolutions (kernels/cuda/conv_padding.h), checked on the CPU:
// a conv run the way cuDNN is asked to run it — symmetric padding on x, or no padding on x placed
// into the explicit buffer, with the input gradient cropped back — must equal the conv with the
// original (asymmetric) padding, for forward, backward-data and backward-filter. The CPU conv
// kernels stand in for cuDNN, so this runs without a GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/conv.h"
#include "kernels/cuda/conv_padding.h"

namespace deepobs {
namespace {

using kernels::cpu::ConvGeometry;

std::vector<double> random_values(std::int64_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(0.25, 1.0);  // never zero
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v)
    x = gen() % 2 ? dist(gen) : -dist(gen);
  return v;
}

// dst [planes, dh, dw] = src [planes, sh, sw] at offset (top, left), zeros elsewhere (the host
// version of kernels/cuda/conv_layout.h place_planes).
std::vector<double> place(const std::vector<double>& src, std::int64_t planes, std::int64_t sh,
                          std::int64_t sw, std::int64_t dh, std::int64_t dw, std::int64_t top,
                          std::int64_t left) {
  std::vector<double> dst(static_cast<std::size_t>(planes * dh * dw), 0.0);
  for (std::int64_t p = 0; p < planes; ++p)
    for (std::int64_t r = 0; r < dh; ++r)
      for (std::int64_t q = 0; q < dw; ++q) {
        const std::int64_t sr = r - top, sq = q - left;
        if (sr >= 0 && sr < sh && sq >= 0 && sq < sw)
          dst[static_cast<std::size_t>((p * dh + r) * dw + q)] =
              src[static_cast<std::size_t>((p * sh + sr) * sw + sq)];
      }
  return dst;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  // f64 sums over at most a few hundred terms of size ≤ 1 in possibly another order.
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-12) << what << " element " << i;
}

void check_geometry(const ConvGeometry& g) {
  const std::string what = "in " + std::to_string(g.in_h) + "x" + std::to_string(g.in_w) +
                           " kernel " + std::to_string(g.kernel_h) + "x" +
                           std::to_string(g.kernel_w) + " stride " + std::to_string(g.stride_h) +
                           "," + std::to_string(g.stride_w) + " pad " + std::to_string(g.pad_top) +
                           "," + std::to_string(g.pad_left) + " out " + std::to_string(g.out_h) +
                           "x" + std::to_string(g.out_w);
  const auto cp = kernels::cuda::cudnn_padding(g);
  // cuDNN's own size rule for what it is given must reproduce our output size.
  ASSERT_EQ((cp.in_h + 2 * cp.pad_h - g.kernel_h) / g.stride_h + 1, g.out_h) << what;
  ASSERT_EQ((cp.in_w + 2 * cp.pad_w - g.kernel_w) / g.stride_w + 1, g.out_w) << what;
  ASSERT_LT(cp.pad_h, g.kernel_h) << what;
  ASSERT_LT(cp.pad_w, g.kernel_w) << what;
  if (!cp.explicit_buffer) {
    EXPECT_EQ(cp.in_h, g.in_h) << what;
    EXPECT_EQ(cp.pad_h, g.pad_top) << what;
  }

  const std::int64_t planes = g.batch * g.in_channels;
  const auto x = random_values(planes * g.in_h * g.in_w, 1);
  const auto w = random_values(g.out_channels * g.in_channels * g.kernel_h * g.kernel_w, 2);
  const auto dy = random_values(g.batch * g.out_channels * g.out_h * g.out_w, 3);

  // Reference: the original geometry.
  std::vector<double> y(dy.size()), dx(x.size()), dw(w.size());
  kernels::cpu::conv2d_forward<double>(g, x.data(), w.data(), nullptr, y.data());
  kernels::cpu::conv2d_backward_data<double>(g, dy.data(), w.data(), dx.data());
  kernels::cpu::conv2d_backward_filter<double>(g, x.data(), dy.data(), dw.data());

  // As cuDNN runs it. The symmetric case differs from the original only in the implied bottom
  // padding, which the CPU kernel does not take; so the same geometry is the direct call.
  ConvGeometry gc = g;
  gc.in_h = cp.in_h;
  gc.in_w = cp.in_w;
  gc.pad_top = cp.pad_h;
  gc.pad_left = cp.pad_w;
  const auto xc = cp.explicit_buffer
                      ? place(x, planes, g.in_h, g.in_w, cp.in_h, cp.in_w, g.pad_top, g.pad_left)
                      : x;
  std::vector<double> yc(dy.size()), dxc(xc.size()), dwc(w.size());
  kernels::cpu::conv2d_forward<double>(gc, xc.data(), w.data(), nullptr, yc.data());
  kernels::cpu::conv2d_backward_data<double>(gc, dy.data(), w.data(), dxc.data());
  kernels::cpu::conv2d_backward_filter<double>(gc, xc.data(), dy.data(), dwc.data());
  if (cp.explicit_buffer)
    dxc = place(dxc, planes, cp.in_h, cp.in_w, g.in_h, g.in_w, -g.pad_top, -g.pad_left);

  expect_near_all(yc, y, "forward " + what);
  expect_near_all(dxc, dx, "backward data " + what);
  expect_near_all(dwc, dw, "backward filter " + what);
}

// Every small geometry: sizes 1–9, kernels 1–4, strides 1–3, and every padding the ops allow
// (leading and trailing 0–kernel), so TF 'same' (extra pixel after), 'valid' with unread rows and
// arbitrary explicit paddings are all covered, in both dimensions independently.
TEST(CudaConvPadding, CudnnPaddingReproducesEveryGeometryOnTheCpu) {
  int checked = 0, explicit_buffers = 0;
  for (std::int64_t in = 1; in <= 9; in += 2) {
    for (std::int64_t k = 1; k <= 4; ++k) {
      for (std::int64_t s = 1; s <= 3; ++s) {
        for (std::int64_t before = 0; before <= k; ++before) {
          for (std::int64_t after = 0; after <= k; ++after) {
            if (in + before + after < k) continue;
            ConvGeometry g;
            g.batch = 2;
            g.in_channels = 2;
            g.out_channels = 3;
            g.in_h = in;
            g.in_w = 10 - in;  // the other dimension stays on the simple symmetric path
            g.kernel_h = k;
            g.kernel_w = 3;
            g.stride_h = s;
            g.stride_w = 1;
            g.pad_top = before;
            g.pad_left = 1;
            g.out_h = (in + before + after - k) / s + 1;
            g.out_w = g.in_w;
            check_geometry(g);
            if (HasFatalFailure()) return;
            // The same along W, with H simple.
            std::swap(g.in_h, g.in_w);
            std::swap(g.kernel_h, g.kernel_w);
            std::swap(g.stride_h, g.stride_w);
            std::swap(g.pad_top, g.pad_left);
            std::swap(g.out_h, g.out_w);
            check_geometry(g);
            if (HasFatalFailure()) return;
            checked += 2;
            explicit_buffers += kernels::cuda::cudnn_padding(g).explicit_buffer ? 1 : 0;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 400);
  EXPECT_GT(explicit_buffers, 50);  // the explicit path is really exercised
}

}  // namespace
}  // namespace deepobs
