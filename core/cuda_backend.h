// What the layers above core/ (datasets, optimizers, problems, runner) may ask of the CUDA backend
// without including kernels/. Every function works in every build: in a CPU-only build, or for a
// CPU device, the queries return empty/zero results and the setters do nothing, so callers need no
// #if. Defined in core/cuda_backend.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"

namespace deepobs::cuda_backend {

// Numerical policies (kernels/cuda/context.h explains them). Set once, before the first op on the
// device; setting them clears the convolution plan cache.
struct Policies {
  bool deterministic = false;
  bool tf32 = false;
};
void set_policies(Device device, const Policies& policies);
Policies policies(Device device);

// One convolution plan chosen by the backend: the algorithm cuDNN's heuristics/benchmark picked
// for one (operation, shape) and its workspace. Recorded in the result JSON.
struct ConvPlanRecord {
  std::string operation;  // "conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter"
  std::string shape;      // "x[128,1,28,28] w[32,1,5,5] stride 1x1 pad 2,2,2,2"
  std::string algorithm;  // cuDNN's enum name, e.g. "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM"
  std::size_t workspace_bytes = 0;
};
// Every plan chosen on the device so far, in the order they were first needed.
std::vector<ConvPlanRecord> conv_plans(Device device);

// Device memory statistics of the caching allocator (zeros for the CPU / without CUDA).
struct MemoryStats {
  std::int64_t current_bytes = 0;
  std::int64_t peak_bytes = 0;
  std::int64_t reserved_bytes = 0;
  std::int64_t cuda_malloc_calls = 0;
};
MemoryStats memory_stats(Device device);

// Blocks until all queued work of the device has finished (no-op for the CPU).
void synchronize(Device device);

// The device's stream as a cudaStream_t passed as void* (nullptr for the CPU). For plugins and
// timing (CUDA events are recorded on it).
void* stream(Device device);

// Times many intervals on a device's stream without synchronising inside them: begin()/end()
// record a pair of pooled CUDA events (host clock readings on the CPU), and collect_ms() waits
// for the recorded intervals and returns their durations in order. So a training step can be
// timed every step at the cost of two event records, and the one synchronisation happens when the
// figures are needed (or every kMaxPending intervals, to bound the event pool).
class IntervalTimer {
 public:
  static constexpr std::size_t kMaxPending = 1024;
  explicit IntervalTimer(Device device);
  ~IntervalTimer();
  IntervalTimer(const IntervalTimer&) = delete;
  IntervalTimer& operator=(const IntervalTimer&) = delete;
  void begin();
  void end();  // must follow begin()
  // Milliseconds of every interval ended since the last call, oldest first (waits for them).
  std::vector<double> collect_ms();

 private:
  Device device_;
  std::vector<std::pair<void*, void*>> pool_;  // cudaEvent_t pairs not in use
  std::vector<std::pair<void*, void*>> pending_;
  std::vector<double> done_ms_;
  std::pair<void*, void*> open_{nullptr, nullptr};
  std::int64_t host_start_ns_ = 0;
  bool open_interval_ = false;
};

// Reads single-element tensors (a mini-batch loss) back to the host without stalling the device:
// push() queues an asynchronous copy into pinned host memory on the device's stream, pop() returns
// the oldest queued value, waiting only for that copy. On the CPU push() reads the value at once.
// The pushed tensor may be freed right after push(): the copy is ordered on the stream before any
// later reuse of its memory.
class ScalarReadback {
 public:
  explicit ScalarReadback(Device device);
  ~ScalarReadback();
  ScalarReadback(const ScalarReadback&) = delete;
  ScalarReadback& operator=(const ScalarReadback&) = delete;
  // `t` must hold one f32 or f64 element on this readback's device.
  void push(const Tensor& t);
  std::size_t pending() const { return queue_.size(); }
  // The oldest pushed value; throws deepobs::Error when nothing is pending.
  double pop();

 private:
  struct Slot {
    void* pinned = nullptr;  // 8 bytes of page-locked memory
    void* event = nullptr;   // cudaEvent_t recorded after the copy
    bool f64 = false;
    double value = 0.0;  // CPU: the value itself
  };
  Device device_;
  std::vector<Slot> free_;
  std::vector<Slot> queue_;  // oldest first
};

}  // namespace deepobs::cuda_backend
