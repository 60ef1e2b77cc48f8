#include "core/ops/resize.h"

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/resize.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/resize.h"
#endif

namespace deepobs::ops {

Tensor resize_bilinear(const Tensor& x, std::int64_t out_h, std::int64_t out_w) {
  constexpr const char* op = "resize_bilinear";
  check_rank(op, "input", x, 4);
  check_floating(op, "input", x);
  const bool cuda = detail::backend_for(op, x) == detail::Backend::kCuda;
  DEEPOBS_CHECK(x.size(2) >= 1 && x.size(3) >= 1, op, ": input ", shape_str(x.shape()),
                " has an empty spatial dimension");
  DEEPOBS_CHECK(out_h >= 1 && out_w >= 1, op, ": output size must be >= 1, got ", out_h, "x", out_w,
                " for input ", shape_str(x.shape()));
  kernels::cpu::ResizeGeometry g;
  g.planes = x.size(0) * x.size(1);
  g.in_h = x.size(2);
  g.in_w = x.size(3);
  g.out_h = out_h;
  g.out_w = out_w;
  Tensor y = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  if (cuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::resize_bilinear_forward(detail::cuda_context(x), g, x.data<float>(),
                                           y.data<float>());
#endif
  } else {
    detail::dispatch_floating(op, x, [&](auto t) {
      using T = decltype(t);
      kernels::cpu::resize_bilinear_forward<T>(g, x.data<T>(), y.data<T>());
    });
  }
  if (autograd::needs_grad({x})) {
    autograd::record(op, {x}, y, [x, g, cuda](const Tensor& gy) {
      Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
      if (cuda) {
#if DEEPOBS_WITH_CUDA
        kernels::cuda::resize_bilinear_backward(detail::cuda_context(gy), g, gy.data<float>(),
                                                gx.data<float>());
#endif
      } else {
        detail::dispatch_floating("resize_bilinear backward", gy, [&](auto t) {
          using T = decltype(t);
          kernels::cpu::resize_bilinear_backward<T>(g, gy.data<T>(), gx.data<T>());
        });
      }
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace deepobs::ops
