#include "kernels/cpu/elementwise.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

template <class T>
using Arr = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using CArr = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Elements per range. The range boundaries are fixed multiples of kChunk, so the split (and with
// it Eigen's packet/tail choice per element) does not depend on the thread count; a loop of at
// most kChunk elements never leaves the calling thread.
constexpr std::int64_t kChunk = std::int64_t{1} << 15;

template <class F>
void for_chunks(std::int64_t n, F&& body) {
  parallel_for(n, kChunk, [&](std::int64_t begin, std::int64_t end) { body(begin, end - begin); });
}

template <class T>
void unary_chunk(UnaryOp op, const T* xp, T* yp, std::int64_t n, T p) {
  const CArr<T> x(xp, n);
  Arr<T> y(yp, n);
  switch (op) {
    case UnaryOp::kNeg:
      y = -x;
      return;
    case UnaryOp::kExp:
      y = x.exp();
      return;
    case UnaryOp::kLog:
      y = x.log();
      return;
    case UnaryOp::kSquare:
      y = x.square();
      return;
    case UnaryOp::kSqrt:
      y = x.sqrt();
      return;
    case UnaryOp::kPow:
      y = x.unaryExpr([p](T v) { return std::pow(v, p); });
      return;
    case UnaryOp::kRelu:
      // x < 0 rather than max(x, 0) so that a NaN stays NaN.
      y = (x < T(0)).select(T(0), x);
      return;
    case UnaryOp::kLeakyRelu:
      y = (x < T(0)).select(p * x, x);
      return;
    case UnaryOp::kSigmoid:
      // e^-x overflows to +inf for very negative x and 1/(1+inf) is exactly 0, so this one form is
      // safe on both tails.
      y = T(1) / (T(1) + (-x).exp());
      return;
    case UnaryOp::kTanh:
      y = x.tanh();
      return;
    case UnaryOp::kSin:
      y = x.sin();
      return;
    case UnaryOp::kCos:
      y = x.cos();
      return;
  }
}

template <class T>
void unary_backward_chunk(UnaryOp op, const T* xp, const T* yp, const T* dyp, T* dxp,
                          std::int64_t n, T p) {
  const CArr<T> dy(dyp, n);
  Arr<T> dx(dxp, n);
  switch (op) {
    case UnaryOp::kNeg:
      dx = -dy;
      return;
    case UnaryOp::kExp:
      dx = dy * CArr<T>(yp, n);
      return;
    case UnaryOp::kLog:
      dx = dy / CArr<T>(xp, n);
      return;
    case UnaryOp::kSquare:
      dx = T(2) * CArr<T>(xp, n) * dy;
      return;
    case UnaryOp::kSqrt:
      dx = dy / (T(2) * CArr<T>(yp, n));
      return;
    case UnaryOp::kPow:
      // d/dx x^0 is 0 everywhere; the general formula would give 0·x^-1 = NaN at x = 0.
      if (p == T(0)) {
        dx.setZero();
      } else {
        dx = dy * (p * CArr<T>(xp, n).unaryExpr([p](T v) { return std::pow(v, p - T(1)); }));
      }
      return;
    case UnaryOp::kRelu:
      dx = (CArr<T>(yp, n) > T(0)).select(dy, T(0));
      return;
    case UnaryOp::kLeakyRelu:
      dx = (CArr<T>(xp, n) < T(0)).select(p * dy, dy);
      return;
    case UnaryOp::kSigmoid: {
      const CArr<T> y(yp, n);
      dx = dy * (y * (T(1) - y));
      return;
    }
    case UnaryOp::kTanh:
      dx = dy * (T(1) - CArr<T>(yp, n).square());
      return;
    case UnaryOp::kSin:
      dx = dy * CArr<T>(xp, n).cos();
      return;
    case UnaryOp::kCos:
      dx = -dy * CArr<T>(xp, n).sin();
      return;
  }
}

}  // namespace

template <class T>
void unary_forward(UnaryOp op, const T* x, T* y, std::int64_t n, T p) {
  for_chunks(n, [&](std::int64_t b, std::int64_t len) { unary_chunk(op, x + b, y + b, len, p); });
}

template <class T>
void unary_backward(UnaryOp op, const T* x, const T* y, const T* dy, T* dx, std::int64_t n, T p) {
  for_chunks(n, [&](std::int64_t b, std::int64_t len) {
    unary_backward_chunk(op, x ? x + b : nullptr, y ? y + b : nullptr, dy + b, dx + b, len, p);
  });
}

template <class T>
void binary_same(BinaryOp op, const T* a, const T* b, T* out, std::int64_t n) {
  for_chunks(n, [&](std::int64_t s, std::int64_t len) {
    const CArr<T> A(a + s, len), B(b + s, len);
    Arr<T> O(out + s, len);
    switch (op) {
      case BinaryOp::kAdd:
        O = A + B;
        return;
      case BinaryOp::kSub:
        O = A - B;
        return;
      case BinaryOp::kMul:
        O = A * B;
        return;
      case BinaryOp::kDiv:
        O = A / B;
        return;
      case BinaryOp::kPow:
        O = A.binaryExpr(B, [](T u, T v) { return std::pow(u, v); });
        return;
    }
  });
}

template <class T>
void binary_scalar_right(BinaryOp op, const T* a, T b, T* out, std::int64_t n) {
  for_chunks(n, [&](std::int64_t s, std::int64_t len) {
    const CArr<T> A(a + s, len);
    Arr<T> O(out + s, len);
    switch (op) {
      case BinaryOp::kAdd:
        O = A + b;
        return;
      case BinaryOp::kSub:
        O = A - b;
        return;
      case BinaryOp::kMul:
        O = A * b;
        return;
      case BinaryOp::kDiv:
        // A true division, not a multiplication by 1/b, so that the result matches binary_same
        // and the CUDA twin bit for bit.
        O = A / b;
        return;
      case BinaryOp::kPow:
        O = A.unaryExpr([b](T u) { return std::pow(u, b); });
        return;
    }
  });
}

template <class T>
void binary_scalar_left(BinaryOp op, T a, const T* b, T* out, std::int64_t n) {
  for_chunks(n, [&](std::int64_t s, std::int64_t len) {
    const CArr<T> B(b + s, len);
    Arr<T> O(out + s, len);
    switch (op) {
      case BinaryOp::kAdd:
        O = a + B;
        return;
      case BinaryOp::kSub:
        O = a - B;
        return;
      case BinaryOp::kMul:
        O = a * B;
        return;
      case BinaryOp::kDiv:
        O = B.unaryExpr([a](T v) { return a / v; });
        return;
      case BinaryOp::kPow:
        O = B.unaryExpr([a](T v) { return std::pow(a, v); });
        return;
    }
  });
}

#define DEEPOBS_INSTANTIATE(T)                                                                 \
  template void unary_forward<T>(UnaryOp, const T*, T*, std::int64_t, T);                      \
  template void unary_backward<T>(UnaryOp, const T*, const T*, const T*, T*, std::int64_t, T); \
  template void binary_same<T>(BinaryOp, const T*, const T*, T*, std::int64_t);                \
  template void binary_scalar_right<T>(BinaryOp, const T*, T, T*, std::int64_t);               \
  template void binary_scalar_left<T>(BinaryOp, T, const T*, T*, std::int64_t);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
