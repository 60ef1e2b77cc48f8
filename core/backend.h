// The one place where a tensor's device and dtype choose the code that runs.
//
// An op writes its kernel call once, as a generic body, and launch() instantiates it for the
// tensor's backend: Cpu<float> or Cpu<double> (the Eigen twins in kernels/cpu) or Cuda (the f32
// kernels in kernels/cuda, with the device's KernelContext). DEEPOBS_KERNEL calls a kernel of the
// same name on either side. In a CPU-only build the Cuda branch is never instantiated, so no file
// but this header tests DEEPOBS_WITH_CUDA and no op file needs an #if.
#pragma once

#include <type_traits>

#include "core/tensor.h"
#include "kernels/cuda/context.h"

namespace deepobs::backend {

#if DEEPOBS_WITH_CUDA
inline constexpr bool kCuda = true;
#else
inline constexpr bool kCuda = false;
#endif

// The kernel set a body is instantiated for; `type` is the element type of its floating tensors.
template <class T>
struct Cpu {
  using type = T;
  static constexpr bool is_cpu = true;
};
struct Cuda {
  using type = float;
  static constexpr bool is_cpu = false;
  kernels::cuda::KernelContext& ctx;
};

// Throws "<op>: no kernel for <t>: <why>".
[[noreturn]] void unsupported(const char* op, const Tensor& t, const char* why);
// Throws deepobs::Error unless `device` exists in this build and on this machine.
void check_device(Device device);
// The kernel context of a CUDA device (throws in a CPU-only build).
kernels::cuda::KernelContext& context(Device device);
// Copies `bytes` bytes between any two devices (either may be the CPU); transfers that involve
// the host return once the data has arrived.
void copy_bytes(Device dst_device, void* dst, Device src_device, const void* src,
                std::size_t bytes);

// body(Cpu<void>{}) or body(Cuda{ctx}) for `device`: for ops that move bytes of any dtype.
template <class F>
decltype(auto) launch_any(const char* op, const Tensor& t, F&& body) {
  if (t.device().is_cpu()) return body(Cpu<void>{});
  if constexpr (kCuda) {
    return body(Cuda{context(t.device())});
  } else {
    unsupported(op, t, "this deepobs build has no CUDA backend (configure with -DDEEPOBS_CUDA=ON)");
  }
}

// body(Cpu<float>{}), body(Cpu<double>{}) or body(Cuda{ctx}) for a floating tensor `t`; throws
// "<op>: …" for another dtype and for f64 on a GPU (the CUDA kernels are f32 only).
template <class F>
decltype(auto) launch(const char* op, const Tensor& t, F&& body) {
  check_floating(op, "input", t);
  const bool f64 = t.dtype() == DType::F64;
  if (t.device().is_cuda() && f64)
    unsupported(op, t,
                "the CUDA kernels are f32 only (f64 runs on the CPU: use --device cpu or convert "
                "with .to(DType::F32))");
  return launch_any(op, t, [&](auto b) -> decltype(auto) {
    if constexpr (!decltype(b)::is_cpu) {
      return body(b);
    } else if (f64) {
      return body(Cpu<double>{});
    } else {
      return body(Cpu<float>{});
    }
  });
}

}  // namespace deepobs::backend

// One kernel call for the backend `b` of a launch() body: kernels::cpu::name(args...) on the CPU,
// kernels::cuda::name(ctx, args...) on a GPU (the twins take the same arguments).
#define DEEPOBS_KERNEL(b, name, ...)                        \
  do {                                                      \
    if constexpr (std::decay_t<decltype(b)>::is_cpu)        \
      ::deepobs::kernels::cpu::name(__VA_ARGS__);           \
    else                                                    \
      ::deepobs::kernels::cuda::name((b).ctx, __VA_ARGS__); \
  } while (0)
