// The fused CUDA image-pipeline kernel (kernels/cuda/image_batch.cu) against its CPU twin: the
// same batches bit for bit — every step uses only correctly rounded operations in the same order
// (kernels/image_pipeline.h) and the file is compiled with --fmad=false, so no tolerance is
// needed. Then whole CIFAR/SVHN data sets on the GPU against the CPU in every phase and both data
// orders. Skips cleanly without a usable GPU.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/ops/image_batch.h"
#include "datasets/image_data_set.h"
#include "tests/common/image_fixtures.h"
#include "twin.h"

namespace deepobs {
namespace {

namespace fs = std::filesystem;

Tensor random_images(std::int64_t n, std::int64_t h, std::int64_t w, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> v(static_cast<std::size_t>(n * h * w * 3));
  for (auto& b : v)
    b = static_cast<std::uint8_t>(byte(gen));
  return Tensor::from_vector(v, {n, h, w, 3});
}

Tensor permutation(std::int64_t n, unsigned seed) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    p[static_cast<std::size_t>(i)] = i;
  std::shuffle(p.begin(), p.end(), std::mt19937(seed));
  return Tensor::from_vector(p, {n});
}

TEST(CudaImageBatch, MatchesTheCpuBitForBit) {
  SKIP_WITHOUT_GPU();
  ops::ImagePipeline cifar;
  ops::ImagePipeline svhn = cifar;
  svhn.flip = false;
  ops::ImagePipeline test = cifar;
  test.augment = false;
  ops::ImagePipeline strong = cifar;  // large deltas: clipping and negative values everywhere
  strong.pad = 3;
  strong.brightness_max_delta = 60.0f;
  strong.saturation_lower = 0.0f;
  strong.saturation_upper = 4.0f;
  struct Case {
    const char* what;
    ops::ImagePipeline pipeline;
    std::int64_t h, w, first, count;
    bool ordered;
  };
  const std::vector<Case> cases = {
      {"cifar 32x32, batch 128, permuted", cifar, 32, 32, 5, 128, true},
      {"svhn 32x32, batch 130, stored order", svhn, 32, 32, 3, 130, false},
      {"test 32x32, batch 1", test, 32, 32, 7, 1, true},
      {"strong 7x9 (odd folds), batch 64", strong, 7, 9, 0, 64, true},
      {"cifar 1x1, batch 3", cifar, 1, 1, 2, 3, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Tensor images = random_images(300, c.h, c.w, 17);
    const Tensor order = c.ordered ? permutation(300, 3) : Tensor();
    const ops::ImageDrawAddress draws{1234567, 0x04000001u, 48};
    const Tensor cpu = ops::image_batch(images, order, c.first, c.count, c.pipeline, draws);
    const Tensor gpu = ops::image_batch(images.to(Device::cuda(0)),
                                        c.ordered ? order.to(Device::cuda(0)) : Tensor(), c.first,
                                        c.count, c.pipeline, draws);
    EXPECT_EQ(gpu.device(), Device::cuda(0));
    twin::expect_identical(gpu, cpu, c.what);
  }
}

TEST(CudaImageBatch, DataSetBatchesEqualTheCpusInEveryPhase) {
  SKIP_WITHOUT_GPU();
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("deepobs_cuda_images_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  for (const std::string name : {"cifar10", "cifar100", "svhn"}) {
    test_images::write_data_set(dir, name, name == "cifar10" || name == "svhn" ? 40 : 200, 64);
    for (auto order : {datasets::DataOrder::Tf1, datasets::DataOrder::Reshuffle}) {
      SCOPED_TRACE(name + " " + std::string(datasets::data_order_name(order)));
      datasets::DataSetOptions o;
      o.batch_size = 32;
      o.order = order;
      datasets::ImageDataOptions image;
      image.official_sizes = false;
      const datasets::DataRoot root{dir, datasets::DataRoot::Source::Explicit};
      auto cpu = datasets::make_image_data_set(name, root, o, image);
      o.device = Device::cuda(0);
      auto gpu = datasets::make_image_data_set(name, root, o, image);
      for (auto phase : {datasets::Phase::Train, datasets::Phase::TrainEval, datasets::Phase::Train,
                         datasets::Phase::Test}) {
        cpu->start(phase);
        gpu->start(phase);
        datasets::Batch bc, bg;
        for (int i = 0; cpu->next(bc); ++i) {
          ASSERT_TRUE(gpu->next(bg));
          twin::expect_identical(bg.inputs, bc.inputs, "inputs of batch " + std::to_string(i));
          twin::expect_identical(bg.labels, bc.labels, "labels of batch " + std::to_string(i));
        }
        EXPECT_FALSE(gpu->next(bg));
      }
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace deepobs
