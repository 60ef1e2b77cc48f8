#include "core/ops/linear.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cuda/gemm.h"

namespace deepobs::ops {
namespace {

using V = std::vector<Tensor>;

// op(a)·op(b) + beta·c, written into `c` when given (its gradient buffer: the weight gradient is
// then accumulated in place, no temporary) or into a new tensor. Shape-checked, not recorded;
// every product and its backward go through here.
Tensor gemm(const char* op, const Tensor& a, const Tensor& b, bool ta, bool tb,
            Tensor c = Tensor()) {
  check_rank(op, "a", a, 2);
  check_rank(op, "b", b, 2);
  check_floating(op, "a", a);
  check_same_dtype_device(op, a, b);
  const auto m = ta ? a.size(1) : a.size(0), k = ta ? a.size(0) : a.size(1);
  const auto kb = tb ? b.size(1) : b.size(0), n = tb ? b.size(0) : b.size(1);
  DEEPOBS_CHECK(k == kb, op, ": inner dimensions differ: a ", shape_str(a.shape()),
                ta ? " (transposed)" : "", " and b ", shape_str(b.shape()),
                tb ? " (transposed)" : "");
  const bool accumulate = c.defined();
  if (!accumulate) c = Tensor::empty({m, n}, a.dtype(), a.device());
  DEEPOBS_CHECK(c.shape() == (Shape{m, n}) && c.dtype() == a.dtype(), op, ": bad output ", c.str());
  backend::launch(op, a, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, gemm, ta, tb, m, n, k, T(1), a.data<T>(), b.data<T>(), T(accumulate ? 1 : 0),
                   c.data<T>());
  });
  return c;
}

// Σ over the rows of g: the bias gradient of a dense layer.
Tensor column_sums(const Tensor& g) {
  Tensor out = Tensor::empty({g.size(1)}, g.dtype(), g.device());
  backend::launch("dense backward", g, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, column_sums, g.data<T>(), g.size(0), g.size(1), out.data<T>());
  });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  Tensor c = gemm("matmul", a, b, trans_a, trans_b);
  if (autograd::needs_grad({a, b}))
    autograd::record("matmul", {a, b}, {c}, {a, b}, [trans_a, trans_b](const auto& g) {
      // C = op(A) op(B): dA = g op(B)ᵀ (transposed back when A was), dB likewise.
      const Tensor &sa = g.saved[0], &sb = g.saved[1], &dc = g.g();
      Tensor ga, gb;
      if (g.wants[0])
        ga = trans_a ? gemm("matmul backward", sb, dc, trans_b, true)
                     : gemm("matmul backward", dc, sb, false, !trans_b);
      if (g.wants[1])
        gb = trans_b ? gemm("matmul backward", dc, sa, true, trans_a)
                     : gemm("matmul backward", sa, dc, !trans_a, false);
      return V{ga, gb};
    });
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
  Tensor y = gemm("dense", x, weight, false, false);
  if (bias.defined())
    backend::launch("dense", y, [&](auto be) {
      using T = typename decltype(be)::type;
      DEEPOBS_KERNEL(be, add_row_bias, y.data<T>(), bias.data<T>(), y.size(0), y.size(1));
    });
  if (autograd::needs_grad({x, weight, bias}))
    autograd::record("dense", {x, weight, bias}, {y}, {x, weight}, [](const auto& g) {
      const Tensor &sx = g.saved[0], &sw = g.saved[1], &dy = g.g();
      Tensor gx, gw, gb;
      if (g.wants[0]) gx = gemm("dense backward", dy, sw, false, true);
      // xᵀ·dy straight into the weight's gradient buffer when it has one (the same bits as a
      // product added to a zeroed buffer; no weight-sized temporary).
      if (g.wants[1] && g.buffers[1].defined())
        gemm("dense backward", sx, dy, true, false, g.buffers[1]);
      else if (g.wants[1])
        gw = gemm("dense backward", sx, dy, true, false);
      if (g.wants[2]) gb = column_sums(dy);
      return V{gx, gw, gb};
    });
  return y;
}

}  // namespace deepobs::ops
