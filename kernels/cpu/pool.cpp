#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <vector>

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

// 2×2 windows at stride 2 that all lie inside the image (no padding used): each input pixel is
// in at most one window. The pooling of 2c2d ('same' on even sizes pads nothing); the general
// loops below branch per pixel.
bool is_disjoint_2x2(const PoolGeometry& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 &&
         g.pad_top == 0 && g.pad_left == 0 && 2 * g.out_h <= g.in_h && 2 * g.out_w <= g.in_w;
}

// One plane of a disjoint 2×2 max pool: the same comparisons, in the same window order (top-left,
// top-right, bottom-left, bottom-right), as the general loop. The four corners of every window are
// first copied into contiguous arrays (corner 0's position within the plane is `at0`, the same for
// every plane), so that the comparisons run as one branch-free loop over the plane, which the
// compiler vectorises; over a row of 14 or 7 outputs it would not.
template <class T>
void max_pool_2x2_plane(const PoolGeometry& g, const T* src, const std::int32_t* at0, T* corners,
                        T* dst, std::int32_t* arg) {
  const std::int64_t n = g.out_h * g.out_w;
  T* c0 = corners;
  T* c1 = c0 + n;
  T* c2 = c1 + n;
  T* c3 = c2 + n;
  for (std::int64_t o = 0; o < n; ++o) {
    const T* top = src + at0[o];
    c0[o] = top[0];
    c1[o] = top[1];
    c2[o] = top[g.in_w];
    c3[o] = top[g.in_w + 1];
  }
  const auto right = std::int32_t{1}, down = static_cast<std::int32_t>(g.in_w);
  for (std::int64_t o = 0; o < n; ++o) {
    T best = c0[o];
    std::int32_t at = at0[o];
    // Strictly greater keeps the first of equal values; a NaN replaces any number (v != v is
    // isnan without a call, which would block vectorisation).
    auto take = [&](T v, std::int32_t pos) {
      const bool better = v > best || (v != v && best == best);
      best = better ? v : best;
      at = better ? pos : at;
    };
    take(c1[o], at0[o] + right);
    take(c2[o], at0[o] + down);
    take(c3[o], at0[o] + down + right);
    dst[o] = best;
    arg[o] = at;
  }
}

// Growable per-thread scratch (the pool keeps its threads, so training reuses it).
template <class T>
T* pool_scratch(std::int64_t n) {
  thread_local std::vector<T> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < n) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

}  // namespace

template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, std::int32_t* argmax) {
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  if (is_disjoint_2x2(g)) {
    // Top-left corner of every window, computed once for all planes.
    std::vector<std::int32_t> at0(static_cast<std::size_t>(out_plane));
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < g.out_w; ++ow)
        at0[static_cast<std::size_t>(oh * g.out_w + ow)] =
            static_cast<std::int32_t>(2 * oh * g.in_w + 2 * ow);
    }
    parallel_for(g.planes, plane_grain(g), [&](std::int64_t first, std::int64_t last) {
      T* corners = pool_scratch<T>(4 * out_plane);
      for (std::int64_t pl = first; pl < last; ++pl)
        max_pool_2x2_plane(g, x + pl * in_plane, at0.data(), corners, y + pl * out_plane,
                           argmax + pl * out_plane);
    });
    return;
  }
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
