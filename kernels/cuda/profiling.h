// The CUDA side of the op profiler (core/profiler.h), seen from code that must not include CUDA
// headers: NVTX3 ranges, CUPTI activity records of the kernels each op launched, and the device's
// limits. Defined only in a CUDA build (kernels/cuda/profiling.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deepobs::kernels::cuda {

// NVTX3 push/pop of a range named `name` in deepobs' NVTX domain ("deepobs"); cost nothing
// measurable without an attached tool. Never throw.
void nvtx_push(const char* name) noexcept;
void nvtx_pop() noexcept;
// True when an NVTX tool (Nsight Systems / Compute) is injected into this process.
bool nvtx_tool_attached() noexcept;

// One kernel, memcpy or memset from CUPTI's activity buffers. Times are CUPTI timestamps (ns on
// the host's clock base, cuptiGetTimestamp).
struct TracedKernel {
  std::string name;               // demangled kernel name, or "memcpy HtoD"/"memset" …
  std::uint64_t external_id = 0;  // the op scope's id pushed by kernel_trace_push, 0 outside
  std::uint64_t begin_ns = 0, end_ns = 0;
  std::uint32_t stream = 0;
  bool is_kernel = true;
};

// Starts CUPTI activity tracing of kernels, memcpys and memsets with external correlation.
// Returns false (and why in `error`) when CUPTI is unavailable, e.g. without the permission to
// profile (then nothing is traced and the other calls do nothing).
bool kernel_trace_start(std::string* error);
// While an id is pushed, every CUDA launch made by this thread (cuDNN's and cuBLAS's internal
// ones included) is tagged with it.
void kernel_trace_push(std::uint64_t id) noexcept;
void kernel_trace_pop() noexcept;
// Flushes CUPTI's buffers and returns every record completed since the last call.
std::vector<TracedKernel> kernel_trace_flush();
void kernel_trace_stop() noexcept;
// CUPTI's current timestamp (0 when tracing is not running).
std::uint64_t kernel_trace_timestamp() noexcept;

// The device's FP32 peak and DRAM bandwidth from its properties: SMs × FP32 lanes per SM (by
// compute capability) × 2 FLOPs per FMA × SM clock, and 2 (double data rate) × memory clock ×
// bus width. `how` says how they were obtained. False (and why in `error`) on failure.
struct DeviceLimits {
  double fp32_flops_per_s = 0;
  double bytes_per_s = 0;
  std::string how;
};
bool device_limits(int index, DeviceLimits* out, std::string* error);

}  // namespace deepobs::kernels::cuda
