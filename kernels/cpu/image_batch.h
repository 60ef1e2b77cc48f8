// One mini-batch of DeepOBS's CIFAR/SVHN pipeline on the CPU: gather the batch's images from the
// u8 data set, pad/crop/flip, brightness, saturation, contrast, per-image standardisation, written
// as f32 NCHW (kernels/image_pipeline.h defines every step). The CUDA twin is
// kernels/cuda/image_batch.h; both give the same bits.
#pragma once

#include <cstdint>

#include "kernels/image_pipeline.h"

namespace deepobs::kernels::cpu {

// src: u8 images [N, H, W, 3] (HWC). Image i of the batch is row r(i) = index[i] when `index` is
// not null (each in [0, N); the caller guarantees it), else first + i. Its random draws are those
// of image i of `draw` (image_draws). dst: f32 [count, 3, H, W].
void image_batch(const std::uint8_t* src, const std::int64_t* index, std::int64_t first,
                 std::int64_t count, const ImagePipelineConfig& config, const PhiloxDraw& draw,
                 float* dst);

// The fold sum of kernels/image_pipeline.h: out[c] = Σ_r x[r·cols + c] (of x² when `square`), in
// TF's AdjustContrastv2 order. scratch holds rows·cols floats; rows >= 1. Exposed for the tests.
void fold_sum(const float* x, std::int64_t rows, std::int64_t cols, bool square, float* scratch,
              float* out);

}  // namespace deepobs::kernels::cpu
