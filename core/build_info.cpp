#include "core/build_info.h"

#include "core/device.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/parallel.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/device_query.h"
#endif

#ifndef DEEPOBS_VERSION
#define DEEPOBS_VERSION "unknown"
#endif
#ifndef DEEPOBS_GIT_COMMIT
#define DEEPOBS_GIT_COMMIT "unknown"
#endif
#ifndef DEEPOBS_COMPILER
#define DEEPOBS_COMPILER "unknown"
#endif
#ifndef DEEPOBS_BUILD_TYPE
#define DEEPOBS_BUILD_TYPE "unknown"
#endif
#ifndef DEEPOBS_CUDA_ARCHITECTURES
#define DEEPOBS_CUDA_ARCHITECTURES ""
#endif

namespace deepobs {

BuildInfo build_info() {
  BuildInfo info;
  info.version = DEEPOBS_VERSION;
  info.git_commit = DEEPOBS_GIT_COMMIT;
  info.compiler = DEEPOBS_COMPILER;
  info.build_type = DEEPOBS_BUILD_TYPE;
  info.cuda_built = Device::cuda_built();
  info.cpu_threads = kernels::cpu::cpu_threads();
  const kernels::cpu::CpuIsa isa = kernels::cpu::cpu_isa();
  info.cpu_march = isa.march;
  info.cpu_isa_level = isa.level;
  info.cpu_isa_extensions = isa.extensions;
  info.eigen_simd = isa.eigen;
#if DEEPOBS_WITH_CUDA
  info.cuda_architectures = DEEPOBS_CUDA_ARCHITECTURES;
  info.cuda_runtime = kernels::cuda::runtime_version();
  info.cuda_driver = kernels::cuda::driver_version();
  info.cudnn = kernels::cuda::cudnn_version();
  info.cublas = kernels::cuda::cublas_version();
  const int count = kernels::cuda::device_count_noexcept(&info.cuda_error);
  for (int i = 0; i < count; ++i) {
    kernels::cuda::DeviceProperties p;
    if (!kernels::cuda::device_properties(i, &p, &info.cuda_error)) continue;
    info.gpus.push_back(GpuInfo{i, p.name, p.compute_major, p.compute_minor,
                                static_cast<double>(p.total_memory_bytes) / (1 << 30),
                                p.multiprocessors});
  }
#endif
  return info;
}

}  // namespace deepobs
