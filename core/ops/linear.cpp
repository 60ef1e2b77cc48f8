#include "core/ops/linear.h"

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/gemm.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/gemm.h"
#endif

namespace deepobs::ops {
namespace {

// Shape-checked product without autograd; every matmul and its backward go through here.
Tensor matmul_raw(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_rank(op, "a", a, 2);
  check_rank(op, "b", b, 2);
  check_floating(op, "a", a);
  check_same_dtype_device(op, a, b);
  const auto m = ta ? a.size(1) : a.size(0), k = ta ? a.size(0) : a.size(1);
  const auto kb = tb ? b.size(1) : b.size(0), n = tb ? b.size(0) : b.size(1);
  DEEPOBS_CHECK(k == kb, op, ": inner dimensions differ: a ", shape_str(a.shape()),
                ta ? " (transposed)" : "", " and b ", shape_str(b.shape()),
                tb ? " (transposed)" : "");
  Tensor c = Tensor::empty({m, n}, a.dtype(), a.device());
  if (detail::backend_for(op, a) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::gemm(detail::cuda_context(a), ta, tb, m, n, k, 1.0f, a.data<float>(),
                        b.data<float>(), 0.0f, c.data<float>());
#endif
    return c;
  }
  detail::dispatch_floating(op, a, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::gemm<T>(ta, tb, m, n, k, T(1), a.data<T>(), b.data<T>(), T(0), c.data<T>());
  });
  return c;
}

Tensor bias_grad(const Tensor& g) {
  Tensor out = Tensor::empty({g.size(1)}, g.dtype(), g.device());
  if (detail::backend_for("dense backward", g) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::column_sums(detail::cuda_context(g), g.data<float>(), g.size(0), g.size(1),
                               out.data<float>());
#endif
    return out;
  }
  detail::dispatch_floating("dense", g, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::column_sums<T>(g.data<T>(), g.size(0), g.size(1), out.data<T>());
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  Tensor c = matmul_raw("matmul", a, b, trans_a, trans_b);
  if (autograd::needs_grad({a, b})) {
    autograd::record("matmul", {a, b}, c, [a, b, trans_a, trans_b](const Tensor& g) {
      // C = op(A) op(B): dA = g op(B)^T (transposed back when A was), dB likewise.
      Tensor ga = trans_a ? matmul_raw("matmul backward", b, g, trans_b, true)
                          : matmul_raw("matmul backward", g, b, false, !trans_b);
      Tensor gb = trans_b ? matmul_raw("matmul backward", g, a, true, trans_a)
                          : matmul_raw("matmul backward", a, g, !trans_a, false);
      return std::vector<Tensor>{ga, gb};
    });
  }
  return c;
}

Tensor dense(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_rank("dense", "input", x, 2);
  check_rank("dense", "weight", weight, 2);
  DEEPOBS_CHECK(x.size(1) == weight.size(0), "dense: input ", shape_str(x.shape()), " has ",
                x.size(1), " features but weight ", shape_str(weight.shape()), " expects ",
                weight.size(0));
  if (bias.defined()) {
    check_same_dtype_device("dense", x, bias);
    DEEPOBS_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(1), "dense: bias ",
                  shape_str(bias.shape()), " does not match weight ", shape_str(weight.shape()),
                  " (expected [", weight.size(1), "])");
  }
  Tensor y = matmul_raw("dense", x, weight, false, false);
  if (bias.defined()) {
    if (detail::backend_for("dense", y) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
      kernels::cuda::add_row_bias(detail::cuda_context(y), y.data<float>(), bias.data<float>(),
                                  y.size(0), y.size(1));
#endif
    } else {
      detail::dispatch_floating("dense", y, [&](auto t) {
        using T = decltype(t);
        kernels::cpu::add_row_bias<T>(y.data<T>(), bias.data<T>(), y.size(0), y.size(1));
      });
    }
  }
  if (autograd::needs_grad({x, weight, bias})) {
    autograd::record("dense", {x, weight, bias}, y, [x, weight, bias](const Tensor& g) {
      Tensor gx =
          x.requires_grad() ? matmul_raw("dense backward", g, weight, false, true) : Tensor();
      Tensor gw =
          weight.requires_grad() ? matmul_raw("dense backward", x, g, true, false) : Tensor();
      Tensor gb = bias.defined() && bias.requires_grad() ? bias_grad(g) : Tensor();
      return std::vector<Tensor>{gx, gw, gb};
    });
  }
  return y;
}

}  // namespace deepobs::ops
