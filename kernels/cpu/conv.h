// 2-D convolution on the CPU: implicit im2col products of the blocked GEMM
// (kernels/cpu/gemm_blocked.h).
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
// Each image is lowered on its own, as GEMMs of the blocked kernel (kernels/cpu/gemm_blocked.h)
// whose op(B) is packed straight from the image: the im2col matrix [in_channels·kh·kw,
// out_h·out_w] (forward) and its transpose (filter gradient) are never materialised, and the filter
// (or its transpose) is packed once per call. The data gradient is wᵀ·dy followed by col2im, in
// bands of output rows whose column matrix has at most `max_col_elements` values (at least one row
// per band) in a per-thread scratch buffer. Images worth
// it (~64 K multiply-adds or more) are spread over the threads of kernels/cpu/parallel.h, each
// image wholly on one thread; the filter gradient is summed in fixed groups of images, added in
// group order. Results depend only on the shapes, never on the thread count or on scheduling. A 1×1
// window without stride or padding reads x_n itself as its im2col matrix. Every output is
// overwritten (no accumulation into the caller's buffer). T is float or double.
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

// Default per-thread column-matrix budget of the data gradient: 4 Mi values (16 MiB in f32).
inline constexpr std::int64_t kConvDefaultColElements = std::int64_t{1} << 22;

// y = conv(x, w) + bias, with bias [out_channels] added on each output channel, or no bias when
// `bias` is null. The bias is added per image right after its GEMM, while y_n is still in cache.
template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y);

// dx = ∂/∂x of Σ dy ⊙ conv(x, w): the transposed conv of dy with w. dx has x's shape.
template <class T>
void conv2d_backward_data(const ConvGeometry& g, const T* dy, const T* w, T* dx,
                          std::int64_t max_col_elements = kConvDefaultColElements);

// dw = ∂/∂w of Σ dy ⊙ conv(x, w) = Σ_n dy_n · im2col(x_n)^T. dw has w's shape. Images are summed in
// fixed groups of consecutive images (depending on the shapes only); the groups' partials are added
// in group order.
template <class T>
void conv2d_backward_filter(const ConvGeometry& g, const T* x, const T* dy, T* dw);

// y[n, c, :] += bias[c] for y [batch, channels, spatial] (spatial = H·W).
template <class T>
void add_channel_bias(T* y, const T* bias, std::int64_t batch, std::int64_t channels,
                      std::int64_t spatial);

// bias_grad[c] = Σ_{n, s} dy[n, c, s] (overwrites bias_grad); summed in a fixed order.
template <class T>
void channel_sums(const T* dy, std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                  T* bias_grad);

}  // namespace deepobs::kernels::cpu
