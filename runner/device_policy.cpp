#include "runner/device_policy.h"

#include "core/build_info.h"
#include "core/error.h"

namespace deepobs::runner {
namespace {

std::string version_text(int v) {
  if (v <= 0) return "none";
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

}  // namespace

Device resolve_run_device(const std::string& requested) {
  if (requested == "cpu") return Device::cpu();
  if (requested == "auto") return Device::cuda_available() ? Device::cuda(0) : Device::cpu();
  DEEPOBS_CHECK(requested.rfind("cuda", 0) == 0,
                "--device must be auto, cpu, cuda or cuda:N, got '", requested, "'");
  const Device device = Device::parse(requested);  // rejects a malformed "cuda:x"
  DEEPOBS_CHECK(Device::cuda_built(), "--device ", requested,
                ": this deepobs was built without CUDA (rebuild with -DDEEPOBS_CUDA=ON on a "
                "machine with nvcc, or use --device cpu)");
  if (!Device::cuda_available()) {
    const std::string why = build_info().cuda_error;
    throw Error(cat("--device ", requested, ": no usable CUDA device",
                    why.empty() ? std::string() : " (" + why + ")",
                    "; use --device cpu or --device auto"));
  }
  DEEPOBS_CHECK(device.index < Device::cuda_device_count(), "--device ", requested,
                ": there is no CUDA device ", device.index, " (", Device::cuda_device_count(),
                " usable: cuda:0 … cuda:", Device::cuda_device_count() - 1, ")");
  return device;
}

// The backend is asked only for a CUDA device, which a CPU-only build never resolves to (see
// resolve_run_device): the CPU-only build therefore needs none of the backend's definitions.
void set_run_policies(Device device, const cuda_backend::Policies& policies) {
#if DEEPOBS_WITH_CUDA
  if (device.is_cuda()) cuda_backend::set_policies(device, policies);
#else
  (void)device;
  (void)policies;
#endif
}

nlohmann::ordered_json device_report(Device device, const cuda_backend::Policies& policies) {
  nlohmann::ordered_json out;
  nlohmann::ordered_json info;
  info["name"] = device.str();
  info["type"] = device.is_cuda() ? "cuda" : "cpu";
  if (device.is_cuda()) {
    const BuildInfo b = build_info();
    for (const auto& g : b.gpus) {
      if (g.index != device.index) continue;
      info["gpu"] = {{"name", g.name},
                     {"compute_capability",
                      std::to_string(g.compute_major) + "." + std::to_string(g.compute_minor)},
                     {"memory_gib", g.memory_gib},
                     {"multiprocessors", g.multiprocessors}};
    }
    info["cuda_runtime"] = version_text(b.cuda_runtime);
    info["cuda_driver"] = version_text(b.cuda_driver);
    info["cudnn"] = b.cudnn;
    info["cublas"] = b.cublas;
  }
  out["device_info"] = info;
  out["policies"] = {{"deterministic", policies.deterministic}, {"tf32", policies.tf32}};
  nlohmann::ordered_json plans = nlohmann::ordered_json::array();
#if DEEPOBS_WITH_CUDA
  if (device.is_cuda()) {
    for (const auto& p : cuda_backend::conv_plans(device))
      plans.push_back({{"operation", p.operation},
                       {"shape", p.shape},
                       {"algorithm", p.algorithm},
                       {"workspace_bytes", p.workspace_bytes}});
  }
#endif
  out["conv_algorithms"] = plans;  // the CPU has no algorithm choice: always empty
#if DEEPOBS_WITH_CUDA
  if (device.is_cuda()) {
    const auto m = cuda_backend::memory_stats(device);
    out["device_memory"] = {{"current_bytes", m.current_bytes},
                            {"peak_bytes", m.peak_bytes},
                            {"reserved_bytes", m.reserved_bytes},
                            {"cuda_malloc_calls", m.cuda_malloc_calls}};
  }
#endif
  return out;
}

}  // namespace deepobs::runner
