#include "core/ops/linear.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
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

// The profiler's cost of C [m, n] = op(A) [m, k] · op(B) [k, n] (+ a bias row): 2 FLOPs per
// multiply-add, one per bias addition; its backward computes dA = dC·op(B)ᵀ and dB = op(A)ᵀ·dC
// (each 2mnk) for the operands that require gradients, and the bias gradient (m·n additions).
profile::OpCost product_cost(std::int64_t m, std::int64_t n, std::int64_t k, const Tensor& a,
                             const Tensor& b, const Tensor& bias) {
  const std::size_t es = dtype_size(a.dtype());
  const double mnk = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const std::int64_t bias_n = bias.defined() ? bias.numel() : 0;
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  const bool gbias = bias.defined() && bias.requires_grad();
  profile::OpCost c;
  c.forward = {mnk + (bias.defined() ? static_cast<double>(m * n) : 0.0),
               profile::bytes_of(m * k + k * n + m * n + bias_n, es)};
  c.backward = {mnk * (ga + gb) + (gbias ? static_cast<double>(m * n) : 0.0),
                profile::bytes_of(ga * (m * n + k * n + m * k) + gb * (m * k + m * n + k * n) +
                                      gbias * (m * n + bias_n),
                                  es)};
  return c;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  profile::OpScope scope("matmul", [&] {
    const bool shaped = a.dim() == 2 && b.dim() == 2;
    return shaped ? product_cost(trans_a ? a.size(1) : a.size(0), trans_b ? b.size(0) : b.size(1),
                                 trans_a ? a.size(0) : a.size(1), a, b, Tensor())
                  : profile::OpCost{};
  });
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
  profile::OpScope scope(
      "dense", [&] { return product_cost(x.size(0), weight.size(1), x.size(1), x, weight, bias); });
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
