#include "core/ops/image_batch.h"

#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/image_batch.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/image_batch.h"

namespace deepobs::ops {
namespace {

void check_pipeline(const char* op, const ImagePipeline& p) {
  DEEPOBS_CHECK(p.pad >= 0 && p.pad <= 1024, op, ": pad must be in 0..1024, got ", p.pad);
  DEEPOBS_CHECK(p.brightness_max_delta >= 0.0f, op, ": brightness_max_delta must be >= 0, got ",
                p.brightness_max_delta);
  DEEPOBS_CHECK(p.saturation_lower <= p.saturation_upper && p.saturation_lower >= 0.0f, op,
                ": saturation interval [", p.saturation_lower, ", ", p.saturation_upper,
                "] must be non-negative and ordered");
  DEEPOBS_CHECK(p.contrast_lower <= p.contrast_upper && p.contrast_lower >= 0.0f, op,
                ": contrast interval [", p.contrast_lower, ", ", p.contrast_upper,
                "] must be non-negative and ordered");
}

}  // namespace

kernels::ImagePipelineConfig image_pipeline_config(const ImagePipeline& p, std::int32_t height,
                                                   std::int32_t width) {
  kernels::ImagePipelineConfig c;
  c.height = height;
  c.width = width;
  c.pad = p.pad;
  c.augment = p.augment;
  c.flip = p.flip;
  c.brightness_max_delta = p.brightness_max_delta;
  c.saturation_lower = p.saturation_lower;
  c.saturation_upper = p.saturation_upper;
  c.contrast_lower = p.contrast_lower;
  c.contrast_upper = p.contrast_upper;
  return c;
}

Tensor image_batch(const Tensor& images, const Tensor& order, std::int64_t first,
                   std::int64_t count, const ImagePipeline& pipeline,
                   const ImageDrawAddress& draws) {
  constexpr const char* op = "image_batch";
  DEEPOBS_CHECK(images.dtype() == DType::U8 && images.dim() == 4 &&
                    images.size(3) == kernels::kImageChannels && images.size(1) >= 1 &&
                    images.size(2) >= 1 && images.size(1) <= 4096 && images.size(2) <= 4096,
                op, ": images must be u8 [N, H, W, 3] (RGB, HWC), got ", images.str());
  check_pipeline(op, pipeline);
  DEEPOBS_CHECK(first >= 0 && count >= 0, op, ": first (", first, ") and count (", count,
                ") must be non-negative");
  const std::int64_t rows = images.size(0);
  const std::int64_t* index = nullptr;
  if (order.defined()) {
    DEEPOBS_CHECK(
        order.dtype() == DType::I64 && order.dim() == 1 && order.device() == images.device(), op,
        ": the order must be an i64 vector on the images' device, got ", order.str(), " for ",
        images.str());
    DEEPOBS_CHECK(first + count <= order.size(0), op, ": positions [", first, ", ", first + count,
                  ") exceed the order of ", order.size(0), " entries");
    index = order.data<std::int64_t>() + first;
  } else {
    DEEPOBS_CHECK(first + count <= rows, op, ": rows [", first, ", ", first + count,
                  ") exceed the ", rows, " images of ", images.str());
  }
  const kernels::ImagePipelineConfig config =
      image_pipeline_config(pipeline, static_cast<std::int32_t>(images.size(1)),
                            static_cast<std::int32_t>(images.size(2)));
  const kernels::PhiloxDraw draw = kernels::make_philox_draw(draws.seed, draws.stream, draws.call);
  // Counted as data movement: the images' u8 values read, the f32 batch written; the pipeline's
  // arithmetic (crop, flip, lighting, standardisation) is not counted as FLOPs.
  profile::OpScope scope(op, [&] {
    const std::int64_t n = count * images.size(1) * images.size(2) * kernels::kImageChannels;
    return profile::OpCost{{0, profile::bytes_of(n, 1) + profile::bytes_of(n, 4)}, {}};
  });
  Tensor out = Tensor::empty({count, kernels::kImageChannels, images.size(1), images.size(2)},
                             DType::F32, images.device());
  backend::launch_any(op, images, [&](auto be) {
    const std::uint8_t* src = images.data<std::uint8_t>();
    if constexpr (decltype(be)::is_cpu) {
      kernels::cpu::image_batch(src, index, first, count, config, draw, out.data<float>());
    } else {
      const std::int64_t values = images.size(1) * images.size(2) * kernels::kImageChannels;
      DEEPOBS_CHECK(values <= kernels::cuda::kMaxImageBatchValues, op, ": ", images.str(),
                    ": the CUDA kernel takes images of at most ",
                    kernels::cuda::kMaxImageBatchValues, " values (H·W·3)");
      kernels::cuda::image_batch(src, index, first, count, config, draw, out.data<float>(),
                                 kernels::cuda::stream(be.ctx));
    }
  });
  return out;
}

}  // namespace deepobs::ops
