// core/cuda_backend.h: the CUDA backend as the layers above core/ see it. Every function works in
// every build: on the CPU (or without CUDA) queries are empty and setters do nothing.
#include "core/cuda_backend.h"

#include <chrono>

#include "core/backend.h"
#include "kernels/cuda/cudnn_conv.h"
#include "kernels/cuda/events.h"
#include "kernels/cuda/memory.h"

namespace deepobs::cuda_backend {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool on_gpu(Device device) {
  return backend::kCuda && device.is_cuda();
}

// A pair of CUDA events (start, stop), created together.
std::pair<void*, void*> event_pair(Device device) {
  if constexpr (backend::kCuda) {
    auto& ctx = backend::context(device);
    void* a = kernels::cuda::event_create(ctx);
    try {
      return {a, kernels::cuda::event_create(ctx)};
    } catch (...) {
      kernels::cuda::event_destroy(a);
      throw;
    }
  }
  return {nullptr, nullptr};
}

}  // namespace

void set_policies(Device device, const Policies& policies) {
  if constexpr (backend::kCuda) {
    if (device.is_cuda())
      kernels::cuda::set_policies(backend::context(device),
                                  {policies.deterministic, policies.tf32});
  }
}

Policies policies(Device device) {
  if constexpr (backend::kCuda) {
    if (device.is_cuda()) {
      const auto& p = kernels::cuda::policies(backend::context(device));
      return {p.deterministic, p.tf32};
    }
  }
  return {};
}

std::vector<ConvPlanRecord> conv_plans(Device device) {
  std::vector<ConvPlanRecord> out;
  if constexpr (backend::kCuda) {
    if (device.is_cuda())
      for (const auto& p : kernels::cuda::conv_plan_records(device.index))
        out.push_back(ConvPlanRecord{p.operation, p.shape, p.algorithm, p.workspace_bytes});
  }
  return out;
}

MemoryStats memory_stats(Device device) {
  if constexpr (backend::kCuda) {
    if (device.is_cuda() && device.index >= 0 && device.index < Device::cuda_device_count()) {
      const auto s = kernels::cuda::device_memory_stats(device.index);
      return {s.current_bytes, s.peak_bytes, s.reserved_bytes, s.cuda_malloc_calls};
    }
  }
  return {};
}

void synchronize(Device device) {
  if constexpr (backend::kCuda) {
    if (device.is_cuda()) kernels::cuda::synchronize(backend::context(device));
  }
}

void* stream(Device device) {
  if constexpr (backend::kCuda) {
    if (device.is_cuda()) return kernels::cuda::stream(backend::context(device));
  }
  return nullptr;
}

IntervalTimer::IntervalTimer(Device device) : device_(device) {}

IntervalTimer::~IntervalTimer() {
  if constexpr (backend::kCuda) {
    pool_.insert(pool_.end(), pending_.begin(), pending_.end());
    pool_.push_back(open_);
    for (auto& [a, b] : pool_) {
      kernels::cuda::event_destroy(a);
      kernels::cuda::event_destroy(b);
    }
  }
}

void IntervalTimer::begin() {
  DEEPOBS_CHECK(!open_interval_, "IntervalTimer: begin() twice without end()");
  open_interval_ = true;
  host_start_ns_ = now_ns();
  if (!on_gpu(device_)) return;
  if (pending_.size() >= kMaxPending) done_ms_ = collect_ms();  // bounds the pool
  if (pool_.empty()) pool_.push_back(event_pair(device_));
  open_ = pool_.back();
  pool_.pop_back();
  if constexpr (backend::kCuda) kernels::cuda::event_record(backend::context(device_), open_.first);
}

void IntervalTimer::end() {
  DEEPOBS_CHECK(open_interval_, "IntervalTimer: end() without begin()");
  open_interval_ = false;
  if (!on_gpu(device_)) {
    done_ms_.push_back(static_cast<double>(now_ns() - host_start_ns_) / 1e6);
    return;
  }
  if constexpr (backend::kCuda)
    kernels::cuda::event_record(backend::context(device_), open_.second);
  pending_.push_back(open_);
  open_ = {nullptr, nullptr};
}

std::vector<double> IntervalTimer::collect_ms() {
  std::vector<double> out = std::move(done_ms_);
  done_ms_.clear();
  if constexpr (backend::kCuda) {
    for (auto& pair : pending_) {
      out.push_back(kernels::cuda::event_elapsed_ms(pair.first, pair.second));
      pool_.push_back(pair);
    }
  }
  pending_.clear();
  return out;
}

ScalarReadback::ScalarReadback(Device device) : device_(device) {}

ScalarReadback::~ScalarReadback() {
  if constexpr (backend::kCuda) {
    // Copies still in flight write into the pinned slots: let them land before freeing.
    for (Slot& s : queue_) {
      try {
        if (s.event) kernels::cuda::event_synchronize(s.event);
      } catch (...) {  // a failed device: nothing left to wait for
      }
    }
    for (auto* list : {&free_, &queue_})
      for (Slot& s : *list) {
        if (s.event) kernels::cuda::event_destroy(s.event);
        if (s.pinned) kernels::cuda::host_pinned_deallocate(s.pinned);
      }
  }
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
  if constexpr (backend::kCuda) {
    if (device_.is_cuda()) {
      auto& ctx = backend::context(device_);
      if (!slot.pinned) slot.pinned = kernels::cuda::host_pinned_allocate(sizeof(double));
      if (!slot.event) slot.event = kernels::cuda::event_create(ctx);
      slot.f64 = t.dtype() == DType::F64;
      kernels::cuda::copy_device_to_host_async(device_.index, slot.pinned, t.raw_data(),
                                               t.nbytes());
      kernels::cuda::event_record(ctx, slot.event);
      queue_.push_back(slot);
      return;
    }
  }
  slot.value = t.item();
  queue_.push_back(slot);
}

double ScalarReadback::pop() {
  DEEPOBS_CHECK(!queue_.empty(), "ScalarReadback: pop() with nothing pending");
  Slot slot = queue_.front();
  queue_.erase(queue_.begin());
  double value = slot.value;
  if constexpr (backend::kCuda) {
    if (device_.is_cuda()) {
      kernels::cuda::event_synchronize(slot.event);
      value = slot.f64 ? *static_cast<const double*>(slot.pinned)
                       : static_cast<double>(*static_cast<const float*>(slot.pinned));
    }
  }
  free_.push_back(slot);
  return value;
}

}  // namespace deepobs::cuda_backend
