#include "core/ops/pool.h"

#include <limits>

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/pool.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/pool.h"
#endif

namespace deepobs::ops {
namespace {

using kernels::cpu::PoolGeometry;

PoolGeometry pool_geometry(const char* op, const Tensor& x, int kernel_h, int kernel_w,
                           int stride_h, int stride_w, const Padding2d& p) {
  check_rank(op, "input", x, 4);
  check_floating(op, "input", x);
  detail::backend_for(op, x);  // fails early for a device or dtype without kernels
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
  PoolGeometry g;
  g.planes = x.size(0) * x.size(1);
  g.in_h = x.size(2);
  g.in_w = x.size(3);
  g.kernel_h = kernel_h;
  g.kernel_w = kernel_w;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.pad_top = p.top;
  g.pad_left = p.left;
  g.out_h = (g.in_h + p.top + p.bottom - kernel_h) / stride_h + 1;
  g.out_w = (g.in_w + p.left + p.right - kernel_w) / stride_w + 1;
  return g;
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

Shape out_shape(const Tensor& x, const PoolGeometry& g) {
  return {x.size(0), x.size(1), g.out_h, g.out_w};
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  const Padding2d& padding) {
  constexpr const char* op = "max_pool2d";
  const PoolGeometry g = pool_geometry(op, x, kernel_h, kernel_w, stride_h, stride_w, padding);
  DEEPOBS_CHECK(g.in_h * g.in_w <= std::numeric_limits<std::int32_t>::max(), op, ": input ",
                shape_str(x.shape()), " has more pixels per plane than i32 argmax indices address");
  Tensor y = Tensor::empty(out_shape(x, g), x.dtype(), x.device());
  // Saved for backward: which input pixel each output took (its position within the plane).
  Tensor argmax = Tensor::empty(out_shape(x, g), DType::I32, x.device());
  if (detail::backend_for(op, x) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::max_pool2d_forward(detail::cuda_context(x), g, x.data<float>(), y.data<float>(),
                                      argmax.data<std::int32_t>());
#endif
  } else {
    detail::dispatch_floating(op, x, [&](auto t) {
      using T = decltype(t);
      kernels::cpu::max_pool2d_forward<T>(g, x.data<T>(), y.data<T>(), argmax.data<std::int32_t>());
    });
  }
  if (autograd::needs_grad({x})) {
    autograd::record(op, {x}, y, [x, argmax, g](const Tensor& gy) {
      Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
      if (detail::backend_for("max_pool2d backward", gy) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
        kernels::cuda::max_pool2d_backward(detail::cuda_context(gy), g, gy.data<float>(),
                                           argmax.data<std::int32_t>(), gx.data<float>());
#endif
      } else {
        detail::dispatch_floating("max_pool2d backward", gy, [&](auto t) {
          using T = decltype(t);
          kernels::cpu::max_pool2d_backward<T>(g, gy.data<T>(), argmax.data<std::int32_t>(),
                                               gx.data<T>());
        });
      }
      return std::vector<Tensor>{gx};
    });
  }
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
  Tensor y = Tensor::empty(out_shape(x, g), x.dtype(), x.device());
  if (detail::backend_for(op, x) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::avg_pool2d_forward(detail::cuda_context(x), g, x.data<float>(), y.data<float>());
#endif
  } else {
    detail::dispatch_floating(op, x, [&](auto t) {
      using T = decltype(t);
      kernels::cpu::avg_pool2d_forward<T>(g, x.data<T>(), y.data<T>());
    });
  }
  if (autograd::needs_grad({x})) {
    autograd::record(op, {x}, y, [x, g](const Tensor& gy) {
      Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device());
      if (detail::backend_for("avg_pool2d backward", gy) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
        kernels::cuda::avg_pool2d_backward(detail::cuda_context(gy), g, gy.data<float>(),
                                           gx.data<float>());
#endif
      } else {
        detail::dispatch_floating("avg_pool2d backward", gy, [&](auto t) {
          using T = decltype(t);
          kernels::cpu::avg_pool2d_backward<T>(g, gy.data<T>(), gx.data<T>());
        });
      }
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

Tensor avg_pool2d(const Tensor& x, int kernel_h, int kernel_w, int stride_h, int stride_w,
                  PaddingMode mode) {
  return avg_pool2d(x, kernel_h, kernel_w, stride_h, stride_w,
                    mode_padding("avg_pool2d", x, kernel_h, kernel_w, stride_h, stride_w, mode));
}

}  // namespace deepobs::ops
