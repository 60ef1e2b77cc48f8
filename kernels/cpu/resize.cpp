#include "kernels/cpu/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

// Where output index d of one dimension reads from: source indices lo, hi and the weight of hi.
template <class T>
struct Tap {
  std::int64_t lo, hi;
  T frac;
};

// TF 1.x computes the ratio and the source coordinate in float even for double images; doing the
// same keeps f32 results identical to TF's.
template <class T>
std::vector<Tap<T>> taps(std::int64_t in, std::int64_t out) {
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  std::vector<Tap<T>> t(static_cast<std::size_t>(out));
  for (std::int64_t d = 0; d < out; ++d) {
    const float src = static_cast<float>(d) * scale;
    const float base = std::floor(src);
    const auto lo = static_cast<std::int64_t>(base);
    t[static_cast<std::size_t>(d)] = {lo, std::min(lo + 1, in - 1), static_cast<T>(src - base)};
  }
  return t;
}

// Planes per range, from the output pixels of one plane (about 8 operations each).
std::int64_t plane_grain(const ResizeGeometry& g) {
  return grain_for_work(8.0 * static_cast<double>(g.out_h * g.out_w));
}

}  // namespace

template <class T>
void resize_bilinear_forward(const ResizeGeometry& g, const T* x, T* y) {
  const auto ty = taps<T>(g.in_h, g.out_h);
  const auto tx = taps<T>(g.in_w, g.out_w);
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  parallel_for(g.planes, plane_grain(g), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t pl = first; pl < last; ++pl) {
      const T* src = x + pl * in_plane;
      T* dst = y + pl * out_plane;
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const Tap<T>& r = ty[static_cast<std::size_t>(oh)];
        const T* top_row = src + r.lo * g.in_w;
        const T* bottom_row = src + r.hi * g.in_w;
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const Tap<T>& c = tx[static_cast<std::size_t>(ow)];
          const T top = top_row[c.lo] + (top_row[c.hi] - top_row[c.lo]) * c.frac;
          const T bottom = bottom_row[c.lo] + (bottom_row[c.hi] - bottom_row[c.lo]) * c.frac;
          dst[oh * g.out_w + ow] = top + (bottom - top) * r.frac;
        }
      }
    }
  });
}

template <class T>
void resize_bilinear_backward(const ResizeGeometry& g, const T* dy, T* dx) {
  const auto ty = taps<T>(g.in_h, g.out_h);
  const auto tx = taps<T>(g.in_w, g.out_w);
  const std::int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  parallel_for(g.planes, plane_grain(g), [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t pl = first; pl < last; ++pl) {
      const T* src = dy + pl * out_plane;
      T* dst = dx + pl * in_plane;
      std::fill(dst, dst + in_plane, T(0));
      for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
        const Tap<T>& r = ty[static_cast<std::size_t>(oh)];
        T* top_row = dst + r.lo * g.in_w;
        T* bottom_row = dst + r.hi * g.in_w;
        for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
          const Tap<T>& c = tx[static_cast<std::size_t>(ow)];
          const T v = src[oh * g.out_w + ow];
          const T top = v * (T(1) - r.frac), bottom = v * r.frac;
          top_row[c.lo] += top * (T(1) - c.frac);
          top_row[c.hi] += top * c.frac;
          bottom_row[c.lo] += bottom * (T(1) - c.frac);
          bottom_row[c.hi] += bottom * c.frac;
        }
      }
    }
  });
}

#define DEEPOBS_INSTANTIATE(T)                                                   \
  template void resize_bilinear_forward<T>(const ResizeGeometry&, const T*, T*); \
  template void resize_bilinear_backward<T>(const ResizeGeometry&, const T*, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
