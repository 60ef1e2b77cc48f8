// Dropout.
#pragma once

#include "core/random/philox_generator.h"
#include "core/tensor.h"

namespace deepobs::ops {

// Inverted dropout (TF's tf.layers.dropout(rate)): each element of x (f32 or f64, any shape) is
// zeroed with probability `rate` and the kept ones are scaled by 1/(1 - rate), so the expectation
// is unchanged and inference needs no rescaling. The mask is one keep_mask_ draw of `gen`
// (element i kept iff its Philox uniform u_i >= rate), hence the same on every device for the same
// generator state; with `call` (an i64 one-element tensor on x's device, e.g. the step counter of
// a model) the draw uses the call index held there instead of the generator's own, so the same
// step redraws the same mask, also inside a replayed CUDA graph. rate = 0 returns x itself and
// draws nothing; rate must lie in [0, 1), else deepobs::Error. The backward pass multiplies the
// gradient by the same mask and scale.
Tensor dropout(const Tensor& x, double rate, PhiloxGenerator& gen, const Tensor& call = Tensor());

}  // namespace deepobs::ops
