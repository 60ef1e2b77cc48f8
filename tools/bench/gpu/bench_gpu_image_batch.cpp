// GPU throughput of DeepOBS's CIFAR/SVHN input pipeline (ops::image_batch, one fused kernel per
// batch): batches of 128 from 50,000 random u8 32×32×3 images resident on the GPU, gathered by a
// permutation, timed with CUDA events over 500 batches after 50 warm-up batches, for the training
// pipeline (pad, crop, flip, brightness, saturation, contrast, standardisation) and the test one
// (standardisation only). The last line is the summary tools/gpu-check.sh puts into its table.
//
//   bench_gpu_image_batch [--device cuda:N]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/ops/image_batch.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/events.h"

namespace {

using deepobs::Device;
using deepobs::Tensor;
namespace ops = deepobs::ops;
namespace cuda = deepobs::kernels::cuda;

constexpr std::int64_t kImages = 50000;
constexpr std::int64_t kBatch = 128;
constexpr int kWarmup = 50;
constexpr int kBatches = 500;

// Images per second of `pipeline` on `device`.
double images_per_second(const Tensor& images, const Tensor& order,
                         const ops::ImagePipeline& pipeline, Device device) {
  cuda::KernelContext& ctx = cuda::context(device.index);
  std::uint32_t call = 0;
  auto batch = [&](int i) {
    const std::int64_t first = (static_cast<std::int64_t>(i) * kBatch) % (kImages - kBatch);
    return ops::image_batch(images, order, first, kBatch, pipeline, {42, 7, call++});
  };
  for (int i = 0; i < kWarmup; ++i)
    batch(i);
  void* start = cuda::event_create(ctx);
  void* stop = cuda::event_create(ctx);
  cuda::event_record(ctx, start);
  for (int i = 0; i < kBatches; ++i)
    batch(i);
  cuda::event_record(ctx, stop);
  const double ms = cuda::event_elapsed_ms(start, stop);
  cuda::event_destroy(start);
  cuda::event_destroy(stop);
  return kBatches * kBatch / (ms * 1e-3);
}

int run(int argc, char** argv) {
  Device device = Device::cuda(0);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--device" && i + 1 < argc) {
      device = Device::parse(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_gpu_image_batch [--device cuda:N]\n");
      return 2;
    }
  }
  if (!Device::cuda_available()) {
    std::fprintf(stderr, "bench_gpu_image_batch: no usable CUDA device\n");
    return 1;
  }
  std::mt19937 gen(1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(kImages * 32 * 32 * 3));
  for (auto& b : bytes)
    b = static_cast<std::uint8_t>(byte(gen));
  std::vector<std::int64_t> perm(static_cast<std::size_t>(kImages));
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), gen);
  const Tensor images = Tensor::from_vector(bytes, {kImages, 32, 32, 3}).to(device);
  const Tensor order = Tensor::from_vector(perm, {kImages}).to(device);
  ops::ImagePipeline train;
  ops::ImagePipeline test;
  test.augment = false;
  const double train_rate = images_per_second(images, order, train, device);
  const double test_rate = images_per_second(images, order, test, device);
  std::printf(
      "image_batch on %s, batch %lld: train %.3g images/s (%.1f us per batch), test %.3g "
      "images/s (%.1f us per batch)\n",
      device.str().c_str(), static_cast<long long>(kBatch), train_rate, kBatch / train_rate * 1e6,
      test_rate, kBatch / test_rate * 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu_image_batch: %s\n", e.what());
    return 1;
  }
}
