// Elementwise arithmetic, math functions and activations (core/ops/elementwise.h, activation.h).
#include "core/ops/elementwise.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/ops/activation.h"
#include "core/profiler.h"
#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/broadcast.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/reduce.h"

namespace deepobs::ops {
namespace {

using kernels::cpu::BinaryOp;
using kernels::cpu::UnaryOp;
using V = std::vector<Tensor>;

// `s` padded with leading 1s to `rank` dimensions (rank ≥ s.size()).
Shape aligned(const Shape& s, std::size_t rank) {
  Shape out(rank - s.size(), 1);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

// a ∘ b with broadcasting; validated, not recorded.
Tensor binary(const char* op, BinaryOp k, const Tensor& a, const Tensor& b) {
  check_floating(op, "a", a);
  check_floating(op, "b", b);
  check_same_dtype_device(op, a, b);
  const Shape out = broadcast_shape(op, a.shape(), b.shape());
  Tensor y = Tensor::empty(out, a.dtype(), a.device());
  backend::launch(op, a, [&](auto be) {
    using T = typename decltype(be)::type;
    const T *pa = a.data<T>(), *pb = b.data<T>();
    T* py = y.data<T>();
    const std::int64_t n = y.numel();
    if (a.shape() == b.shape()) {
      DEEPOBS_KERNEL(be, binary_same, k, pa, pb, py, n);
      return;
    }
    if constexpr (decltype(be)::is_cpu) {  // a one-element operand: the scalar loops
      if (b.numel() == 1 && a.shape() == out)
        return kernels::cpu::binary_scalar_right(k, pa, pb[0], py, n);
      if (a.numel() == 1 && b.shape() == out)
        return kernels::cpu::binary_scalar_left(k, pa[0], pb, py, n);
    }
    // On a GPU one-element operands stay in device memory (stride 0): no read-back.
    DEEPOBS_KERNEL(be, binary_broadcast, k, out, aligned(a.shape(), out.size()), pa,
                   aligned(b.shape(), out.size()), pb, py);
  });
  return y;
}

// x ∘ c for a constant; validated, not recorded.
Tensor with_scalar(const char* op, BinaryOp k, const Tensor& x, double c) {
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, binary_scalar_right, k, x.data<T>(), static_cast<T>(c), y.data<T>(),
                   x.numel());
  });
  return y;
}

// g summed down to `shape`; g itself when the shapes are equal. Not recorded.
Tensor sum_to_raw(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  Tensor out = Tensor::empty(shape, g.dtype(), g.device());
  backend::launch("sum_to", g, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, sum_to_shape, g.shape(), g.data<T>(), aligned(shape, g.shape().size()),
                   out.data<T>(), 1.0);
  });
  return out;
}

// x repeated to `shape`; x itself when the shapes are equal. Not recorded.
Tensor broadcast_raw(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  backend::launch("broadcast_to", x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, broadcast_copy, aligned(x.shape(), shape.size()), x.data<T>(), shape,
                   out.data<T>());
  });
  return out;
}

// Records a binary op. Every rule computes its gradients at the output's shape; they are summed
// down to the operands' shapes here (sum_to_raw hands a tensor back unchanged when no broadcasting
// happened).
Tensor recorded(const char* op, const Tensor& a, const Tensor& b, const Tensor& y, V saved,
                std::function<V(const autograd::Grads&)> rule) {
  if (!autograd::needs_grad({a, b})) return y;
  autograd::record(op, {a, b}, {y}, std::move(saved),
                   [rule = std::move(rule), as = a.shape(), bs = b.shape()](const auto& g) {
                     V d = rule(g);
                     return V{g.wants[0] ? sum_to_raw(d[0], as) : Tensor(),
                              g.wants[1] ? sum_to_raw(d[1], bs) : Tensor()};
                   });
  return y;
}

// y = f(x; p) for the unary map k. The rule reads the input or the output, as `saves` says
// (kernels/cpu/elementwise.h lists which one each map's derivative needs); keeping only that one
// frees the other as soon as the forward pass drops it.
enum class Saves { kNothing, kInput, kOutput };

// FLOPs per element of a unary map and of its derivative rule (core/profiler.h convention: exp,
// log, sqrt, sin, cos, tanh and pow count one each): e.g. sigmoid = neg, exp, add, divide; its
// rule g·y·(1 − y) = 3.
std::pair<double, double> unary_flops(UnaryOp k) {
  switch (k) {
    case UnaryOp::kSigmoid:
      return {4, 3};
    case UnaryOp::kTanh:
      return {1, 3};
    case UnaryOp::kLeakyRelu:
      return {2, 2};
    case UnaryOp::kSquare:
    case UnaryOp::kSqrt:
    case UnaryOp::kSin:
      return {1, 2};
    case UnaryOp::kCos:
    case UnaryOp::kPow:
      return {1, 3};
    default:
      return {1, 1};
  }
}

profile::OpCost binary_cost(const Tensor& a, const Tensor& b, double flops, double backward_flops,
                            int saved) {
  const std::int64_t n = std::max(a.numel(), b.numel());
  const int grads = a.requires_grad() + b.requires_grad();
  return profile::elementwise_cost(n, dtype_size(a.dtype()), flops, 2, backward_flops, grads,
                                   1 + saved);
}

Tensor unary(const char* op, UnaryOp k, const Tensor& x, double p, Saves saves) {
  profile::OpScope scope(op, [&] {
    const auto [f, bf] = unary_flops(k);
    return profile::elementwise_cost(x.numel(), dtype_size(x.dtype()), f, 1, bf,
                                     x.requires_grad() ? 1 : 0, saves == Saves::kNothing ? 1 : 2);
  });
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, unary_forward, k, x.data<T>(), y.data<T>(), x.numel(), static_cast<T>(p));
  });
  if (!autograd::needs_grad({x})) return y;
  autograd::record(op, {x}, {y},
                   {saves == Saves::kInput ? x : Tensor(), saves == Saves::kOutput ? y : Tensor()},
                   [op, k, p](const autograd::Grads& g) {
                     const Tensor &sx = g.saved[0], &sy = g.saved[1], &dy = g.g();
                     Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
                     backend::launch(op, dy, [&](auto be) {
                       using T = typename decltype(be)::type;
                       DEEPOBS_KERNEL(be, unary_backward, k, sx.defined() ? sx.data<T>() : nullptr,
                                      sy.defined() ? sy.data<T>() : nullptr, dy.data<T>(),
                                      dx.data<T>(), dy.numel(), static_cast<T>(p));
                     });
                     return V{dx};
                   });
  return y;
}

}  // namespace

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

// ---- binary ops and their backward rules ----

Tensor add(const Tensor& a, const Tensor& b) {
  profile::OpScope scope("add", [&] { return binary_cost(a, b, 1, 0, 0); });
  return recorded("add", a, b, binary("add", BinaryOp::kAdd, a, b), {}, [](const auto& g) {
    return V{g.g(), g.g()};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  profile::OpScope scope("sub", [&] { return binary_cost(a, b, 1, 0.5, 0); });
  return recorded("sub", a, b, binary("sub", BinaryOp::kSub, a, b), {}, [](const auto& g) {
    return V{g.g(), g.wants[1] ? neg(g.g()) : Tensor()};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  profile::OpScope scope("mul", [&] { return binary_cost(a, b, 1, 1, 1); });
  // Each operand's gradient reads the other operand: keep only the ones that will be read.
  return recorded("mul", a, b, binary("mul", BinaryOp::kMul, a, b),
                  {b.requires_grad() ? a : Tensor(), a.requires_grad() ? b : Tensor()},
                  [](const auto& g) {
                    return V{g.wants[0] ? mul(g.g(), g.saved[1]) : Tensor(),
                             g.wants[1] ? mul(g.g(), g.saved[0]) : Tensor()};
                  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  profile::OpScope scope("div", [&] { return binary_cost(a, b, 1, 1.5, 2); });
  const Tensor y = binary("div", BinaryOp::kDiv, a, b);
  return recorded("div", a, b, y, {b, y}, [](const auto& g) {
    // ∂(a/b)/∂b = −a/b² = −y/b, so gb = −(g/b)·y.
    const Tensor g_over_b = div(g.g(), g.saved[0]);
    return V{g_over_b, g.wants[1] ? neg(mul(g_over_b, g.saved[1])) : Tensor()};
  });
}

Tensor pow(const Tensor& x, const Tensor& e) {
  profile::OpScope scope("pow", [&] { return binary_cost(x, e, 1, 3, 3); });
  const Tensor y = binary("pow", BinaryOp::kPow, x, e);
  return recorded("pow", x, e, y, {x, e, y}, [](const auto& g) {
    const Tensor &sx = g.saved[0], &se = g.saved[1];
    Tensor gx, ge;
    if (g.wants[0]) gx = mul(g.g(), mul(se, pow(sx, add_scalar(se, -1.0))));  // e·x^(e−1)
    if (g.wants[1]) ge = mul(g.g(), mul(g.saved[2], log(sx)));                // x^e·log x
    return V{gx, ge};
  });
}

Tensor add_scalar(const Tensor& x, double c) {
  check_floating("add_scalar", "input", x);
  profile::OpScope scope("add_scalar", [&] {
    return profile::elementwise_cost(x.numel(), dtype_size(x.dtype()), 1, 1, 0,
                                     x.requires_grad() ? 1 : 0, 1);
  });
  Tensor y = with_scalar("add_scalar", BinaryOp::kAdd, x, c);
  if (autograd::needs_grad({x}))
    autograd::record("add_scalar", {x}, {y}, {}, [](const auto& g) { return V{g.g()}; });
  return y;
}

Tensor mul_scalar(const Tensor& x, double c) {
  check_floating("mul_scalar", "input", x);
  profile::OpScope scope("mul_scalar", [&] {
    return profile::elementwise_cost(x.numel(), dtype_size(x.dtype()), 1, 1, 1,
                                     x.requires_grad() ? 1 : 0, 1);
  });
  Tensor y = with_scalar("mul_scalar", BinaryOp::kMul, x, c);
  if (autograd::needs_grad({x}))
    autograd::record("mul_scalar", {x}, {y}, {}, [c](const auto& g) {
      return V{with_scalar("mul_scalar", BinaryOp::kMul, g.g(), c)};
    });
  return y;
}

// ---- unary maps and activations: one row each ----

// One row per map: its name, its kernel and what its derivative reads.
#define DEEPOBS_UNARY(name, kernel, saves)                    \
  Tensor name(const Tensor& x) {                              \
    return unary(#name, UnaryOp::kernel, x, 0, Saves::saves); \
  }
DEEPOBS_UNARY(neg, kNeg, kNothing)
DEEPOBS_UNARY(exp, kExp, kOutput)
DEEPOBS_UNARY(log, kLog, kInput)
DEEPOBS_UNARY(square, kSquare, kInput)
DEEPOBS_UNARY(sqrt, kSqrt, kOutput)
DEEPOBS_UNARY(sin, kSin, kInput)
DEEPOBS_UNARY(cos, kCos, kInput)
DEEPOBS_UNARY(relu, kRelu, kOutput)
DEEPOBS_UNARY(sigmoid, kSigmoid, kOutput)
DEEPOBS_UNARY(tanh, kTanh, kOutput)
#undef DEEPOBS_UNARY

Tensor pow(const Tensor& x, double p) {
  return unary("pow", UnaryOp::kPow, x, p, Saves::kInput);
}
Tensor leaky_relu(const Tensor& x, double slope) {
  // Written so that a NaN slope fails too.
  DEEPOBS_CHECK(slope >= 0.0 && slope < 1.0, "leaky_relu: slope must be in [0, 1), got ", slope,
                " (max(x, slope·x) is not a leaky ReLU outside that range)");
  return unary("leaky_relu", UnaryOp::kLeakyRelu, x, slope, Saves::kInput);
}

// ---- broadcasting and its adjoint ----

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  check_floating("broadcast_to", "input", x);
  DEEPOBS_CHECK(broadcast_shape("broadcast_to", x.shape(), shape) == shape,
                "broadcast_to: cannot broadcast ", shape_str(x.shape()), " to ", shape_str(shape));
  // A copy: no FLOPs forward; the rule sums the gradient back (one addition per element).
  profile::OpScope scope("broadcast_to", [&] {
    const auto n = shape_numel(shape);
    return profile::OpCost{
        {0, profile::bytes_of(x.numel() + n, dtype_size(x.dtype()))},
        {static_cast<double>(n), profile::bytes_of(x.numel() + n, dtype_size(x.dtype()))}};
  });
  Tensor y = x.shape() == shape ? x.clone() : broadcast_raw(x, shape);
  if (autograd::needs_grad({x}))
    autograd::record("broadcast_to", {x}, {y}, {},
                     [xs = x.shape()](const auto& g) { return V{sum_to_raw(g.g(), xs)}; });
  return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  check_floating("sum_to", "input", x);
  DEEPOBS_CHECK(broadcast_shape("sum_to", shape, x.shape()) == x.shape(), "sum_to: cannot sum ",
                shape_str(x.shape()), " down to ", shape_str(shape));
  profile::OpScope scope("sum_to", [&] {
    const auto n = shape_numel(shape);
    return profile::OpCost{
        {static_cast<double>(x.numel()), profile::bytes_of(x.numel() + n, dtype_size(x.dtype()))},
        {0, profile::bytes_of(x.numel() + n, dtype_size(x.dtype()))}};
  });
  Tensor y = x.shape() == shape ? x.clone() : sum_to_raw(x, shape);
  if (autograd::needs_grad({x}))
    autograd::record("sum_to", {x}, {y}, {},
                     [xs = x.shape()](const auto& g) { return V{broadcast_raw(g.g(), xs)}; });
  return y;
}

}  // namespace deepobs::ops
