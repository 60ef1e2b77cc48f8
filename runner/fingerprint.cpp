#include "runner/fingerprint.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include "core/build_info.h"

namespace deepobs::runner {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

nlohmann::ordered_json run_fingerprint() {
  const BuildInfo b = build_info();
  nlohmann::ordered_json j;
  j["deepobs_cpp_version"] = b.version;
  j["git_commit"] = b.git_commit;
  j["build_type"] = b.build_type;
  j["compiler"] = b.compiler;
  j["host"] = host_name();
  j["cpu"] = cpu_model();
  j["cpu_threads"] = b.cpu_threads;
  j["cpu_kernels_isa"] = {{"march", b.cpu_march},
                          {"level", b.cpu_isa_level},
                          {"extensions", b.cpu_isa_extensions},
                          {"eigen", b.eigen_simd}};
  j["cuda_built"] = b.cuda_built;
  j["cuda_architectures"] = b.cuda_architectures;
  j["cuda_runtime"] = b.cuda_runtime;
  j["cuda_driver"] = b.cuda_driver;
  j["cudnn"] = b.cudnn;
  j["cublas"] = b.cublas;
  nlohmann::ordered_json gpus = nlohmann::ordered_json::array();
  for (const auto& g : b.gpus)
    gpus.push_back({{"index", g.index},
                    {"name", g.name},
                    {"compute_capability",
                     std::to_string(g.compute_major) + "." + std::to_string(g.compute_minor)},
                    {"memory_gib", g.memory_gib}});
  j["gpus"] = gpus;
  return j;
}

}  // namespace deepobs::runner
