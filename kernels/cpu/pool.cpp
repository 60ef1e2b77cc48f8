#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

// The image rows (or columns) [lo, hi) covered by window `o` along one dimension.
struct Span {
  std::int64_t lo, hi;
};

Span window_span(std::int64_t o, std::int64_t stride, std::int64_t pad, std::int64_t kernel,
                 std::int64_t extent) {
  const std::int64_t start = o * stride - pad;
  return {std::max<std::int64_t>(start, 0), std::min(start + kernel, extent)};
}

// Planes per range, from the window visits of one plane: tiny pools (gradient checks, small
// batches) stay on the calling thread.
std::int64_t plane_grain(const PoolGeometry& g) {
  return grain_for_work(static_cast<double>(g.out_h * g.out_w * g.kernel_h * g.kernel_w));
}

}  // namespace

template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, std::int32_t* argmax) {
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  parallel_for(g.planes, plane_grain(g), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t pl = first; pl < last; ++pl) {
      const T* src = x + pl * in_plane;
      T* dst = y + pl * out_plane;
      std::int32_t* arg = argmax + pl * out_plane;
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const Span rows = window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span cols = window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
          std::int64_t best_at = rows.lo * g.in_w + cols.lo;
          T best = src[best_at];
          for (std::int64_t ih = rows.lo; ih < rows.hi; ++ih) {
            for (std::int64_t iw = cols.lo; iw < cols.hi; ++iw) {
              const T v = src[ih * g.in_w + iw];
              // Strictly greater keeps the first of equal values; a NaN replaces any number.
              if (v > best || (std::isnan(v) && !std::isnan(best))) {
                best = v;
                best_at = ih * g.in_w + iw;
              }
            }
          }
          dst[oh * g.out_w + ow] = best;
          arg[oh * g.out_w + ow] = static_cast<std::int32_t>(best_at);
        }
      }
    }
  });
}

template <class T>
void max_pool2d_backward(const PoolGeometry& g, const T* dy, const std::int32_t* argmax, T* dx) {
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  parallel_for(g.planes, plane_grain(g), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t pl = first; pl < last; ++pl) {
      T* dst = dx + pl * in_plane;
      std::fill(dst, dst + in_plane, T(0));
      const T* src = dy + pl * out_plane;
      const std::int32_t* arg = argmax + pl * out_plane;
      for (std::int64_t o = 0; o < out_plane; ++o)
        dst[arg[o]] += src[o];
    }
  });
}

template <class T>
void avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y) {
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  parallel_for(g.planes, plane_grain(g), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t pl = first; pl < last; ++pl) {
      const T* src = x + pl * in_plane;
      T* dst = y + pl * out_plane;
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const Span rows = window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span cols = window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
          T acc = T(0);
          for (std::int64_t ih = rows.lo; ih < rows.hi; ++ih) {
            for (std::int64_t iw = cols.lo; iw < cols.hi; ++iw)
              acc += src[ih * g.in_w + iw];
          }
          const auto count = (rows.hi - rows.lo) * (cols.hi - cols.lo);
          dst[oh * g.out_w + ow] = acc / static_cast<T>(count);
        }
      }
    }
  });
}

template <class T>
void avg_pool2d_backward(const PoolGeometry& g, const T* dy, T* dx) {
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  parallel_for(g.planes, plane_grain(g), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t pl = first; pl < last; ++pl) {
      T* dst = dx + pl * in_plane;
      std::fill(dst, dst + in_plane, T(0));
      const T* src = dy + pl * out_plane;
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const Span rows = window_span(oh, g.stride_h, g.pad_top, g.kernel_h, g.in_h);
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const Span cols = window_span(ow, g.stride_w, g.pad_left, g.kernel_w, g.in_w);
          const auto count = (rows.hi - rows.lo) * (cols.hi - cols.lo);
          const T share = src[oh * g.out_w + ow] / static_cast<T>(count);
          for (std::int64_t ih = rows.lo; ih < rows.hi; ++ih) {
            for (std::int64_t iw = cols.lo; iw < cols.hi; ++iw)
              dst[ih * g.in_w + iw] += share;
          }
        }
      }
    }
  });
}

#define DEEPOBS_INSTANTIATE(T)                                                                  \
  template void max_pool2d_forward<T>(const PoolGeometry&, const T*, T*, std::int32_t*);        \
  template void max_pool2d_backward<T>(const PoolGeometry&, const T*, const std::int32_t*, T*); \
  template void avg_pool2d_forward<T>(const PoolGeometry&, const T*, T*);                       \
  template void avg_pool2d_backward<T>(const PoolGeometry&, const T*, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
