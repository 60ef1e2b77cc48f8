#include "kernels/cpu/conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/gemm_blocked.h"
#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

// Derived sizes of one geometry, computed once per call.
struct Dims {
  std::int64_t k;             // rows of the im2col matrix: in_channels · kernel_h · kernel_w
  std::int64_t p;             // output pixels per image and channel: out_h · out_w
  std::int64_t hw;            // input pixels per image and channel
  std::int64_t band;          // output rows per column-matrix band of the data gradient
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

// Growable per-thread buffers (slot 0: a band of the data gradient's column matrix, slot 1:
// the filter-gradient partials of the calling thread, slot 2: a zero-padded image). The pool keeps
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

// Packed rows are assembled from short runs (an output row of 14 pixels, a window row of 5 in
// fmnist_2c2d) copied in whole chunks of kChunk values: one or two vector moves per run instead of
// a loop with a remainder. A chunk may read up to kChunk − 1 values past its run (the padded image
// has that slack) and write as far past it, into space that is written again later or lies in the
// GEMM's slack after the block (gemm_blocked.h: kPackSlack).
constexpr std::int64_t kChunk = 8;
static_assert(kChunk <= kPackSlack);

template <class T>
inline void copy_chunks(T* __restrict out, const T* __restrict in, std::int64_t n) {
  for (std::int64_t t = 0; t < n; t += kChunk)
    std::memcpy(out + t, in + t, kChunk * sizeof(T));
}

// One image with its zero padding made explicit, so that every window read lies inside it and the
// im2col rows are plain copies: x[c, ih, iw] is at data[c·plane + (ih + pad_top)·cols + iw +
// pad_left]; a plane of `plane` values (rows × cols) covers the bottom and right padding the
// windows reach too. It lives in the calling thread's scratch until that thread's next pad_image.
template <class T>
struct PaddedImage {
  const T* data;
  std::int64_t cols, plane;
};

template <class T>
PaddedImage<T> pad_image(const ConvGeometry& g, const T* x_img) {
  const std::int64_t rows = std::max(g.in_h + g.pad_top, (g.out_h - 1) * g.stride_h + g.kernel_h);
  const std::int64_t cols = std::max(g.in_w + g.pad_left, (g.out_w - 1) * g.stride_w + g.kernel_w);
  const std::int64_t plane = rows * cols;
  T* buffer = scratch<T>(2, g.in_channels * plane + kChunk);
  for (std::int64_t c = 0; c < g.in_channels; ++c) {
    T* dst = buffer + c * plane;
    const T* src = x_img + c * g.in_h * g.in_w;
    zero_row(dst, g.pad_top * cols);
    for (std::int64_t ih = 0; ih < g.in_h; ++ih) {
      T* row = dst + (ih + g.pad_top) * cols;
      zero_row(row, g.pad_left);
      copy_row(row + g.pad_left, src + ih * g.in_w, g.in_w);
      zero_row(row + g.pad_left + g.in_w, cols - g.pad_left - g.in_w);
    }
    zero_row(dst + (g.in_h + g.pad_top) * cols, (rows - g.in_h - g.pad_top) * cols);
  }
  zero_row(buffer + g.in_channels * plane, kChunk);  // the chunks' read slack
  return {buffer, cols, plane};
}

// A position (c, i, j) in the window order of the im2col rows, stepped without divisions.
struct WindowIndex {
  std::int64_t c, i, j;
  WindowIndex(const ConvGeometry& g, std::int64_t row)
      : c(row / (g.kernel_h * g.kernel_w)), i(row / g.kernel_w % g.kernel_h), j(row % g.kernel_w) {}
  void next(const ConvGeometry& g) {
    if (++j < g.kernel_w) return;
    j = 0;
    if (++i < g.kernel_h) return;
    i = 0;
    ++c;
  }
};

// A run of a packed row: `length` values copied from `offset` (relative to where the row's source
// starts in the padded image) to `column` of the row. Within a panel every row consists of the
// same runs, only its source moves, so the runs are worked out once per panel.
struct Run {
  std::int64_t column, offset, length;
};

// Per-thread list of a panel's runs (kept between calls).
inline std::vector<Run>& panel_runs() {
  thread_local std::vector<Run> runs;
  runs.clear();
  return runs;
}

// Copies the runs of one packed row whose source starts at `src`.
template <class T>
inline void copy_runs(const std::vector<Run>& runs, const T* src, T* out) {
  for (const Run& r : runs)
    copy_chunks(out + r.column, src + r.offset, r.length);
}

// One image's im2col matrix [in_channels·kh·kw, out_h·out_w] as op(B) of the forward product,
// written block by block straight into the GEMM's panels from the padded image: row (c, i, j),
// column q = oh·out_w + ow holds x[c, oh·sh − pt + i, ow·sw − pl + j]. The matrix is never stored.
// A row's runs are the output rows it crosses (source (c, i, j) + oh·sh·cols + ow·sw).
template <class T>
class Im2colPacker final : public BlockPacker<T> {
 public:
  Im2colPacker(const ConvGeometry& g, PaddedImage<T> x) : g_(g), x_(x) {}
  void pack(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc,
            const PanelLayout& layout, T* dst) const override {
    for_each_panel(layout, kc, nc, dst,
                   [&](std::int64_t jr, std::int64_t cols, std::int64_t width, T* panel) {
                     if (g_.stride_w != 1) {
                       pack_strided(k0, kc, j0 + jr, cols, width, panel);
                       return;
                     }
                     std::vector<Run>& runs = panel_runs();
                     for (std::int64_t q = j0 + jr, column = 0; column < cols;) {
                       const std::int64_t oh = q / g_.out_w, ow = q - oh * g_.out_w;
                       const std::int64_t n = std::min(g_.out_w - ow, cols - column);
                       runs.push_back({column, oh * g_.stride_h * x_.cols + ow, n});
                       column += n;
                       q += n;
                     }
                     WindowIndex at(g_, k0);
                     for (std::int64_t kk = 0; kk < kc; ++kk, at.next(g_)) {
                       T* out = panel + kk * width;
                       copy_runs(runs, x_.data + at.c * x_.plane + at.i * x_.cols + at.j, out);
                       zero_row(out + cols, width - cols);
                     }
                   });
  }

 private:
  // Columns that stride: value by value, from offsets worked out once per panel.
  void pack_strided(std::int64_t k0, std::int64_t kc, std::int64_t q0, std::int64_t cols,
                    std::int64_t width, T* panel) const {
    thread_local std::vector<std::int64_t> offsets;
    offsets.resize(static_cast<std::size_t>(cols));
    for (std::int64_t column = 0; column < cols; ++column) {
      const std::int64_t q = q0 + column, oh = q / g_.out_w, ow = q - oh * g_.out_w;
      offsets[static_cast<std::size_t>(column)] = oh * g_.stride_h * x_.cols + ow * g_.stride_w;
    }
    WindowIndex at(g_, k0);
    for (std::int64_t kk = 0; kk < kc; ++kk, at.next(g_)) {
      const T* window = x_.data + at.c * x_.plane + at.i * x_.cols + at.j;
      T* out = panel + kk * width;
      for (std::int64_t column = 0; column < cols; ++column)
        out[column] = window[offsets[static_cast<std::size_t>(column)]];
      zero_row(out + cols, width - cols);
    }
  }

  const ConvGeometry& g_;
  PaddedImage<T> x_;
};

// The transposed im2col matrix of one image [out_h·out_w, in_channels·kh·kw] (row p = oh·out_w +
// ow, column (c, i, j)) as op(B) of the filter-gradient product dw (+)= dy_n · im2col(x_n)ᵀ. Along
// a row, the kw columns of one (c, i) are kw neighbouring pixels of the padded image: a row's runs
// are the (c, i) windows rows it crosses (source pixel (oh·sh, ow·sw) + c·plane + i·cols + j).
template <class T>
class Im2colTransposedPacker final : public BlockPacker<T> {
 public:
  Im2colTransposedPacker(const ConvGeometry& g, PaddedImage<T> x) : g_(g), x_(x) {}
  void pack(std::int64_t k0, std::int64_t kc, std::int64_t j0, std::int64_t nc,
            const PanelLayout& layout, T* dst) const override {
    for_each_panel(
        layout, kc, nc, dst, [&](std::int64_t jr, std::int64_t cols, std::int64_t width, T* panel) {
          std::vector<Run>& runs = panel_runs();
          WindowIndex at(g_, j0 + jr);
          for (std::int64_t column = 0; column < cols;) {
            const std::int64_t n = std::min(g_.kernel_w - at.j, cols - column);
            runs.push_back({column, at.c * x_.plane + at.i * x_.cols + at.j, n});
            column += n;
            at.j += n - 1;
            at.next(g_);
          }
          std::int64_t oh = k0 / g_.out_w, ow = k0 % g_.out_w;
          for (std::int64_t kk = 0; kk < kc; ++kk) {
            T* out = panel + kk * width;
            copy_runs(runs, x_.data + oh * g_.stride_h * x_.cols + ow * g_.stride_w, out);
            zero_row(out + cols, width - cols);
            if (++ow == g_.out_w) {
              ow = 0;
              ++oh;
            }
          }
        });
  }

 private:
  const ConvGeometry& g_;
  PaddedImage<T> x_;
};

// out[0, n) += in[0, n); the two never overlap (dx and a column matrix), which __restrict tells
// the compiler, so the short rows need neither an overlap check nor a second loop version.
template <class T>
inline void add_row(T* __restrict out, const T* __restrict in, std::int64_t n) {
  for (std::int64_t k = 0; k < n; ++k)
    out[k] += in[k];
}

// The adjoint of im2col for the output rows [row0, row0 + rows): adds every entry of the band's
// column matrix col [k, rows·out_w] to the input pixel it was read from, in the order (c, i, j,
// row), so that every pixel sums its terms in (i, j) order.
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

// y_n = w · im2col(x_n) (+ bias), with w packed once per call and im2col(x_n) packed straight from
// the image; the bias is added while y_n is still in cache.
template <class T>
void forward_image(const ConvGeometry& g, const Dims& d, const T* x_img, const PackedA<T>& w,
                   const T* bias, T* y_img) {
  if (is_pointwise(g)) {
    w.multiply(false, d.p, T(1), x_img, d.p, T(0), y_img, d.p);
  } else {
    const PaddedImage<T> padded = pad_image(g, x_img);
    w.multiply(d.p, T(1), Im2colPacker<T>(g, padded), T(0), y_img, d.p);
  }
  if (bias != nullptr) add_bias_image(d, g.out_channels, bias, y_img);
}

// dx_n: dcol = wᵀ · dy_n band by band (wᵀ packed once per call, dy's band read in place), then
// col2im adds each band's columns into dx_n. (Computing dx_n as a stride-1 conv of dy_n with the
// flipped filter, one product of depth out_channels·kh·kw, was measured slower: its implicit
// im2col packs out_channels·kh·kw rows per image, twice fmnist_2c2d's conv2 forward, and wastes
// most of the tile rows when in_channels is small.)
template <class T>
void backward_data_image(const ConvGeometry& g, const Dims& d, const T* dy_img,
                         const PackedA<T>& w_t, T* dx_img) {
  if (is_pointwise(g)) {
    w_t.multiply(false, d.p, T(1), dy_img, d.p, T(0), dx_img, d.p);
    return;
  }
  std::fill(dx_img, dx_img + d.x_img, T(0));
  T* col = scratch<T>(0, d.k * d.band * g.out_w);
  for (std::int64_t row0 = 0; row0 < g.out_h; row0 += d.band) {
    const std::int64_t rows = std::min(d.band, g.out_h - row0), n = rows * g.out_w;
    // dcol [k, n] = wᵀ · dy[:, band]
    w_t.multiply(false, n, T(1), dy_img + row0 * g.out_w, d.p, T(0), col, n);
    col2im_band(g, d, col, row0, rows, dx_img);
  }
}

// dw_part (+)= dy_n · im2col(x_n)ᵀ; `accumulate` false overwrites dw_part.
template <class T>
void backward_filter_image(const ConvGeometry& g, const Dims& d, const T* x_img, const T* dy_img,
                           T* dw_part, bool accumulate) {
  const PackedA<T> dy(false, g.out_channels, d.p, dy_img, d.p);
  const T beta = accumulate ? T(1) : T(0);
  if (is_pointwise(g)) {
    dy.multiply(true, g.in_channels, T(1), x_img, d.p, beta, dw_part, d.k);
  } else {
    const PaddedImage<T> padded = pad_image(g, x_img);
    dy.multiply(d.k, T(1), Im2colTransposedPacker<T>(g, padded), beta, dw_part, d.k);
  }
}

}  // namespace

template <class T>
void conv2d_forward(const ConvGeometry& g, const T* x, const T* w, const T* bias, T* y) {
  const Dims d = dims_of(g, kConvDefaultColElements);
  const PackedA<T> packed(false, g.out_channels, d.k, w, d.k);
  parallel_for(g.batch, image_grain(g, d), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t n = first; n < last; ++n)
      forward_image(g, d, x + n * d.x_img, packed, bias, y + n * d.y_img);
  });
}

template <class T>
void conv2d_backward_data(const ConvGeometry& g, const T* dy, const T* w, T* dx,
                          std::int64_t max_col_elements) {
  const Dims d = dims_of(g, max_col_elements);
  const PackedA<T> w_t(true, d.k, g.out_channels, w, d.k);
  parallel_for(g.batch, image_grain(g, d), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t n = first; n < last; ++n)
      backward_data_image(g, d, dy + n * d.y_img, w_t, dx + n * d.x_img);
  });
}

template <class T>
void conv2d_backward_filter(const ConvGeometry& g, const T* x, const T* dy, T* dw) {
  const Dims d = dims_of(g, kConvDefaultColElements);
  const std::int64_t w_size = g.out_channels * d.k;
  if (g.batch == 0) {
    std::fill(dw, dw + w_size, T(0));
    return;
  }
  const std::int64_t per_group =
      std::max(image_grain(g, d), (g.batch + kMaxFilterGroups - 1) / kMaxFilterGroups);
  const std::int64_t groups = (g.batch + per_group - 1) / per_group;
  // Group 0 sums straight into dw, the others into partials of the calling thread's scratch.
  T* partials = groups > 1 ? scratch<T>(1, (groups - 1) * w_size) : nullptr;
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
  template void conv2d_forward<T>(const ConvGeometry&, const T*, const T*, const T*, T*);    \
  template void conv2d_backward_data<T>(const ConvGeometry&, const T*, const T*, T*,         \
                                        std::int64_t);                                       \
  template void conv2d_backward_filter<T>(const ConvGeometry&, const T*, const T*, T*);      \
  template void add_channel_bias<T>(T*, const T*, std::int64_t, std::int64_t, std::int64_t); \
  template void channel_sums<T>(const T*, std::int64_t, std::int64_t, std::int64_t, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
