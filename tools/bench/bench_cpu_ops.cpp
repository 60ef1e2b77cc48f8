// CPU throughput of the engine's dense and conv2d ops at the shapes of fmnist_2c2d (SPEC §3.3),
// batch 128, f32, through the public ops with autograd: a forward pass, and a forward pass plus
// autograd::backward of sum(y) (grad_output = ones) with every input requiring a gradient.
//
// Counters: items/s = examples per second; GFLOP/s counts 2 flops per multiply-add, with the
// backward pass (input and weight gradients) worth twice the forward. Bias and bias-gradient work
// is not counted. The plain GEMM cases time kernels::cpu::gemm alone at the product shapes the ops
// reduce to (the conv ones both as one whole-batch GEMM and as per-image GEMMs), as the yardstick
// the ops are compared against (docs/PERFORMANCE.md). (Named eigen_gemm… before the blocked kernel
// of kernels/cpu/gemm_blocked.h replaced Eigen's product.)
//
// Run: tools/bench/run.sh [--benchmark_repetitions=3 --benchmark_report_aggregates_only=true]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/conv.h"
#include "core/ops/linear.h"
#include "core/ops/pool.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace {

using deepobs::Shape;
using deepobs::Tensor;
namespace autograd = deepobs::autograd;
namespace ops = deepobs::ops;

constexpr std::int64_t kBatch = 128;

Tensor random_f32(const Shape& shape, unsigned seed, float scale) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(static_cast<std::size_t>(deepobs::shape_numel(shape)));
  for (auto& x : v)
    x = dist(gen);
  return Tensor::from_vector(v, shape);
}

void set_counters(benchmark::State& state, double forward_flops, bool backward) {
  const double flops = forward_flops * (backward ? 3.0 : 1.0);
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Runs `forward` (which returns y) and, when `backward`, back-propagates ones through it; the
// gradients of `leaves` are dropped after every iteration so that none accumulate.
template <class Forward>
void run_op(benchmark::State& state, const std::vector<Tensor>& leaves, bool backward,
            Forward forward) {
  Tensor ones;
  for (auto _ : state) {
    Tensor y = forward();
    if (backward) {
      if (!ones.defined()) ones = Tensor::ones(y.shape());
      autograd::backward(y, ones);
      for (const auto& t : leaves)
        t.zero_grad();
    }
    benchmark::DoNotOptimize(y.raw_data());
  }
}

// x [128, C_in, H, W], w [C_out, C_in, k, k], bias [C_out], stride 1, 'same'.
void conv_case(benchmark::State& state, std::int64_t c_in, std::int64_t hw, std::int64_t c_out,
               std::int64_t k, bool backward) {
  Tensor x = random_f32({kBatch, c_in, hw, hw}, 1, 1.0f);
  Tensor w = random_f32({c_out, c_in, k, k}, 2, 0.05f);
  Tensor b = random_f32({c_out}, 3, 0.05f);
  for (Tensor* t : {&x, &w, &b})
    t->set_requires_grad(backward);
  run_op(state, {x, w, b}, backward,
         [&] { return ops::conv2d(x, w, b, 1, 1, ops::PaddingMode::kSame); });
  set_counters(state, 2.0 * double(kBatch * hw * hw * c_out * c_in * k * k), backward);
}

// x [128, in], W [in, out], b [out].
void dense_case(benchmark::State& state, std::int64_t in, std::int64_t out, bool backward) {
  Tensor x = random_f32({kBatch, in}, 4, 1.0f);
  Tensor w = random_f32({in, out}, 5, 0.05f);
  Tensor b = random_f32({out}, 6, 0.05f);
  for (Tensor* t : {&x, &w, &b})
    t->set_requires_grad(backward);
  run_op(state, {x, w, b}, backward, [&] { return ops::dense(x, w, b); });
  set_counters(state, 2.0 * double(kBatch * in * out), backward);
}

// C [m, n] = A [m, k] · B [k, n], row-major f32: one kernels::cpu::gemm, no op overhead.
void gemm_case(benchmark::State& state, std::int64_t m, std::int64_t n, std::int64_t k) {
  const Tensor a = random_f32({m, k}, 7, 1.0f), b = random_f32({k, n}, 8, 1.0f);
  Tensor c = Tensor::empty({m, n});
  for (auto _ : state) {
    deepobs::kernels::cpu::gemm<float>(false, false, m, n, k, 1.0f, a.data<float>(),
                                       b.data<float>(), 0.0f, c.data<float>());
    benchmark::DoNotOptimize(c.data<float>());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(m) * double(n) * double(k) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

// The products of the conv forward pass without the im2col work: per image, C_n [m, n] = A [m, k] ·
// B_n [k, n], images spread over the CPU threads with one single-threaded GEMM each. Each call
// packs A and B_n again; the conv kernel packs its filter once per call and im2col straight from
// the image (kernels/cpu/conv.cpp), so the conv op can beat this.
void gemm_per_image_case(benchmark::State& state, std::int64_t m, std::int64_t n, std::int64_t k) {
  const Tensor a = random_f32({m, k}, 7, 1.0f), b = random_f32({kBatch, k, n}, 8, 1.0f);
  Tensor c = Tensor::empty({kBatch, m, n});
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = c.data<float>();
  for (auto _ : state) {
    deepobs::kernels::cpu::parallel_for(kBatch, 1, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t i = first; i < last; ++i)
        deepobs::kernels::cpu::gemm<float>(false, false, m, n, k, 1.0f, pa, pb + i * k * n, 0.0f,
                                           pc + i * m * n);
    });
    benchmark::DoNotOptimize(pc);
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * double(kBatch * m) * double(n) * double(k) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate);
}

// x [128, C, hw, hw], max pool 2×2/2 'same' (the 2c2d pooling): forward, or forward + backward.
void max_pool_case(benchmark::State& state, std::int64_t c, std::int64_t hw, bool backward) {
  Tensor x = random_f32({kBatch, c, hw, hw}, 9, 1.0f);
  x.set_requires_grad(backward);
  run_op(state, {x}, backward,
         [&] { return ops::max_pool2d(x, 2, 2, 2, 2, ops::PaddingMode::kSame); });
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void pool1_fwd(benchmark::State& s) {
  max_pool_case(s, 32, 28, false);
}
void pool1_fwd_bwd(benchmark::State& s) {
  max_pool_case(s, 32, 28, true);
}
void pool2_fwd(benchmark::State& s) {
  max_pool_case(s, 64, 14, false);
}
void pool2_fwd_bwd(benchmark::State& s) {
  max_pool_case(s, 64, 14, true);
}

void conv1_fwd(benchmark::State& s) {
  conv_case(s, 1, 28, 32, 5, false);
}
void conv1_fwd_bwd(benchmark::State& s) {
  conv_case(s, 1, 28, 32, 5, true);
}
void conv2_fwd(benchmark::State& s) {
  conv_case(s, 32, 14, 64, 5, false);
}
void conv2_fwd_bwd(benchmark::State& s) {
  conv_case(s, 32, 14, 64, 5, true);
}
void dense1_fwd(benchmark::State& s) {
  dense_case(s, 3136, 1024, false);
}
void dense1_fwd_bwd(benchmark::State& s) {
  dense_case(s, 3136, 1024, true);
}
void dense2_fwd(benchmark::State& s) {
  dense_case(s, 1024, 10, false);
}
void dense2_fwd_bwd(benchmark::State& s) {
  dense_case(s, 1024, 10, true);
}
// The conv forward products over the whole batch: [C_out, C_in·k²] · [C_in·k², 128·H·W].
void gemm_conv1(benchmark::State& s) {
  gemm_case(s, 32, kBatch * 28 * 28, 25);
}
void gemm_conv2(benchmark::State& s) {
  gemm_case(s, 64, kBatch * 14 * 14, 800);
}
void gemm_dense1(benchmark::State& s) {
  gemm_case(s, kBatch, 1024, 3136);
}
void gemm_per_image_conv1(benchmark::State& s) {
  gemm_per_image_case(s, 32, 28 * 28, 25);
}
void gemm_per_image_conv2(benchmark::State& s) {
  gemm_per_image_case(s, 64, 14 * 14, 800);
}

}  // namespace

// Multi-threaded kernels: rates must use wall time, not the main thread's CPU time.
BENCHMARK(conv1_fwd)->Name("conv2d/conv1_x128x1x28x28_w32x1x5x5/fwd")->UseRealTime();
BENCHMARK(conv1_fwd_bwd)->Name("conv2d/conv1_x128x1x28x28_w32x1x5x5/fwd+bwd")->UseRealTime();
BENCHMARK(conv2_fwd)->Name("conv2d/conv2_x128x32x14x14_w64x32x5x5/fwd")->UseRealTime();
BENCHMARK(conv2_fwd_bwd)->Name("conv2d/conv2_x128x32x14x14_w64x32x5x5/fwd+bwd")->UseRealTime();
BENCHMARK(dense1_fwd)->Name("dense/128x3136_x_3136x1024/fwd")->UseRealTime();
BENCHMARK(dense1_fwd_bwd)->Name("dense/128x3136_x_3136x1024/fwd+bwd")->UseRealTime();
BENCHMARK(dense2_fwd)->Name("dense/128x1024_x_1024x10/fwd")->UseRealTime();
BENCHMARK(dense2_fwd_bwd)->Name("dense/128x1024_x_1024x10/fwd+bwd")->UseRealTime();
BENCHMARK(pool1_fwd)->Name("max_pool2d/x128x32x28x28_2x2s2/fwd")->UseRealTime();
BENCHMARK(pool1_fwd_bwd)->Name("max_pool2d/x128x32x28x28_2x2s2/fwd+bwd")->UseRealTime();
BENCHMARK(pool2_fwd)->Name("max_pool2d/x128x64x14x14_2x2s2/fwd")->UseRealTime();
BENCHMARK(pool2_fwd_bwd)->Name("max_pool2d/x128x64x14x14_2x2s2/fwd+bwd")->UseRealTime();
BENCHMARK(gemm_conv1)->Name("gemm/32x25_x_25x100352")->UseRealTime();
BENCHMARK(gemm_conv2)->Name("gemm/64x800_x_800x25088")->UseRealTime();
BENCHMARK(gemm_dense1)->Name("gemm/128x3136_x_3136x1024")->UseRealTime();
BENCHMARK(gemm_per_image_conv1)->Name("gemm_per_image/128_x_32x25_x_25x784")->UseRealTime();
BENCHMARK(gemm_per_image_conv2)->Name("gemm_per_image/128_x_64x800_x_800x196")->UseRealTime();

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("cpu_threads", std::to_string(deepobs::kernels::cpu::cpu_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
