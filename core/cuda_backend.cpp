// core/cuda_backend.h except conv_plans(), which lives with the convolution code
// (core/cuda_backend_conv.cpp).
#include "core/cuda_backend.h"

#include <chrono>
#include <utility>

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

IntervalTimer::IntervalTimer(Device device) : device_(device) {}

IntervalTimer::~IntervalTimer() {
#if DEEPOBS_WITH_CUDA
  for (auto* list : {&pool_, &pending_})
    for (auto& [a, b] : *list) {
      kernels::cuda::event_destroy(a);
      kernels::cuda::event_destroy(b);
    }
  kernels::cuda::event_destroy(open_.first);
  kernels::cuda::event_destroy(open_.second);
#endif
}

void IntervalTimer::begin() {
  DEEPOBS_CHECK(!open_interval_, "IntervalTimer: begin() twice without end()");
  open_interval_ = true;
#if DEEPOBS_WITH_CUDA
  if (device_.is_cuda()) {
    if (pending_.size() >= kMaxPending) {
      const auto ms = collect_ms();  // bounds the pool; keeps the figures for the next call
      done_ms_ = ms;
    }
    auto& ctx = context_of(device_);
    if (pool_.empty()) {
      void* a = kernels::cuda::event_create(ctx);
      void* b = nullptr;
      try {
        b = kernels::cuda::event_create(ctx);
      } catch (...) {
        kernels::cuda::event_destroy(a);
        throw;
      }
      pool_.emplace_back(a, b);
    }
    open_ = pool_.back();
    pool_.pop_back();
    kernels::cuda::event_record(ctx, open_.first);
    return;
  }
#endif
  host_start_ns_ = now_ns();
}

void IntervalTimer::end() {
  DEEPOBS_CHECK(open_interval_, "IntervalTimer: end() without begin()");
  open_interval_ = false;
#if DEEPOBS_WITH_CUDA
  if (device_.is_cuda()) {
    kernels::cuda::event_record(context_of(device_), open_.second);
    pending_.push_back(open_);
    open_ = {nullptr, nullptr};
    return;
  }
#endif
  done_ms_.push_back(static_cast<double>(now_ns() - host_start_ns_) / 1e6);
}

std::vector<double> IntervalTimer::collect_ms() {
  std::vector<double> out = std::move(done_ms_);
  done_ms_.clear();
#if DEEPOBS_WITH_CUDA
  for (auto& pair : pending_) {
    out.push_back(kernels::cuda::event_elapsed_ms(pair.first, pair.second));
    pool_.push_back(pair);
  }
  pending_.clear();
#endif
  return out;
}

ScalarReadback::ScalarReadback(Device device) : device_(device) {}

ScalarReadback::~ScalarReadback() {
#if DEEPOBS_WITH_CUDA
  // Copies still in flight write into the pinned slots: let them land before freeing.
  for (Slot& s : queue_)
    if (s.event) {
      try {
        kernels::cuda::event_synchronize(s.event);
      } catch (...) {  // a failed device: nothing left to wait for
      }
    }
  for (auto* list : {&free_, &queue_})
    for (Slot& s : *list) {
      if (s.event) kernels::cuda::event_destroy(s.event);
      if (s.pinned) kernels::cuda::host_pinned_deallocate(s.pinned);
    }
#endif
}

void ScalarReadback::push(const Tensor& t) {
  DEEPOBS_CHECK(t.numel() == 1 && (t.dtype() == DType::F32 || t.dtype() == DType::F64),
                "ScalarReadback: needs one f32 or f64 element, got ", t.str());
  DEEPOBS_CHECK(t.device() == device_, "ScalarReadback: tensor ", t.str(), " is not on ",
                device_.str());
  Slot slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  }
#if DEEPOBS_WITH_CUDA
  if (device_.is_cuda()) {
    auto& ctx = context_of(device_);
    if (!slot.pinned) slot.pinned = kernels::cuda::host_pinned_allocate(sizeof(double));
    if (!slot.event) slot.event = kernels::cuda::event_create(ctx);
    slot.f64 = t.dtype() == DType::F64;
    kernels::cuda::copy_device_to_host_async(device_.index, slot.pinned, t.raw_data(), t.nbytes());
    kernels::cuda::event_record(ctx, slot.event);
    queue_.push_back(slot);
    return;
  }
#endif
  slot.value = t.item();
  queue_.push_back(slot);
}

double ScalarReadback::pop() {
  DEEPOBS_CHECK(!queue_.empty(), "ScalarReadback: pop() with nothing pending");
  Slot slot = queue_.front();
  queue_.erase(queue_.begin());
  double value = slot.value;
#if DEEPOBS_WITH_CUDA
  if (device_.is_cuda()) {
    kernels::cuda::event_synchronize(slot.event);
    value = slot.f64 ? *static_cast<const double*>(slot.pinned)
                     : static_cast<double>(*static_cast<const float*>(slot.pinned));
  }
#endif
  free_.push_back(slot);
  return value;
}

}  // namespace deepobs::cuda_backend
