// The per-device execution context of the CUDA kernels, seen from code that must not include CUDA
// headers (core/, tests, benchmarks). The full definition lives in kernels/cuda/context.cuh.
//
// One KernelContext exists per CUDA device, created on first use and kept for the life of the
// process. It owns a non-blocking stream (every kernel, copy and library call of the backend runs
// on it, never on the legacy default stream), the cuBLAS and cuDNN handles bound to that stream, a
// growable workspace for cuDNN/cuBLAS, and the numerical policies. deepobs drives a device from one
// control thread; a context must not be used by two threads at once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace deepobs::kernels::cuda {

// Numerical policies of a device, fixed before the first kernel runs (set_policies).
struct Policies {
  // cuDNN may only use deterministic algorithms, and kernels that would use floating-point atomics
  // use a fixed-order reduction instead: reruns give bit-identical results.
  bool deterministic = false;
  // cuBLAS and cuDNN may use TF32 tensor cores for f32 data. Off by default: strict FP32.
  bool tf32 = false;
};

class KernelContext;

// The context of CUDA device `device` (created on first call; throws CudaError when the device
// cannot be initialised).
KernelContext& context(int device);

// The context's stream as a cudaStream_t passed as void*.
void* stream(KernelContext& ctx);
int device_index(const KernelContext& ctx);

// Replaces the policies. Clears the cached convolution plans, since their algorithms depend on
// the policies.
void set_policies(KernelContext& ctx, const Policies& policies);
const Policies& policies(const KernelContext& ctx);

// Waits until all work queued on the context's stream has finished (throws CudaError on a failure
// of that work).
void synchronize(KernelContext& ctx);

}  // namespace deepobs::kernels::cuda
