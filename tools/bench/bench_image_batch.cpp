// CPU throughput of DeepOBS's CIFAR/SVHN input pipeline (ops::image_batch, kernels/cpu/
// image_batch.cpp): batches of 128 gathered by a permutation from 10,000 u8 32×32×3 images
// (30 MB, beyond the caches like the real 150 MB set), then
//   train: zero-pad, random crop, flip, brightness, saturation (HSV round trip), contrast,
//          per-image standardisation (DeepOBS's training and train_eval pipeline);
//   test:  per-image standardisation only.
// items/s = images per second. Each on all threads of the pool and on one thread.
//
// Run: cmake --build build --target bench_image_batch && build/tools/bench/bench_image_batch
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "core/ops/image_batch.h"
#include "kernels/cpu/parallel.h"

namespace {

using deepobs::Tensor;
namespace ops = deepobs::ops;

constexpr std::int64_t kImages = 10000;
constexpr std::int64_t kBatch = 128;

const Tensor& images() {
  static const Tensor t = [] {
    std::mt19937 gen(1);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<std::uint8_t> v(static_cast<std::size_t>(kImages * 32 * 32 * 3));
    for (auto& b : v)
      b = static_cast<std::uint8_t>(byte(gen));
    return Tensor::from_vector(v, {kImages, 32, 32, 3});
  }();
  return t;
}

const Tensor& order() {
  static const Tensor t = [] {
    std::vector<std::int64_t> p(static_cast<std::size_t>(kImages));
    std::iota(p.begin(), p.end(), 0);
    std::shuffle(p.begin(), p.end(), std::mt19937(2));
    return Tensor::from_vector(p, {kImages});
  }();
  return t;
}

void run(benchmark::State& state, bool augment, bool one_thread) {
  const int threads = deepobs::kernels::cpu::cpu_threads();
  if (one_thread) deepobs::kernels::cpu::set_cpu_threads(1);
  ops::ImagePipeline pipeline;
  pipeline.augment = augment;
  std::int64_t first = 0;
  std::uint32_t call = 0;
  for (auto _ : state) {
    Tensor b = ops::image_batch(images(), order(), first, kBatch, pipeline, {42, 7, call++});
    benchmark::DoNotOptimize(b.data<float>());
    first = (first + kBatch) % (kImages - kBatch);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  deepobs::kernels::cpu::set_cpu_threads(threads);
}

void train_all(benchmark::State& s) {
  run(s, true, false);
}
void train_one(benchmark::State& s) {
  run(s, true, true);
}
void test_all(benchmark::State& s) {
  run(s, false, false);
}
void test_one(benchmark::State& s) {
  run(s, false, true);
}

}  // namespace

BENCHMARK(train_all)->Name("image_batch/train_x128x32x32x3/all_threads")->UseRealTime();
BENCHMARK(train_one)->Name("image_batch/train_x128x32x32x3/1_thread")->UseRealTime();
BENCHMARK(test_all)->Name("image_batch/test_x128x32x32x3/all_threads")->UseRealTime();
BENCHMARK(test_one)->Name("image_batch/test_x128x32x32x3/1_thread")->UseRealTime();

BENCHMARK_MAIN();
