#include "core/ops/pool.h"

#include <limits>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/pool.h"
#include "kernels/cuda/pool.h"

namespace deepobs::ops {
namespace {

using kernels::cpu::PoolGeometry;
using V = std::vector<Tensor>;

PoolGeometry pool_geometry(const char* op, const Tensor& x, int kernel_h, int kernel_w,
                           int stride_h, int stride_w, const Padding2d& p) {
  check_rank(op, "input", x, 4);
  backend::launch(op, x, [](auto) {});  // fails early for a device or dtype without kernels
  DEEPOBS_CHECK(kernel_h >= 1 && kernel_w >= 1, op, ": window must be >= 1, got ", kernel_h, "x",
                kernel_w, " for input ", shape_str(x.shape()));
  DEEPOBS_CHECK(stride_h >= 1 && stride_w >= 1, op, ": strides must be >= 1, got ", stride_h, ",",
                stride_w, " for input ", shape_str(x.shape()));
  // A padding as wide as the window could produce a window of padding only, which has no value.
  DEEPOBS_CHECK(p.top >= 0 && p.bottom >= 0 && p.left >= 0 && p.right >= 0 && p.top < kernel_h &&
                    p.bottom < kernel_h && p.left < kernel_w && p.right < kernel_w,
                op, ": padding ", padding_str(p), " must lie in [0, window) for window ", kernel_h,
                "x", kernel_w, " on input ", shape_str(x.shape()));
  DEEPOBS_CHECK(x.size(2) >= 1 && x.size(3) >= 1 && x.size(2) + p.top + p.bottom >= kernel_h &&
                    x.size(3) + p.left + p.right >= kernel_w,
                op, ": window ", kernel_h, "x", kernel_w, " does not fit input ",
                shape_str(x.shape()), " padded by ", padding_str(p));
  return PoolGeometry{x.size(0) * x.size(1),
                      x.size(2),
                      x.size(3),
                      kernel_h,
                      kernel_w,
                      stride_h,
                      stride_w,
                      p.top,
                      p.left,
                      (x.size(2) + p.top + p.bottom - kernel_h) / stride_h + 1,
                      (x.size(3) + p.left + p.right - kernel_w) / stride_w + 1};
}

Padding2d mode_padding(const char* op, const Tensor& x, int kernel_h, int kernel_w, int stride_h,
                       int stride_w, PaddingMode mode) {
  check_rank(op, "input", x, 4);
  DEEPOBS_CHECK(kernel_h >= 1 && kernel_w >= 1 && stride_h >= 1 && stride_w >= 1, op, ": window ",
                kernel_h, "x", kernel_w, " and strides ", stride_h, ",", stride_w,
                " must be >= 1 (input ", shape_str(x.shape()), ")");
  DEEPOBS_CHECK(x.size(2) >= 1 && x.size(3) >= 1, op, ": input ", shape_str(x.shape()),
                " has an empty spatial dimension");
  DEEPOBS_CHECK(mode == PaddingMode::kSame || (x.size(2) >= kernel_h && x.size(3) >= kernel_w), op,
                ": 'valid' window ", kernel_h, "x", kernel_w, " is larger than input ",
                shape_str(x.shape()));
  return padding_for(mode, x.size(2), x.size(3), kernel_h, kernel_w, stride_h, stride_w);
}

// The profiler's cost of a pool: one FLOP per window element of every output (a comparison for
// max, an addition for avg, plus avg's one division per output); bytes: x read, y written (max
// also writes its i32 argmax). Backward: max scatters each output gradient once (no FLOPs
// counted, reads dy and argmax, writes dx); avg spreads dy/window over the window (one FLOP per
// window element).
profile::OpCost pool_cost(const PoolGeometry& g, const Tensor& x, bool is_max) {
  const std::size_t es = dtype_size(x.dtype());
  const std::int64_t in = x.numel(), out = g.planes * g.out_h * g.out_w;
  const double window = static_cast<double>(out) * static_cast<double>(g.kernel_h * g.kernel_w);
  profile::OpCost c;
  c.forward = {window + (is_max ? 0.0 : static_cast<double>(out)),
               profile::bytes_of(in + out, es) + (is_max ? profile::bytes_of(out, 4) : 0.0)};
  if (x.requires_grad())
    c.backward = {is_max ? 0.0 : window,
                  profile::bytes_of(in + out, es) + (is_max ? profile::bytes_of(out, 4) : 0.0)};
  return c;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  const Padding2d& padding) {
  constexpr const char* op = "max_pool2d";
  const PoolGeometry g = pool_geometry(op, x, kernel_h, kernel_w, stride_h, stride_w, padding);
  DEEPOBS_CHECK(g.in_h * g.in_w <= std::numeric_limits<std::int32_t>::max(), op, ": input ",
                shape_str(x.shape()), " has more pixels per plane than i32 argmax indices address");
  profile::OpScope scope(op, [&] { return pool_cost(g, x, true); });
  const Shape out{x.size(0), x.size(1), g.out_h, g.out_w};
  Tensor y = Tensor::empty(out, x.dtype(), x.device());
  // Saved for backward instead of x: which input pixel each output took (its place in the plane).
  Tensor argmax = Tensor::empty(out, DType::I32, x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, max_pool2d_forward, g, x.data<T>(), y.data<T>(),
                   argmax.data<std::int32_t>());
  });
  if (autograd::needs_grad({x}))
    autograd::record(op, {x}, {y}, {argmax}, [g, xs = x.shape()](const auto& gr) {
      const Tensor& dy = gr.g();
      Tensor dx = Tensor::empty(xs, dy.dtype(), dy.device());
      backend::launch("max_pool2d backward", dy, [&](auto be) {
        using T = typename decltype(be)::type;
        DEEPOBS_KERNEL(be, max_pool2d_backward, g, dy.data<T>(),
                       gr.saved[0].template data<std::int32_t>(), dx.data<T>());
      });
      return V{dx};
    });
  return y;
}

Tensor max_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  PaddingMode mode) {
  return max_pool2d(x, kernel_h, kernel_w, stride_h, stride_w,
                    mode_padding("max_pool2d", x, kernel_h, kernel_w, stride_h, stride_w, mode));
}

Tensor avg_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  const Padding2d& padding) {
  constexpr const char* op = "avg_pool2d";
  const PoolGeometry g = pool_geometry(op, x, kernel_h, kernel_w, stride_h, stride_w, padding);
  profile::OpScope scope(op, [&] { return pool_cost(g, x, false); });
  Tensor y = Tensor::empty({x.size(0), x.size(1), g.out_h, g.out_w}, x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, avg_pool2d_forward, g, x.data<T>(), y.data<T>());
  });
  if (autograd::needs_grad({x}))
    autograd::record(op, {x}, {y}, {}, [g, xs = x.shape()](const auto& gr) {
      const Tensor& dy = gr.g();
      Tensor dx = Tensor::empty(xs, dy.dtype(), dy.device());
      backend::launch("avg_pool2d backward", dy, [&](auto be) {
        using T = typename decltype(be)::type;
        DEEPOBS_KERNEL(be, avg_pool2d_backward, g, dy.data<T>(), dx.data<T>());
      });
      return V{dx};
    });
  return y;
}

Tensor avg_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  PaddingMode mode) {
  return avg_pool2d(x, kernel_h, kernel_w, stride_h, stride_w,
                    mode_padding("avg_pool2d", x, kernel_h, kernel_w, stride_h, stride_w, mode));
}

}  // namespace deepobs::ops
