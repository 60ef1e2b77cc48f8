#include "core/ops/elementwise.h"

#include <algorithm>
#include <utility>

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "core/ops/elementwise_detail.h"
#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/reduce.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/broadcast.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/reduce.h"
#endif

namespace deepobs::ops {
namespace {

using kernels::cpu::BinaryOp;
using kernels::cpu::UnaryOp;

// `s` padded with leading 1s to `rank` dimensions (rank ≥ s.size()).
Shape aligned(const Shape& s, std::size_t rank) {
  Shape out(rank - s.size(), 1);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

// a ∘ b with broadcasting; validated, not recorded. The three common cases skip the broadcast
// planner: equal shapes, and a one-element operand against a full-shape one.
Tensor binary_raw(const char* op, BinaryOp k, const Tensor& a, const Tensor& b) {
  check_floating(op, "a", a);
  check_floating(op, "b", b);
  check_same_dtype_device(op, a, b);
  const Shape out = broadcast_shape(op, a.shape(), b.shape());
  const auto backend = detail::backend_for(op, a);
  Tensor y = Tensor::empty(out, a.dtype(), a.device());
  if (backend == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    auto& ctx = detail::cuda_context(a);
    if (a.shape() == b.shape()) {
      kernels::cuda::binary_same(ctx, k, a.data<float>(), b.data<float>(), y.data<float>(),
                                 y.numel());
    } else {
      // One-element operands too: their value stays in device memory (stride 0), no read-back.
      const Shape as = aligned(a.shape(), out.size()), bs = aligned(b.shape(), out.size());
      kernels::cuda::binary_broadcast(ctx, k, out, as, a.data<float>(), bs, b.data<float>(),
                                      y.data<float>());
    }
#endif
    return y;
  }
  detail::dispatch_floating(op, a, [&](auto t) {
    using T = decltype(t);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* py = y.data<T>();
    if (a.shape() == b.shape()) {
      kernels::cpu::binary_same(k, pa, pb, py, y.numel());
    } else if (b.numel() == 1 && a.shape() == out) {
      kernels::cpu::binary_scalar_right(k, pa, pb[0], py, y.numel());
    } else if (a.numel() == 1 && b.shape() == out) {
      kernels::cpu::binary_scalar_left(k, pa[0], pb, py, y.numel());
    } else {
      const Shape as = aligned(a.shape(), out.size()), bs = aligned(b.shape(), out.size());
      kernels::cpu::binary_broadcast<T>(k, out, as, pa, bs, pb, py);
    }
  });
  return y;
}

// x ∘ c for a constant; validated, not recorded.
Tensor scalar_raw(const char* op, BinaryOp k, const Tensor& x, double c) {
  check_floating(op, "input", x);
  const auto backend = detail::backend_for(op, x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (backend == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::binary_scalar_right(detail::cuda_context(x), k, x.data<float>(),
                                       static_cast<float>(c), y.data<float>(), x.numel());
#endif
    return y;
  }
  detail::dispatch_floating(op, x, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::binary_scalar_right(k, x.data<T>(), static_cast<T>(c), y.data<T>(), x.numel());
  });
  return y;
}

// Records a binary op whose backward rule needs only g (not the operands): the rule receives g
// and which operands want gradients.
template <class Rule>
void record_binary(const char* op, const Tensor& a, const Tensor& b, const Tensor& y, Rule rule) {
  if (!autograd::needs_grad({a, b})) return;
  autograd::record(op, {a, b}, y,
                   [rule = std::move(rule), wa = a.requires_grad(),
                    wb = b.requires_grad()](const Tensor& g) { return rule(g, wa, wb); });
}

}  // namespace

namespace detail {

Tensor sum_to_raw(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const auto backend = backend_for("sum_to", g);
  Tensor out = Tensor::empty(shape, g.dtype(), g.device());
  if (backend == Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    const Shape target = aligned(shape, g.shape().size());
    kernels::cuda::sum_to_shape(cuda_context(g), g.shape(), g.data<float>(), target,
                                out.data<float>());
#endif
    return out;
  }
  dispatch_floating("sum_to", g, [&](auto t) {
    using T = decltype(t);
    const Shape target = aligned(shape, g.shape().size());
    kernels::cpu::sum_to_shape<T>(g.shape(), g.data<T>(), target, out.data<T>());
  });
  return out;
}

Tensor broadcast_to_raw(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const auto backend = backend_for("broadcast_to", x);
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  if (backend == Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    const Shape source = aligned(x.shape(), shape.size());
    kernels::cuda::broadcast_copy(cuda_context(x), source, x.data<float>(), shape,
                                  out.data<float>());
#endif
    return out;
  }
  dispatch_floating("broadcast_to", x, [&](auto t) {
    using T = decltype(t);
    const Shape source = aligned(x.shape(), shape.size());
    kernels::cpu::broadcast_copy<T>(source, x.data<T>(), shape, out.data<T>());
  });
  return out;
}

Tensor scale_raw(const Tensor& x, double c) {
  return scalar_raw("mul_scalar", BinaryOp::kMul, x, c);
}

Tensor unary_op(const char* op, UnaryOp k, const Tensor& x, double param, Saves saves) {
  check_floating(op, "input", x);
  const auto backend = backend_for(op, x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (backend == Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::unary_forward(cuda_context(x), k, x.data<float>(), y.data<float>(), x.numel(),
                                 static_cast<float>(param));
#endif
  } else {
    dispatch_floating(op, x, [&](auto t) {
      using T = decltype(t);
      kernels::cpu::unary_forward(k, x.data<T>(), y.data<T>(), x.numel(), static_cast<T>(param));
    });
  }
  if (autograd::needs_grad({x})) {
    // Keep only what the rule reads: holding the other tensor would keep its memory alive until
    // the backward pass for nothing.
    Tensor saved_x = saves == Saves::kInput ? x : Tensor();
    Tensor saved_y = saves == Saves::kOutput ? y : Tensor();
    autograd::record(op, {x}, y, [op, k, param, saved_x, saved_y](const Tensor& g) {
      Tensor dx = Tensor::empty(g.shape(), g.dtype(), g.device());
      if (backend_for(op, g) == Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
        kernels::cuda::unary_backward(
            cuda_context(g), k, saved_x.defined() ? saved_x.data<float>() : nullptr,
            saved_y.defined() ? saved_y.data<float>() : nullptr, g.data<float>(), dx.data<float>(),
            g.numel(), static_cast<float>(param));
#endif
        return std::vector<Tensor>{dx};
      }
      dispatch_floating(op, g, [&](auto t) {
        using T = decltype(t);
        kernels::cpu::unary_backward(k, saved_x.defined() ? saved_x.data<T>() : nullptr,
                                     saved_y.defined() ? saved_y.data<T>() : nullptr, g.data<T>(),
                                     dx.data<T>(), g.numel(), static_cast<T>(param));
      });
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace detail

Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  const Shape pa = aligned(a, rank), pb = aligned(b, rank);
  Shape out(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    DEEPOBS_CHECK(pa[d] == pb[d] || pa[d] == 1 || pb[d] == 1, op, ": shapes ", shape_str(a),
                  " and ", shape_str(b), " cannot be broadcast");
    // An extent of 1 yields to the other one, even to 0 (NumPy does the same).
    out[d] = pa[d] == 1 ? pb[d] : pa[d];
  }
  return out;
}

// Backward rules. Every gradient is computed at the output's shape and then summed down to its
// operand's shape; when no broadcasting happened sum_to_raw hands the tensor back unchanged.

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_raw("add", BinaryOp::kAdd, a, b);
  record_binary("add", a, b, y,
                [as = a.shape(), bs = b.shape()](const Tensor& g, bool wa, bool wb) {
                  return std::vector<Tensor>{wa ? detail::sum_to_raw(g, as) : Tensor(),
                                             wb ? detail::sum_to_raw(g, bs) : Tensor()};
                });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_raw("sub", BinaryOp::kSub, a, b);
  record_binary("sub", a, b, y,
                [as = a.shape(), bs = b.shape()](const Tensor& g, bool wa, bool wb) {
                  // Negating after the reduction touches fewer elements than before it.
                  return std::vector<Tensor>{
                      wa ? detail::sum_to_raw(g, as) : Tensor(),
                      wb ? detail::scale_raw(detail::sum_to_raw(g, bs), -1.0) : Tensor()};
                });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_raw("mul", BinaryOp::kMul, a, b);
  // Each operand's gradient reads the other operand; keep only the ones that will be read.
  const Tensor keep_a = b.requires_grad() ? a : Tensor(), keep_b = a.requires_grad() ? b : Tensor();
  record_binary(
      "mul", a, b, y,
      [keep_a, keep_b, as = a.shape(), bs = b.shape()](const Tensor& g, bool wa, bool wb) {
        Tensor ga, gb;
        if (wa) ga = detail::sum_to_raw(binary_raw("mul backward", BinaryOp::kMul, g, keep_b), as);
        if (wb) gb = detail::sum_to_raw(binary_raw("mul backward", BinaryOp::kMul, g, keep_a), bs);
        return std::vector<Tensor>{ga, gb};
      });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_raw("div", BinaryOp::kDiv, a, b);
  record_binary("div", a, b, y, [b, y, as = a.shape()](const Tensor& g, bool wa, bool wb) {
    Tensor ga, gb;
    const Tensor g_over_b = binary_raw("div backward", BinaryOp::kDiv, g, b);
    if (wa) ga = detail::sum_to_raw(g_over_b, as);
    // ∂(a/b)/∂b = −a/b² = −y/b, so gb = −Σ (g/b)·y.
    if (wb) {
      const Tensor t = binary_raw("div backward", BinaryOp::kMul, g_over_b, y);
      gb = detail::scale_raw(detail::sum_to_raw(t, b.shape()), -1.0);
    }
    return std::vector<Tensor>{ga, gb};
  });
  return y;
}

Tensor pow(const Tensor& x, const Tensor& e) {
  Tensor y = binary_raw("pow", BinaryOp::kPow, x, e);
  record_binary("pow", x, e, y, [x, e, y](const Tensor& g, bool wx, bool we) {
    Tensor gx, ge;
    if (wx) {
      // y·x^(y−1), with the exponent the broadcast operand `e`.
      const Tensor em1 = scalar_raw("pow backward", BinaryOp::kAdd, e, -1.0);
      const Tensor d = binary_raw("pow backward", BinaryOp::kMul, e,
                                  binary_raw("pow backward", BinaryOp::kPow, x, em1));
      gx = detail::sum_to_raw(binary_raw("pow backward", BinaryOp::kMul, g, d), x.shape());
    }
    if (we) {
      const Tensor logx =
          detail::unary_op("pow backward", UnaryOp::kLog, x, 0.0, detail::Saves::kNothing);
      const Tensor d = binary_raw("pow backward", BinaryOp::kMul, y, logx);
      ge = detail::sum_to_raw(binary_raw("pow backward", BinaryOp::kMul, g, d), e.shape());
    }
    return std::vector<Tensor>{gx, ge};
  });
  return y;
}

Tensor add_scalar(const Tensor& x, double c) {
  Tensor y = scalar_raw("add_scalar", BinaryOp::kAdd, x, c);
  if (autograd::needs_grad({x}))
    autograd::record("add_scalar", {x}, y, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  return y;
}

Tensor mul_scalar(const Tensor& x, double c) {
  Tensor y = scalar_raw("mul_scalar", BinaryOp::kMul, x, c);
  if (autograd::needs_grad({x}))
    autograd::record("mul_scalar", {x}, y,
                     [c](const Tensor& g) { return std::vector<Tensor>{detail::scale_raw(g, c)}; });
  return y;
}

Tensor neg(const Tensor& x) {
  return detail::unary_op("neg", UnaryOp::kNeg, x, 0.0, detail::Saves::kNothing);
}
Tensor exp(const Tensor& x) {
  return detail::unary_op("exp", UnaryOp::kExp, x, 0.0, detail::Saves::kOutput);
}
Tensor log(const Tensor& x) {
  return detail::unary_op("log", UnaryOp::kLog, x, 0.0, detail::Saves::kInput);
}
Tensor square(const Tensor& x) {
  return detail::unary_op("square", UnaryOp::kSquare, x, 0.0, detail::Saves::kInput);
}
Tensor sqrt(const Tensor& x) {
  return detail::unary_op("sqrt", UnaryOp::kSqrt, x, 0.0, detail::Saves::kOutput);
}
Tensor sin(const Tensor& x) {
  return detail::unary_op("sin", UnaryOp::kSin, x, 0.0, detail::Saves::kInput);
}
Tensor cos(const Tensor& x) {
  return detail::unary_op("cos", UnaryOp::kCos, x, 0.0, detail::Saves::kInput);
}
Tensor pow(const Tensor& x, double p) {
  return detail::unary_op("pow", UnaryOp::kPow, x, p, detail::Saves::kInput);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  check_floating("broadcast_to", "input", x);
  const Shape joint = broadcast_shape("broadcast_to", x.shape(), shape);
  DEEPOBS_CHECK(joint == shape, "broadcast_to: cannot broadcast ", shape_str(x.shape()), " to ",
                shape_str(shape));
  Tensor y = detail::broadcast_to_raw(x, shape);
  if (y.same_storage(x)) y = x.clone();
  if (autograd::needs_grad({x}))
    autograd::record("broadcast_to", {x}, y, [xs = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{detail::sum_to_raw(g, xs)};
    });
  return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_floating("sum_to", "input", x);
  const Shape joint = broadcast_shape("sum_to", shape, x.shape());
  DEEPOBS_CHECK(joint == x.shape(), "sum_to: cannot sum ", shape_str(x.shape()), " down to ",
                shape_str(shape));
  Tensor y = detail::sum_to_raw(x, shape);
  if (y.same_storage(x)) y = x.clone();
  if (autograd::needs_grad({x}))
    autograd::record("sum_to", {x}, y, [xs = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{detail::broadcast_to_raw(g, xs)};
    });
  return y;
}

}  // namespace deepobs::ops
