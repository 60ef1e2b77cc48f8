// Bilinear image resize with autograd, reproducing TF 1.x tf.image.resize_images (bilinear,
// align_corners=False, legacy coordinates without half-pixel centres; SPEC §1.3). The exact
// mapping and rounding are documented in kernels/cpu/resize.h.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace deepobs::ops {

// x [N, C, H, W] (f32 or f64) → [N, C, out_h, out_w]. Output pixel (p, q) interpolates around
// source coordinate (p · H / out_h, q · W / out_w), clamped to the last row/column. Throws
// deepobs::Error naming the op and the shape on a wrong rank or dtype, a non-CPU device, an empty
// spatial input or an output size < 1.
Tensor resize_bilinear(const Tensor& x, std::int64_t out_h, std::int64_t out_w);

}  // namespace deepobs::ops
