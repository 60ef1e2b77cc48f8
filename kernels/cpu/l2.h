// The L2 regulariser over segments of a flat parameter buffer (SPEC §1.2: (wd/2)·Σ‖W‖² over the
// regularised tensors), fused: one pass forward, one pass backward, however many tensors.
//
// `segments` holds `count` pairs (offset, length) of elements of x. T is float or double.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// scale · Σ_k s_k, where s_k = Σ_{i in segment k} x_i² is summed in double (x_i² rounded to T
// first, four interleaved partial sums as kernels/cpu/reduce.h) and rounded to T, the s_k are
// added in T in segment order and the scale is applied in T: exactly the value of
// mul_scalar(sum(square(W_1)) + sum(square(W_2)) + …, scale) built from the ops. Segments run in
// parallel, each on one thread, so the result does not depend on the thread count.
template <class T>
T l2_penalty(const T* x, const std::int64_t* segments, std::int64_t count, T scale);

// grad_i += (2·x_i)·(g·scale) for every i in a segment (the same rounding as the ops' chain).
template <class T>
void l2_penalty_backward(const T* x, const std::int64_t* segments, std::int64_t count, T g, T scale,
                         T* grad);

}  // namespace deepobs::kernels::cpu
