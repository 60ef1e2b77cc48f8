// The L2 regulariser as one fused op over the flat parameter buffer (SPEC §1.2).
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

// scale · Σ_k Σ_{i in segment k} flat_i², a scalar of flat's dtype. `flat` is a 1-D f32/f64
// buffer (FlatParameters::params()); `segments` an i64 [K, 2] tensor of (offset, length) rows on
// the same device, each range inside flat. One kernel forward and one backward whatever K is; the
// gradient 2·scale·g·flat_i goes straight into flat's gradient buffer when it has one (a packed
// model's), else into a new tensor. On the CPU the value equals, bit for bit, the op chain
// mul_scalar(sum(square(W_1)) + sum(square(W_2)) + …, scale) it replaces (kernels/cpu/l2.h).
Tensor l2_penalty(const Tensor& flat, const Tensor& segments, double scale);

}  // namespace deepobs::ops
