// Elementwise math on the CPU: unary maps (with their backward rules) and binary operations on
// buffers of equal length or with one scalar operand. Broadcasting between shapes lives in
// kernels/cpu/broadcast.h and ends in these loops.
//
// All buffers are contiguous, hold n elements and belong to the caller; outputs are overwritten
// and may alias an input of the same length (every element is read before it is written). T is
// float or double. Nothing here checks for NaN or infinities: IEEE rules apply (1/0 = inf,
// log(-1) = NaN), so a diverging run shows up in its loss instead of being masked. Long loops are
// split into chunks run by OpenMP; the chunk boundaries are fixed multiples of a constant, so the
// results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// Unary maps y = f(x; p). `p` is the parameter of the map where it has one (the exponent of
// kPow, the slope of kLeakyRelu) and is ignored otherwise.
enum class UnaryOp : std::uint8_t {
  kNeg,        // -x
  kExp,        // e^x
  kLog,        // natural log
  kSquare,     // x²
  kSqrt,       // √x
  kPow,        // x^p (std::pow semantics)
  kRelu,       // x < 0 ? 0 : x       (NaN propagates)
  kLeakyRelu,  // x < 0 ? p·x : x     (NaN propagates); 0 ≤ p < 1 is the caller's promise
  kSigmoid,    // 1 / (1 + e^-x), saturates to exactly 0 and 1 without overflow traps
  kTanh,       // tanh x
  kSin,        // sin x
  kCos,        // cos x
};

// y[i] = f(x[i]; p) for i < n.
template <class T>
void unary_forward(UnaryOp op, const T* x, T* y, std::int64_t n, T p);

// dx[i] = dy[i] · f'(x[i]; p). Each rule reads the cheaper of the saved input x and the saved
// output y; the other pointer may be null:
//   from x: kLog (1/x), kSquare (2x), kPow (p·x^(p-1), and 0 when p == 0), kLeakyRelu (1 for
//           x ≥ 0, p below: at exactly 0 the slope is 1, which is what TF's tf.maximum(x, p·x)
//           gives since its gradient goes to the first argument on ties);
//   from y: kExp (y), kSqrt (1/(2y)), kRelu (1 where y > 0, else 0, as TF's ReluGrad),
//           kSigmoid (y(1-y)), kTanh (1-y²);
//   from x: also kSin (cos x) and kCos (-sin x);
//   neither: kNeg (-1).
template <class T>
void unary_backward(UnaryOp op, const T* x, const T* y, const T* dy, T* dx, std::int64_t n, T p);

// Binary operations out = a ∘ b. kPow is std::pow(a, b).
enum class BinaryOp : std::uint8_t { kAdd, kSub, kMul, kDiv, kPow };

// out[i] = a[i] ∘ b[i] for i < n. `out` may be `a` or `b` (an in-place update).
template <class T>
void binary_same(BinaryOp op, const T* a, const T* b, T* out, std::int64_t n);
// out[i] = a[i] ∘ b: the right operand is one value.
template <class T>
void binary_scalar_right(BinaryOp op, const T* a, T b, T* out, std::int64_t n);
// out[i] = a ∘ b[i]: the left operand is one value (the order matters for kSub, kDiv, kPow).
template <class T>
void binary_scalar_left(BinaryOp op, T a, const T* b, T* out, std::int64_t n);

}  // namespace deepobs::kernels::cpu
