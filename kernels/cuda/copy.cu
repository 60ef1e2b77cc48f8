// Block copies, dtype conversions and fills on a CUDA device (kernels/cuda/copy.h).
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/copy.h"

namespace deepobs::kernels::cuda {
namespace {

constexpr int kThreads = 256;

template <class S, class D>
__global__ void convert_kernel(const S* src, D* dst, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[i] = static_cast<D>(src[i]);
}

template <class T>
__global__ void fill_kernel(T* data, T value, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    data[i] = value;
}

// Calls f(T{}) with the C++ type of `type`.
template <class F>
void with_type(ElementType type, F&& f) {
  switch (type) {
    case ElementType::kF32:
      f(float{});
      return;
    case ElementType::kF64:
      f(double{});
      return;
    case ElementType::kI32:
      f(std::int32_t{});
      return;
    case ElementType::kI64:
      f(std::int64_t{});
      return;
    case ElementType::kU8:
      f(std::uint8_t{});
      return;
  }
  throw CudaError("unknown element type " + std::to_string(static_cast<int>(type)));
}

}  // namespace

void copy_rows(KernelContext& ctx, const void* src, std::int64_t src_pitch, void* dst,
               std::int64_t dst_pitch, std::int64_t rows, std::int64_t row_bytes) {
  if (rows <= 0 || row_bytes <= 0) return;
  DeviceGuard guard(ctx.device());
  if (rows == 1) {
    DEEPOBS_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<std::size_t>(row_bytes),
                                       cudaMemcpyDeviceToDevice, ctx.stream()));
    return;
  }
  DEEPOBS_CUDA_CHECK(
      cudaMemcpy2DAsync(dst, static_cast<std::size_t>(dst_pitch), src,
                        static_cast<std::size_t>(src_pitch), static_cast<std::size_t>(row_bytes),
                        static_cast<std::size_t>(rows), cudaMemcpyDeviceToDevice, ctx.stream()));
}

void convert(KernelContext& ctx, const void* src, ElementType src_type, void* dst,
             ElementType dst_type, std::int64_t n) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  with_type(src_type, [&](auto s) {
    using S = decltype(s);
    with_type(dst_type, [&](auto d) {
      using D = decltype(d);
      convert_kernel<S, D><<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(
          static_cast<const S*>(src), static_cast<D*>(dst), n);
      DEEPOBS_CUDA_CHECK_LAUNCH();
    });
  });
}

void fill(KernelContext& ctx, void* data, ElementType type, std::int64_t n, double value) {
  if (n <= 0) return;
  DeviceGuard guard(ctx.device());
  with_type(type, [&](auto t) {
    using T = decltype(t);
    fill_kernel<T><<<grid_for(n, kThreads), kThreads, 0, ctx.stream()>>>(static_cast<T*>(data),
                                                                         static_cast<T>(value), n);
    DEEPOBS_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace deepobs::kernels::cuda
