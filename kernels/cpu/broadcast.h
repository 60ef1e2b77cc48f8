// NumPy-style broadcasting on the CPU: binary operations between tensors of different shapes, and
// copying a tensor out to a larger broadcast shape.
//
// Shapes are passed with equal rank: the caller pads the shorter one with leading 1s. An input
// extent must equal the output extent or be 1 (then the input is repeated along that dimension);
// the caller checks this. Buffers are contiguous row-major, owned by the caller; outputs are
// overwritten and must not overlap the inputs. T is float or double.
//
// Dimensions that every operand treats alike are merged first, so equal shapes become one flat
// loop, a scalar operand becomes a scalar loop, [N,C]+[C] becomes N rows of a same-length loop and
// [N,C,H,W]+[C,1,1] becomes N·C rows with a scalar right operand; only the innermost merged
// dimension runs through the vectorised loops of kernels/cpu/elementwise.h.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/cpu/elementwise.h"

namespace deepobs::kernels::cpu {

// out = a ∘ b with a of a_shape and b of b_shape broadcast to out_shape (all of the same rank).
template <class T>
void binary_broadcast(BinaryOp op, std::span<const std::int64_t> out_shape,
                      std::span<const std::int64_t> a_shape, const T* a,
                      std::span<const std::int64_t> b_shape, const T* b, T* out);

// out (out_shape) = x (x_shape, same rank) repeated along the dimensions where x has extent 1.
template <class T>
void broadcast_copy(std::span<const std::int64_t> x_shape, const T* x,
                    std::span<const std::int64_t> out_shape, T* out);

}  // namespace deepobs::kernels::cpu
