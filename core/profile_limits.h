// The limits `deepobs profile` compares achieved FLOP/s and bytes/s against.
//
// GPU: FP32 peak and DRAM bandwidth computed from the device's properties
// (kernels/cuda/profiling.h device_limits). CPU: measured at startup with short probes, the way
// tools/bench/bench_cpu_ops.cpp measures its ceiling: the best of a few f32 GEMMs through
// kernels::cpu::gemm (the kernel the dense and conv ops run, on the same thread pool) and the best
// of a few copies of a buffer larger than the caches. Both take well under a second.
#pragma once

#include <string>

#include "core/device.h"

namespace deepobs::profile {

struct Limits {
  double flops_per_second = 0;
  double bytes_per_second = 0;
  std::string flops_how;  // one line each: how the figure was obtained
  std::string bytes_how;
};

// Throws deepobs::Error when the device does not exist in this build or on this machine.
Limits measure_limits(Device device);

}  // namespace deepobs::profile
