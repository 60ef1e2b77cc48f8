#include <stdexcept>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/image_batch.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 65535;

__device__ __forceinline__ float value_of(float x, bool square) {
  return square ? mul_rn(x, x) : x;
}

// The fold sum of kernels/image_pipeline.h by the whole block: each round's additions are spread
// over the threads, a barrier between rounds. The total lands in s[0 .. cols). Every thread must
// call it (it synchronises).
__device__ void fold_sum(const float* x, int rows, int cols, bool square, float* s) {
  int remaining = rows;
  bool first_round = true;
  do {
    const int right = remaining / 2;
    const int left = remaining - right;
    if (first_round) {
      for (int e = threadIdx.x; e < right * cols; e += blockDim.x)
        s[e] = add_rn(value_of(x[left * cols + e], square), value_of(x[e], square));
      if (left > right)
        for (int c = threadIdx.x; c < cols; c += blockDim.x)
          s[right * cols + c] = value_of(x[right * cols + c], square);
    } else {
      for (int e = threadIdx.x; e < right * cols; e += blockDim.x)
        s[e] = add_rn(s[e], s[left * cols + e]);
    }
    __syncthreads();
    remaining = left;
    first_round = false;
  } while (remaining > 1);
}

// One block per image (grid-stride over the batch's images). Shared memory: the image v[n] in
// HWC order and the fold scratch s[n].
__global__ void image_batch_kernel(const std::uint8_t* __restrict__ src,
                                   const std::int64_t* __restrict__ index, std::int64_t first,
                                   std::int64_t count, ImagePipelineConfig c, PhiloxDraw draw,
                                   float* __restrict__ dst) {
  extern __shared__ float shared[];
  const int pixels = c.height * c.width;
  const int n = pixels * kImageChannels;
  float* v = shared;
  float* s = shared + n;
  for (std::int64_t i = blockIdx.x; i < count; i += gridDim.x) {
    const std::int64_t row = index ? index[i] : first + i;
    const std::uint8_t* image = src + row * n;
    const ImageDraws d = image_draws(draw, static_cast<std::uint32_t>(i), c);
    for (int e = threadIdx.x; e < n; e += blockDim.x) {
      const int px = e / kImageChannels;
      const int ch = e - px * kImageChannels;
      const int y = px / c.width;
      const int p = source_pixel(y, px - y * c.width, d, c);
      const float x = p < 0 ? 0.0f : static_cast<float>(image[p * kImageChannels + ch]);
      v[e] = c.augment ? add_rn(x, d.brightness) : x;
    }
    __syncthreads();
    if (c.augment) {
      for (int p = threadIdx.x; p < pixels; p += blockDim.x)
        adjust_saturation(v + p * kImageChannels, d.saturation);
      __syncthreads();
      fold_sum(v, pixels, kImageChannels, false, s);
      float means[kImageChannels];
      for (int ch = 0; ch < kImageChannels; ++ch)
        means[ch] = channel_mean(s[ch], pixels);
      __syncthreads();  // every thread has read the sums before s is reused
      for (int e = threadIdx.x; e < n; e += blockDim.x)
        v[e] = adjust_contrast(v[e], means[e % kImageChannels], d.contrast);
      __syncthreads();
    }
    fold_sum(v, n, 1, false, s);
    const float sum = s[0];
    __syncthreads();
    fold_sum(v, n, 1, true, s);
    const Standardization st = standardization(sum, s[0], n);
    float* out = dst + i * n;
    for (int o = threadIdx.x; o < n; o += blockDim.x) {  // NCHW order: coalesced stores
      const int ch = o / pixels;
      const int p = o - ch * pixels;
      out[o] = standardize(v[p * kImageChannels + ch], st);
    }
    __syncthreads();  // v and s are free before the next image
  }
}

}  // namespace

void image_batch(const std::uint8_t* src, const std::int64_t* index, std::int64_t first,
                 std::int64_t count, const ImagePipelineConfig& config, const PhiloxDraw& draw,
                 float* dst, void* stream) {
  const std::int64_t n = std::int64_t{config.height} * config.width * kImageChannels;
  if (count <= 0 || n <= 0) return;
  if (n > kMaxImageBatchValues)
    throw std::invalid_argument("image_batch: images of " + std::to_string(n) +
                                " values exceed the CUDA kernel's limit of " +
                                std::to_string(kMaxImageBatchValues));
  const unsigned blocks = count < kMaxBlocks ? static_cast<unsigned>(count) : kMaxBlocks;
  const std::size_t shared_bytes = 2 * static_cast<std::size_t>(n) * sizeof(float);
  DeviceGuard guard(device_of(dst));
  image_batch_kernel<<<blocks, kThreads, shared_bytes, static_cast<cudaStream_t>(stream)>>>(
      src, index, first, count, config, draw, dst);
  DEEPOBS_CUDA_CHECK_LAUNCH();
}

}  // namespace deepobs::kernels::cuda
