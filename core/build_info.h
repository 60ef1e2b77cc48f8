// What this binary is and what it runs on: recorded in result files (DeepOBS issue #24) and
// printed by `deepobs info`.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace deepobs {

struct GpuInfo {
  int index = 0;
  std::string name;
  int compute_major = 0, compute_minor = 0;
  double memory_gib = 0;
  int multiprocessors = 0;
};

struct BuildInfo {
  std::string version;                    // deepobs-cpp version, e.g. "0.1.0"
  std::string git_commit;                 // commit the build was configured from, or "unknown"
  std::string compiler;                   // e.g. "GNU 12.2.0"
  std::string build_type;                 // CMake build type
  bool cuda_built = false;                // built with the CUDA backend
  std::string cuda_architectures;         // compiled GPU architectures, "" without CUDA
  int cuda_runtime = 0, cuda_driver = 0;  // 1000*major + 10*minor; 0 = none
  std::size_t cudnn = 0;
  int cublas = 0;
  int cpu_threads = 0;  // threads the CPU kernels use
  // The instruction set of the CPU kernels (kernels/cpu/isa.h): -march, x86-64 level, extensions
  // and Eigen's vector instruction sets.
  std::string cpu_march, cpu_isa_level, cpu_isa_extensions, eigen_simd;
  std::vector<GpuInfo> gpus;  // usable devices (empty without a GPU)
  std::string cuda_error;     // why no GPU is usable, when the runtime said so
};

// Collected once per call; never throws for a missing GPU or driver.
BuildInfo build_info();

}  // namespace deepobs
