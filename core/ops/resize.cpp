#include "core/ops/resize.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/resize.h"
#include "kernels/cuda/resize.h"

namespace deepobs::ops {

Tensor resize_bilinear(const Tensor& x, std::int64_t out_h, std::int64_t out_w) {
  constexpr const char* op = "resize_bilinear";
  check_rank(op, "input", x, 4);
  backend::launch(op, x, [](auto) {});  // fails early for a device or dtype without kernels
  DEEPOBS_CHECK(x.size(2) >= 1 && x.size(3) >= 1, op, ": input ", shape_str(x.shape()),
                " has an empty spatial dimension");
  DEEPOBS_CHECK(out_h >= 1 && out_w >= 1, op, ": output size must be >= 1, got ", out_h, "x", out_w,
                " for input ", shape_str(x.shape()));
  const kernels::cpu::ResizeGeometry g{x.size(0) * x.size(1), x.size(2), x.size(3), out_h, out_w};
  // Per output element: three linear interpolations (3 FLOPs each); the rule spreads each output
  // gradient over its four source pixels with their weights (4 multiply-adds = 8 FLOPs).
  profile::OpScope scope(op, [&] {
    const std::int64_t out = g.planes * out_h * out_w;
    const double bytes = profile::bytes_of(x.numel() + out, dtype_size(x.dtype()));
    return profile::OpCost{{9.0 * static_cast<double>(out), bytes},
                           {x.requires_grad() ? 8.0 * static_cast<double>(out) : 0.0, bytes}};
  });
  Tensor y = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, resize_bilinear_forward, g, x.data<T>(), y.data<T>());
  });
  if (autograd::needs_grad({x}))
    autograd::record(op, {x}, {y}, {}, [g, xs = x.shape()](const auto& gr) {
      const Tensor& dy = gr.g();
      Tensor dx = Tensor::empty(xs, dy.dtype(), dy.device());
      backend::launch("resize_bilinear backward", dy, [&](auto be) {
        using T = typename decltype(be)::type;
        DEEPOBS_KERNEL(be, resize_bilinear_backward, g, dy.data<T>(), dx.data<T>());
      });
      return std::vector<Tensor>{dx};
    });
  return y;
}

}  // namespace deepobs::ops
