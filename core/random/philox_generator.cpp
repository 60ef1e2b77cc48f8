#include "core/random/philox_generator.h"

#include <cmath>

#include "core/backend.h"
#include "kernels/cpu/random.h"
#include "kernels/cuda/random.h"
#include "kernels/philox.h"

namespace deepobs {
namespace {

constexpr std::uint64_t kCallLimit = std::uint64_t{1} << 32;
constexpr std::uint32_t kStreamIndexLimit = std::uint32_t{1} << 24;

void check_normal(const char* op, double mean, double stddev) {
  DEEPOBS_CHECK(std::isfinite(mean) && std::isfinite(stddev) && stddev >= 0, op,
                ": needs a finite mean and a finite stddev >= 0, got mean = ", mean,
                ", stddev = ", stddev);
}

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

template <class F>
void PhiloxGenerator::draw(const char* op, const Tensor& t, const Tensor& call, F&& fill) {
  backend::launch(op, t, [](auto) {});  // dtype and device first: a bad call draws nothing
  DEEPOBS_CHECK(t.numel() <= kMaxElements, op, ": ", t.str(), " has more than 2^33 elements");
  const std::int64_t* call_at = nullptr;  // the call index in device memory
  std::uint32_t index = 0;
  if (call.defined()) {
    DEEPOBS_CHECK(call.dtype() == DType::I64 && call.numel() == 1 && call.device() == t.device(),
                  op, ": the call index must be one i64 on ", t.device().str(), ", got ",
                  call.str());
    call_at = call.data<std::int64_t>();
    if (t.device().is_cpu()) index = static_cast<std::uint32_t>(*call_at);
  } else {
    index = take_call();
  }
  const auto d = kernels::make_philox_draw(seed_, stream_, index);
  backend::launch(op, t,
                  [&](auto be) { fill(be, d, call_at, t.data<typename decltype(be)::type>()); });
}

// Each draw: the CPU kernel with the reserved index, or the CUDA kernel reading it on the device.
#define DEEPOBS_DRAW(be, name, d, at, out, ...)                        \
  do {                                                                 \
    if constexpr (decltype(be)::is_cpu)                                \
      kernels::cpu::name(d, out, t.numel(), __VA_ARGS__);              \
    else                                                               \
      kernels::cuda::name(be.ctx, d, out, t.numel(), __VA_ARGS__, at); \
  } while (0)

void PhiloxGenerator::uniform_(const Tensor& t, double lo, double hi, const Tensor& call) {
  DEEPOBS_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo <= hi,
                "uniform_: needs finite lo <= hi, got lo = ", lo, ", hi = ", hi);
  draw("uniform_", t, call, [&](auto be, const auto& d, auto at, auto* out) {
    DEEPOBS_DRAW(be, random_uniform, d, at, out, lo, hi);
  });
}

void PhiloxGenerator::normal_(const Tensor& t, double mean, double stddev, const Tensor& call) {
  check_normal("normal_", mean, stddev);
  draw("normal_", t, call, [&](auto be, const auto& d, auto at, auto* out) {
    DEEPOBS_DRAW(be, random_normal, d, at, out, mean, stddev);
  });
}

void PhiloxGenerator::truncated_normal_(const Tensor& t, double mean, double stddev,
                                        const Tensor& call) {
  check_normal("truncated_normal_", mean, stddev);
  draw("truncated_normal_", t, call, [&](auto be, const auto& d, auto at, auto* out) {
    DEEPOBS_DRAW(be, random_truncated_normal, d, at, out, mean, stddev);
  });
}

void PhiloxGenerator::keep_mask_(const Tensor& t, double rate, double keep_value,
                                 const Tensor& call) {
  DEEPOBS_CHECK(rate >= 0 && rate <= 1, "keep_mask_: rate must be in [0, 1], got ", rate);
  DEEPOBS_CHECK(std::isfinite(keep_value), "keep_mask_: keep_value must be finite, got ",
                keep_value);
  draw("keep_mask_", t, call, [&](auto be, const auto& d, auto at, auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    DEEPOBS_DRAW(be, random_keep_mask, d, at, out, rate, static_cast<T>(keep_value));
  });
}

#undef DEEPOBS_DRAW

Tensor PhiloxGenerator::permutation(std::int64_t n) {
  DEEPOBS_CHECK(n >= 0 && n <= kMaxElements, "permutation: n must be in [0, 2^33], got ", n);
  Tensor out = Tensor::empty({n}, DType::I64);
  kernels::cpu::random_permutation(kernels::make_philox_draw(seed_, stream_, take_call()),
                                   out.data<std::int64_t>(), n);
  return out;
}

}  // namespace deepobs
