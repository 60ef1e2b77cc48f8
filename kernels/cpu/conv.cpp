#include "kernels/cpu/conv.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

// Derived sizes of one geometry, computed once per call.
struct Dims {
  std::int64_t k;     // rows of the im2col matrix: in_channels · kernel_h · kernel_w
  std::int64_t p;     // output pixels per image and channel: out_h · out_w
  std::int64_t hw;    // input pixels per image and channel
  std::int64_t band;  // output rows per im2col band (out_h unless the image's matrix is too big)
  std::int64_t x_img, y_img;  // elements per image of x and y
};

Dims dims_of(const ConvGeometry& g, std::int64_t max_col_elements) {
  Dims d{};
  d.k = g.in_channels * g.kernel_h * g.kernel_w;
  d.p = g.out_h * g.out_w;
  d.hw = g.in_h * g.in_w;
  const std::int64_t per_row = std::max<std::int64_t>(d.k * g.out_w, 1);
  d.band =
      std::clamp<std::int64_t>(max_col_elements / per_row, 1, std::max<std::int64_t>(g.out_h, 1));
  d.x_img = g.in_channels * d.hw;
  d.y_img = g.out_channels * d.p;
  return d;
}

// A 1×1 window that neither strides nor pads reads x_n itself as its im2col matrix, so the GEMMs
// can run on the tensors directly.
bool is_pointwise(const ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// Growable per-thread buffers (slot 0: an im2col band, slot 1: a band of y or dy when an image
// needs several bands, slot 2: the filter-gradient partials of the calling thread). The pool keeps
// its threads, so steady-state training reuses them and does not pay for fresh pages on every
// conv.
template <class T>
T* scratch(int slot, std::int64_t n) {
  thread_local std::vector<T> buffers[3];
  auto& b = buffers[slot];
  if (static_cast<std::int64_t>(b.size()) < n) b.resize(static_cast<std::size_t>(n));
  return b.data();
}

// Output columns q ∈ [lo, hi) whose input column q·stride − pad + offset lies inside [0, extent).
struct ValidRange {
  std::int64_t lo, hi;
};

ValidRange valid_range(std::int64_t extent, std::int64_t out, std::int64_t stride, std::int64_t pad,
                       std::int64_t offset) {
  const std::int64_t first = pad - offset;              // q·stride ≥ first
  const std::int64_t last = extent - 1 + pad - offset;  // q·stride ≤ last
  const std::int64_t lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  const std::int64_t hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  return {std::min(lo, hi), hi};
}

// The rows r ∈ [lo, hi) of the band [row0, row0 + rows) whose input row (row0 + r)·sh − pt + i of
// kernel row i lies inside the image.
ValidRange band_rows(const ConvGeometry& g, std::int64_t i, std::int64_t row0, std::int64_t rows) {
  const ValidRange all = valid_range(g.in_h, g.out_h, g.stride_h, g.pad_top, i);
  const std::int64_t lo = std::clamp<std::int64_t>(all.lo - row0, 0, rows);
  return {lo, std::clamp<std::int64_t>(all.hi - row0, lo, rows)};
}

// out[0, n) = in[0, n) and zero fills of short rows (an output row: 28 or 14 values in 2c2d), as
// plain loops the compiler inlines; std::copy and std::fill become memmove and memset calls whose
// overhead was most of im2col's time.
template <class T>
inline void copy_row(T* __restrict out, const T* __restrict in, std::int64_t n) {
  for (std::int64_t k = 0; k < n; ++k)
    out[k] = in[k];
}
template <class T>
inline void zero_row(T* __restrict out, std::int64_t n) {
  for (std::int64_t k = 0; k < n; ++k)
    out[k] = T(0);
}

// im2col of output rows [row0, row0 + rows) of one image into col [k, rows·out_w]: row (c, i, j),
// column (oh − row0)·out_w + ow holds x[c, oh·sh − pt + i, ow·sw − pl + j], 0 outside the image.
template <class T>
void im2col_band(const ConvGeometry& g, const Dims& d, const T* x_img, std::int64_t row0,
                 std::int64_t rows, T* col) {
  const std::int64_t ld = rows * g.out_w;
  for (std::int64_t i = 0; i < g.kernel_h; ++i) {
    const auto [r_lo, r_hi] = band_rows(g, i, row0, rows);
    for (std::int64_t j = 0; j < g.kernel_w; ++j) {
      const ValidRange cols = valid_range(g.in_w, g.out_w, g.stride_w, g.pad_left, j);
      for (std::int64_t c = 0; c < g.in_channels; ++c) {
        const T* src = x_img + c * d.hw;
        T* dst = col + ((c * g.kernel_h + i) * g.kernel_w + j) * ld;
        zero_row(dst, r_lo * g.out_w);
        for (std::int64_t r = r_lo; r < r_hi; ++r) {
          T* out = dst + r * g.out_w;
          const std::int64_t ih = (row0 + r) * g.stride_h - g.pad_top + i;
          const T* row = src + ih * g.in_w - g.pad_left + j;  // row[ow·sw] is the input pixel
          zero_row(out, cols.lo);
          if (g.stride_w == 1) {
            copy_row(out + cols.lo, row + cols.lo, cols.hi - cols.lo);
          } else {
            for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
              out[ow] = row[ow * g.stride_w];
          }
          zero_row(out + cols.hi, g.out_w - cols.hi);
        }
        zero_row(dst + r_hi * g.out_w, (rows - r_hi) * g.out_w);
      }
    }
  }
}

// out[0, n) += in[0, n); the two never overlap (dx and a column matrix), which __restrict tells
// the compiler, so the short rows need neither an overlap check nor a second loop version.
template <class T>
inline void add_row(T* __restrict out, const T* __restrict in, std::int64_t n) {
  for (std::int64_t k = 0; k < n; ++k)
    out[k] += in[k];
}

// The adjoint of im2col_band: adds every entry of col to the input pixel it was read from, in the
// order (c, i, j, row), so that every pixel sums its terms in (i, j) order.
template <class T>
void col2im_band(const ConvGeometry& g, const Dims& d, const T* col, std::int64_t row0,
                 std::int64_t rows, T* dx_img) {
  const std::int64_t ld = rows * g.out_w;
  for (std::int64_t i = 0; i < g.kernel_h; ++i) {
    const auto [r_lo, r_hi] = band_rows(g, i, row0, rows);
    for (std::int64_t j = 0; j < g.kernel_w; ++j) {
      const ValidRange cols = valid_range(g.in_w, g.out_w, g.stride_w, g.pad_left, j);
      for (std::int64_t c = 0; c < g.in_channels; ++c) {
        T* dst = dx_img + c * d.hw;
        const T* src = col + ((c * g.kernel_h + i) * g.kernel_w + j) * ld;
        for (std::int64_t r = r_lo; r < r_hi; ++r) {
          const std::int64_t ih = (row0 + r) * g.stride_h - g.pad_top + i;
          const T* in = src + r * g.out_w;
          T* row = dst + ih * g.in_w - g.pad_left + j;
          if (g.stride_w == 1) {
            add_row(row + cols.lo, in + cols.lo, cols.hi - cols.lo);
          } else {
            for (std::int64_t ow = cols.lo; ow < cols.hi; ++ow)
              row[ow * g.stride_w] += in[ow];
          }
        }
      }
    }
  }
}

// Copies the first n columns of each of `rows` rows between row-major matrices with row lengths
// src_ld and dst_ld: how a band of y or dy ([channels, out_h·out_w] per image) is packed into, or
// unpacked from, a contiguous GEMM operand.
template <class T>
void copy_band(const T* src, std::int64_t src_ld, T* dst, std::int64_t dst_ld, std::int64_t rows,
               std::int64_t n) {
  for (std::int64_t r = 0; r < rows; ++r)
    std::copy(src + r * src_ld, src + r * src_ld + n, dst + r * dst_ld);
}

// Images per range of the pool: images are independent, each runs wholly on one thread with
// single-threaded GEMMs; tiny convs (gradient checks) stay on the calling thread.
std::int64_t image_grain(const ConvGeometry& g, const Dims& d) {
  return grain_for_work(static_cast<double>(g.out_channels * d.p * d.k));
}

// The filter gradient is summed per group of consecutive images into one partial each, and the
// partials are added in group order: the grouping depends only on the shapes, so the result is the
// same for any thread count. At most kMaxFilterGroups partials bound the scratch memory.
constexpr std::int64_t kMaxFilterGroups = 16;

// Elements per range of the bias loops.
constexpr std::int64_t kBiasGrain = kMinRangeWork;

template <class T>
void add_bias_image(const Dims& d, std::int64_t channels, const T* bias, T* y_img) {
  for (std::int64_t c = 0; c < channels; ++c) {
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(y_img + c * d.p, d.p) += bias[c];
  }
}

template <class T>
void forward_image(const ConvGeometry& g, const Dims& d, const T* x_img, const T* w, const T* bias,
                   T* y_img) {
  if (is_pointwise(g)) {
    gemm<T>(false, false, g.out_channels, d.p, g.in_channels, T(1), w, x_img, T(0), y_img);
    if (bias != nullptr) add_bias_image(d, g.out_channels, bias, y_img);
    return;
  }
  T* col = scratch<T>(0, d.k * d.band * g.out_w);
  for (std::int64_t row0 = 0; row0 < g.out_h; row0 += d.band) {
    const std::int64_t rows = std::min(d.band, g.out_h - row0), n = rows * g.out_w;
    im2col_band(g, d, x_img, row0, rows, col);
    if (rows == g.out_h) {
      gemm<T>(false, false, g.out_channels, n, d.k, T(1), w, col, T(0), y_img);
    } else {
      T* out = scratch<T>(1, g.out_channels * n);
      gemm<T>(false, false, g.out_channels, n, d.k, T(1), w, col, T(0), out);
      copy_band(out, n, y_img + row0 * g.out_w, d.p, g.out_channels, n);
    }
  }
  if (bias != nullptr) add_bias_image(d, g.out_channels, bias, y_img);
}

template <class T>
void backward_data_image(const ConvGeometry& g, const Dims& d, const T* dy_img, const T* w,
                         T* dx_img) {
  if (is_pointwise(g)) {
    gemm<T>(true, false, g.in_channels, d.p, g.out_channels, T(1), w, dy_img, T(0), dx_img);
    return;
  }
  std::fill(dx_img, dx_img + d.x_img, T(0));
  T* col = scratch<T>(0, d.k * d.band * g.out_w);
  for (std::int64_t row0 = 0; row0 < g.out_h; row0 += d.band) {
    const std::int64_t rows = std::min(d.band, g.out_h - row0), n = rows * g.out_w;
    const T* grad = dy_img;
    if (rows != g.out_h) {
      T* packed = scratch<T>(1, g.out_channels * n);
      copy_band(dy_img + row0 * g.out_w, d.p, packed, n, g.out_channels, n);
      grad = packed;
    }
    // dcol [k, n] = wᵀ · dy; w is stored [out_channels, k].
    gemm<T>(true, false, d.k, n, g.out_channels, T(1), w, grad, T(0), col);
    col2im_band(g, d, col, row0, rows, dx_img);
  }
}

// dw_part (+)= dy_n · im2col(x_n)ᵀ; `accumulate` false overwrites dw_part.
template <class T>
void backward_filter_image(const ConvGeometry& g, const Dims& d, const T* x_img, const T* dy_img,
                           T* dw_part, bool accumulate) {
  if (is_pointwise(g)) {
    gemm<T>(false, true, g.out_channels, g.in_channels, d.p, T(1), dy_img, x_img,
            accumulate ? T(1) : T(0), dw_part);
    return;
  }
  T* col = scratch<T>(0, d.k * d.band * g.out_w);
  for (std::int64_t row0 = 0; row0 < g.out_h; row0 += d.band) {
    const std::int64_t rows = std::min(d.band, g.out_h - row0), n = rows * g.out_w;
    im2col_band(g, d, x_img, row0, rows, col);
    const T* grad = dy_img;
    if (rows != g.out_h) {
      T* packed = scratch<T>(1, g.out_channels * n);
      copy_band(dy_img + row0 * g.out_w, d.p, packed, n, g.out_channels, n);
      grad = packed;
    }
    gemm<T>(false, true, g.out_channels, d.k, n, T(1), grad, col,
            accumulate || row0 > 0 ? T(1) : T(0), dw_part);
  }
}

}  // namespace

template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y,
                    std::int64_t max_col_elements) {
  const Dims d = dims_of(g, max_col_elements);
  parallel_for(g.batch, image_grain(g, d), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t n = first; n < last; ++n)
      forward_image(g, d, x + n * d.x_img, w, bias, y + n * d.y_img);
  });
}

template <class T>
void conv2d_backward_data(const ConvGeometry& g, const T* dy, const T* w, T* dx,
                          std::int64_t max_col_elements) {
  const Dims d = dims_of(g, max_col_elements);
  parallel_for(g.batch, image_grain(g, d), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t n = first; n < last; ++n)
      backward_data_image(g, d, dy + n * d.y_img, w, dx + n * d.x_img);
  });
}

template <class T>
void conv2d_backward_filter(const ConvGeometry& g, const T* x, const T* dy, T* dw,
                            std::int64_t max_col_elements) {
  const Dims d = dims_of(g, max_col_elements);
  const std::int64_t w_size = g.out_channels * d.k;
  if (g.batch == 0) {
    std::fill(dw, dw + w_size, T(0));
    return;
  }
  const std::int64_t per_group =
      std::max(image_grain(g, d), (g.batch + kMaxFilterGroups - 1) / kMaxFilterGroups);
  const std::int64_t groups = (g.batch + per_group - 1) / per_group;
  // Group 0 sums straight into dw, the others into partials of the calling thread's scratch.
  T* partials = groups > 1 ? scratch<T>(2, (groups - 1) * w_size) : nullptr;
  parallel_for(groups, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t grp = first; grp < last; ++grp) {
      T* part = grp == 0 ? dw : partials + (grp - 1) * w_size;
      const std::int64_t begin = grp * per_group, end = std::min(g.batch, begin + per_group);
      for (std::int64_t n = begin; n < end; ++n)
        backward_filter_image(g, d, x + n * d.x_img, dy + n * d.y_img, part, n > begin);
    }
  });
  if (groups == 1) return;
  parallel_for(w_size, kMinRangeWork / groups + 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t grp = 1; grp < groups; ++grp) {
      const T* part = partials + (grp - 1) * w_size;
      for (std::int64_t i = first; i < last; ++i)
        dw[i] += part[i];
    }
  });
}

template <class T>
void add_channel_bias(T* y, const T* bias, std::int64_t batch, std::int64_t channels,
                      std::int64_t spatial) {
  parallel_for(batch * channels, kBiasGrain / std::max<std::int64_t>(spatial, 1) + 1,
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t plane = first; plane < last; ++plane)
                   Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(y + plane * spatial, spatial) +=
                       bias[plane % channels];
               });
}

template <class T>
void channel_sums(const T* dy, std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                  T* bias_grad) {
  parallel_for(channels, kBiasGrain / std::max<std::int64_t>(batch * spatial, 1) + 1,
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t c = first; c < last; ++c) {
                   T acc = T(0);
                   for (std::int64_t n = 0; n < batch; ++n) {
                     acc += Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(
                                dy + (n * channels + c) * spatial, spatial)
                                .sum();
                   }
                   bias_grad[c] = acc;
                 }
               });
}

#define DEEPOBS_INSTANTIATE(T)                                                               \
  template void conv2d_forward<T>(const ConvGeometry&, const T*, const T*, const T*, T*,     \
                                  std::int64_t);                                             \
  template void conv2d_backward_data<T>(const ConvGeometry&, const T*, const T*, T*,         \
                                        std::int64_t);                                       \
  template void conv2d_backward_filter<T>(const ConvGeometry&, const T*, const T*, T*,       \
                                          std::int64_t);                                     \
  template void add_channel_bias<T>(T*, const T*, std::int64_t, std::int64_t, std::int64_t); \
  template void channel_sums<T>(const T*, std::int64_t, std::int64_t, std::int64_t, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
