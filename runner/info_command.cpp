#include "runner/info_command.h"

#include <iomanip>

#include "core/build_info.h"

namespace deepobs::runner {
namespace {

std::string version_str(int v) {
  if (v <= 0) return "none";
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

// What --device auto picks, and why in plain words when it is not a GPU.
std::string auto_device_line(const BuildInfo& info) {
  std::string line = "--device auto: ";
  if (!info.gpus.empty()) return line + "cuda:0 (" + info.gpus.front().name + ")\n";
  line += "cpu, no GPU is usable: ";
  if (!info.cuda_built) return line + "this binary was built without the CUDA backend\n";
  return line + (info.cuda_error.empty() ? "the CUDA runtime found no device" : info.cuda_error) +
         "\n";
}

}  // namespace

int info_command(std::ostream& out) {
  const BuildInfo info = build_info();
  out << "deepobs-cpp " << info.version << " (commit " << info.git_commit << ", " << info.build_type
      << ", " << info.compiler << ")\n";
  out << "CPU threads:   " << info.cpu_threads
      << " (DEEPOBS_NUM_THREADS or OMP_NUM_THREADS to change)\n";
  out << "CPU kernels:   " << info.cpu_isa_level
      << " (-march=" << (info.cpu_march.empty() ? "default" : info.cpu_march) << ": "
      << info.cpu_isa_extensions << "; Eigen " << info.eigen_simd << ")\n";
  if (!info.cuda_built) {
    out << "CUDA backend:  not built (CPU-only build; configure with -DDEEPOBS_CUDA=ON)\n";
    out << auto_device_line(info);
    return 0;
  }
  out << "CUDA backend:  built for sm_" << info.cuda_architectures << "; runtime "
      << version_str(info.cuda_runtime) << ", driver " << version_str(info.cuda_driver)
      << ", cuDNN " << info.cudnn << ", cuBLAS " << info.cublas << "\n";
  if (info.gpus.empty()) {
    out << "GPUs:          none usable"
        << (info.cuda_error.empty() ? "" : " (" + info.cuda_error + ")") << "\n";
  }
  for (const auto& g : info.gpus) {
    out << "GPU " << g.index << ":         " << g.name << ", compute " << g.compute_major << "."
        << g.compute_minor << ", " << std::fixed << std::setprecision(1) << g.memory_gib << " GiB, "
        << g.multiprocessors << " SMs\n";
  }
  out << auto_device_line(info);
  return 0;
}

}  // namespace deepobs::runner
