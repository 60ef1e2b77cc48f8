#include "core/random/philox_generator.h"

#include <cmath>

#include "core/ops/dispatch.h"
#include "kernels/cpu/random.h"
#include "kernels/philox.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/random.h"
#endif

namespace deepobs {
namespace {

constexpr std::uint64_t kCallLimit = std::uint64_t{1} << 32;
constexpr std::uint32_t kStreamIndexLimit = std::uint32_t{1} << 24;

}  // namespace

std::uint32_t rng_stream(RngPurpose purpose, std::uint32_t index) {
  DEEPOBS_CHECK(index < kStreamIndexLimit, "rng_stream: sub-stream index ", index,
                " does not fit in 24 bits");
  return (static_cast<std::uint32_t>(purpose) << 24) | index;
}

void PhiloxGenerator::set_calls(std::uint64_t calls) {
  DEEPOBS_CHECK(calls < kCallLimit, "PhiloxGenerator::set_calls: ", calls,
                " is beyond the 2^32 call indices of a stream");
  calls_ = calls;
}

std::uint32_t PhiloxGenerator::take_call() {
  DEEPOBS_CHECK(calls_ < kCallLimit, "PhiloxGenerator: all 2^32 draws of stream ", stream_,
                " (seed ", seed_, ") are used up");
  return static_cast<std::uint32_t>(calls_++);
}

std::uint32_t PhiloxGenerator::begin_draw(const char* op, const Tensor& t) {
  check_floating(op, "tensor", t);
  (void)ops::detail::backend_for(op, t);
  DEEPOBS_CHECK(t.numel() <= kMaxElements, op, ": ", t.str(), " has more than 2^33 elements");
  return take_call();
}

void PhiloxGenerator::uniform_(const Tensor& t, double lo, double hi) {
  DEEPOBS_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo <= hi,
                "uniform_: needs finite lo <= hi, got lo = ", lo, ", hi = ", hi);
  const auto d = kernels::make_philox_draw(seed_, stream_, begin_draw("uniform_", t));
  if (t.device().is_cuda()) {
#if DEEPOBS_WITH_CUDA
    auto& ctx = ops::detail::cuda_context(t);
    kernels::cuda::random_uniform(ctx, d, t.data<float>(), t.numel(), lo, hi);
#endif
    return;
  }
  ops::detail::dispatch_floating("uniform_", t, [&](auto v) {
    using T = decltype(v);
    kernels::cpu::random_uniform<T>(d, t.data<T>(), t.numel(), lo, hi);
  });
}

void PhiloxGenerator::normal_(const Tensor& t, double mean, double stddev) {
  DEEPOBS_CHECK(std::isfinite(mean) && std::isfinite(stddev) && stddev >= 0,
                "normal_: needs a finite mean and a finite stddev >= 0, got mean = ", mean,
                ", stddev = ", stddev);
  const auto d = kernels::make_philox_draw(seed_, stream_, begin_draw("normal_", t));
  if (t.device().is_cuda()) {
#if DEEPOBS_WITH_CUDA
    auto& ctx = ops::detail::cuda_context(t);
    kernels::cuda::random_normal(ctx, d, t.data<float>(), t.numel(), mean, stddev);
#endif
    return;
  }
  ops::detail::dispatch_floating("normal_", t, [&](auto v) {
    using T = decltype(v);
    kernels::cpu::random_normal<T>(d, t.data<T>(), t.numel(), mean, stddev);
  });
}

void PhiloxGenerator::truncated_normal_(const Tensor& t, double mean, double stddev) {
  DEEPOBS_CHECK(std::isfinite(mean) && std::isfinite(stddev) && stddev >= 0,
                "truncated_normal_: needs a finite mean and a finite stddev >= 0, got mean = ",
                mean, ", stddev = ", stddev);
  const auto d = kernels::make_philox_draw(seed_, stream_, begin_draw("truncated_normal_", t));
  if (t.device().is_cuda()) {
#if DEEPOBS_WITH_CUDA
    auto& ctx = ops::detail::cuda_context(t);
    kernels::cuda::random_truncated_normal(ctx, d, t.data<float>(), t.numel(), mean, stddev);
#endif
    return;
  }
  ops::detail::dispatch_floating("truncated_normal_", t, [&](auto v) {
    using T = decltype(v);
    kernels::cpu::random_truncated_normal<T>(d, t.data<T>(), t.numel(), mean, stddev);
  });
}

void PhiloxGenerator::keep_mask_(const Tensor& t, double rate, double keep_value) {
  DEEPOBS_CHECK(rate >= 0 && rate <= 1, "keep_mask_: rate must be in [0, 1], got ", rate);
  DEEPOBS_CHECK(std::isfinite(keep_value), "keep_mask_: keep_value must be finite, got ",
                keep_value);
  const auto d = kernels::make_philox_draw(seed_, stream_, begin_draw("keep_mask_", t));
  if (t.device().is_cuda()) {
#if DEEPOBS_WITH_CUDA
    auto& ctx = ops::detail::cuda_context(t);
    kernels::cuda::random_keep_mask(ctx, d, t.data<float>(), t.numel(), rate,
                                    static_cast<float>(keep_value));
#endif
    return;
  }
  ops::detail::dispatch_floating("keep_mask_", t, [&](auto v) {
    using T = decltype(v);
    kernels::cpu::random_keep_mask<T>(d, t.data<T>(), t.numel(), rate, static_cast<T>(keep_value));
  });
}

Tensor PhiloxGenerator::permutation(std::int64_t n) {
  DEEPOBS_CHECK(n >= 0 && n <= kMaxElements, "permutation: n must be in [0, 2^33], got ", n);
  Tensor out = Tensor::empty({n}, DType::I64);
  const auto d = kernels::make_philox_draw(seed_, stream_, take_call());
  kernels::cpu::random_permutation(d, out.data<std::int64_t>(), n);
  return out;
}

}  // namespace deepobs
