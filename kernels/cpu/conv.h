// 2-D convolution on the CPU: im2col + Eigen GEMM (kernels/cpu/gemm.h).
//
// Layouts (all buffers contiguous, row-major):
//   x  [batch, in_channels, in_h, in_w]                         (NCHW)
//   w  [out_channels, in_channels, kernel_h, kernel_w]
//   y  [batch, out_channels, out_h, out_w]
//   y[n,o,p,q] = Σ_{c,i,j} w[o,c,i,j] · x[n, c, p·sh − pt + i, q·sw − pl + j]
//   (sh, sw = stride_h, stride_w; pt, pl = pad_top, pad_left)
// where x outside the image reads as 0. Bottom/right padding is implicit in out_h/out_w (a window
// row past the image is simply zero), so only the leading padding is passed.
//
// A transposed convolution is the adjoint of such a conv: its forward is conv2d_backward_data,
// its input gradient conv2d_forward, its filter gradient conv2d_backward_filter with x and dy
// swapped; its weight [in_t, out_t, kh, kw] is exactly the `w` of the forward conv.
//
// Each image is lowered on its own: its im2col matrix [in_channels·kh·kw, out_h·out_w] is built in
// a per-thread scratch buffer kept between calls (612 KiB for fmnist_2c2d's second conv: it stays
// in L2) and multiplied straight into y, so no copies between the NCHW tensors and GEMM operands.
// If one image's matrix would exceed `max_col_elements` values it is processed in bands of output
// rows (at least one row per band). Images worth it (~64 K multiply-adds or more) are spread over
// the threads of kernels/cpu/parallel.h, each image wholly on one thread with single-threaded
// GEMMs; the filter gradient is summed in fixed groups of images, added in group order. Results
// depend only on the shapes, never on the thread count or on scheduling. A 1×1 window without
// stride or padding skips im2col (x_n is its own im2col matrix). Every output is overwritten (no
// accumulation into the caller's buffer). T is float or double.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

struct ConvGeometry {
  std::int64_t batch = 0;
  std::int64_t in_channels = 0;
  std::int64_t in_h = 0;
  std::int64_t in_w = 0;
  std::int64_t out_channels = 0;
  std::int64_t kernel_h = 0;
  std::int64_t kernel_w = 0;
  std::int64_t stride_h = 1;
  std::int64_t stride_w = 1;
  std::int64_t pad_top = 0;
  std::int64_t pad_left = 0;
  std::int64_t out_h = 0;
  std::int64_t out_w = 0;
};

// Default per-thread im2col budget: 4 Mi values (16 MiB in f32).
inline constexpr std::int64_t kConvDefaultColElements = std::int64_t{1} << 22;

// y = conv(x, w) + bias, with bias [out_channels] added on each output channel, or no bias when
// `bias` is null. The bias is added per image right after its GEMM, while y_n is still in cache.
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y,
                    std::int64_t max_col_elements = kConvDefaultColElements);

// dx = ∂/∂x of Σ dy ⊙ conv(x, w): the transposed conv of dy with w. dx has x's shape.
template <class T>
void conv2d_backward_data(const ConvGeometry& g, const T* dy, const T* w, T* dx,
                          std::int64_t max_col_elements = kConvDefaultColElements);

// dw = ∂/∂w of Σ dy ⊙ conv(x, w) = Σ_n dy_n · im2col(x_n)^T. dw has w's shape. Each thread sums a
// fixed contiguous range of images; the per-thread partials are added in thread order.
template <class T>
void conv2d_backward_filter(const ConvGeometry& g, const T* x, const T* dy, T* dw,
                            std::int64_t max_col_elements = kConvDefaultColElements);

// y[n, c, :] += bias[c] for y [batch, channels, spatial] (spatial = H·W).
template <class T>
void add_channel_bias(T* y, const T* bias, std::int64_t batch, std::int64_t channels,
                      std::int64_t spatial);

// bias_grad[c] = Σ_{n, s} dy[n, c, s] (overwrites bias_grad); summed in a fixed order.
template <class T>
void channel_sums(const T* dy, std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                  T* bias_grad);

}  // namespace deepobs::kernels::cpu
