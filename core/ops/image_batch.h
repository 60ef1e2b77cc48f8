// A mini-batch of DeepOBS's CIFAR/SVHN input pipeline (SPEC §4.3–4.5) built where the data set
// lives: the batch's u8 images are gathered, padded, randomly cropped and flipped, brightness-,
// saturation- and contrast-distorted and standardised per image, and written as f32 NCHW — on a
// CUDA device as one kernel over the GPU-resident bytes. The CPU and the CUDA kernels are twins
// with the same bits (kernels/image_pipeline.h gives every formula and its TF 1.x source). Not
// recorded by autograd (data has no gradient).
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/image_pipeline.h"

namespace deepobs::ops {

// What the pipeline does to each image; the defaults are DeepOBS's CIFAR training pipeline.
struct ImagePipeline {
  bool augment = true;   // false: per-image standardisation only (DeepOBS's test pipeline)
  std::int32_t pad = 2;  // zero rows/columns per side before the random crop (32 → 36 → 32)
  bool flip = true;      // random horizontal flip (CIFAR: yes, SVHN: no)
  float brightness_max_delta = static_cast<float>(63.0 / 255.0);  // on the 0..255 scale (sic)
  float saturation_lower = 0.5f, saturation_upper = 1.5f;
  float contrast_lower = 0.2f, contrast_upper = 1.8f;
};

// The Philox address of the batch's random draws: image i uses blocks 2i and 2i+1 of the draw
// (seed, stream, call), e.g. a data set's BatchDraws with call(0).
struct ImageDrawAddress {
  std::uint64_t seed = 0;
  std::uint32_t stream = 0;
  std::uint32_t call = 0;
};

// The kernels' form of `pipeline` for images of height × width: what image_batch hands to the
// CPU and CUDA kernels (and what kernels::image_draws needs to reproduce a batch's draws).
kernels::ImagePipelineConfig image_pipeline_config(const ImagePipeline& pipeline,
                                                   std::int32_t height, std::int32_t width);

// images: u8 [N, H, W, 3] (HWC, RGB) on any device. order: undefined (rows first …
// first+count−1) or an i64 [M] permutation on the same device (rows order[first …
// first+count−1], entries in [0, N)). Returns f32 [count, 3, H, W] on the images' device.
// Throws deepobs::Error for another dtype or shape, an order of the wrong dtype/device, a range
// outside [0, N) or [0, M), a negative pad, an empty or reversed interval, or (CUDA) an image
// larger than the kernel's shared memory holds (H·W·3 > 6144).
Tensor image_batch(const Tensor& images, const Tensor& order, std::int64_t first,
                   std::int64_t count, const ImagePipeline& pipeline,
                   const ImageDrawAddress& draws);

}  // namespace deepobs::ops
