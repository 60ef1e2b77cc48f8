// core/cuda_backend.h except conv_plans(), which lives with the convolution code
// (core/cuda_backend_conv.cpp).
#include "core/cuda_backend.h"

#include <chrono>

#include "core/error.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/context.h"
#include "kernels/cuda/events.h"
#include "kernels/cuda/memory.h"
#endif

namespace deepobs::cuda_backend {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

#if DEEPOBS_WITH_CUDA
// The context of a CUDA device that this machine has (clear error otherwise).
kernels::cuda::KernelContext& context_of(Device device) {
  DEEPOBS_CHECK(device.index >= 0 && device.index < Device::cuda_device_count(), "device ",
                device.str(), ": this machine has ", Device::cuda_device_count(),
                " usable CUDA device(s)");
  return kernels::cuda::context(device.index);
}
#endif

}  // namespace

void set_policies(Device device, const Policies& policies) {
  if (device.is_cpu()) return;
#if DEEPOBS_WITH_CUDA
  kernels::cuda::set_policies(context_of(device), {policies.deterministic, policies.tf32});
#else
  (void)policies;
#endif
}

Policies policies(Device device) {
  if (device.is_cpu()) return {};
#if DEEPOBS_WITH_CUDA
  const auto& p = kernels::cuda::policies(context_of(device));
  return {p.deterministic, p.tf32};
#else
  return {};
#endif
}

MemoryStats memory_stats(Device device) {
  if (device.is_cpu()) return {};
#if DEEPOBS_WITH_CUDA
  if (device.index < 0 || device.index >= Device::cuda_device_count()) return {};
  const auto s = kernels::cuda::device_memory_stats(device.index);
  return {s.current_bytes, s.peak_bytes, s.reserved_bytes, s.cuda_malloc_calls};
#else
  return {};
#endif
}

void synchronize(Device device) {
  if (device.is_cpu()) return;
#if DEEPOBS_WITH_CUDA
  kernels::cuda::synchronize(context_of(device));
#endif
}

void* stream(Device device) {
  if (device.is_cpu()) return nullptr;
#if DEEPOBS_WITH_CUDA
  return kernels::cuda::stream(context_of(device));
#else
  return nullptr;
#endif
}

EventTimer::EventTimer(Device device) : device_(device) {
#if DEEPOBS_WITH_CUDA
  if (device_.is_cuda()) {
    auto& ctx = context_of(device_);
    start_event_ = kernels::cuda::event_create(ctx);
    try {
      stop_event_ = kernels::cuda::event_create(ctx);
    } catch (...) {
      kernels::cuda::event_destroy(start_event_);
      throw;
    }
  }
#endif
}

EventTimer::~EventTimer() {
#if DEEPOBS_WITH_CUDA
  kernels::cuda::event_destroy(start_event_);
  kernels::cuda::event_destroy(stop_event_);
#endif
}

void EventTimer::start() {
#if DEEPOBS_WITH_CUDA
  if (device_.is_cuda()) {
    kernels::cuda::event_record(context_of(device_), start_event_);
    return;
  }
#endif
  host_start_ns_ = now_ns();
}

double EventTimer::stop_ms() {
#if DEEPOBS_WITH_CUDA
  if (device_.is_cuda()) {
    auto& ctx = context_of(device_);
    kernels::cuda::event_record(ctx, stop_event_);
    return kernels::cuda::event_elapsed_ms(start_event_, stop_event_);
  }
#endif
  return static_cast<double>(now_ns() - host_start_ns_) / 1e6;
}

}  // namespace deepobs::cuda_backend
