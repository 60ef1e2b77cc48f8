#include "runner/cuda_graph_policy.h"

namespace deepobs::runner {

std::string_view cuda_graph_mode_name(CudaGraphMode mode) {
  return mode == CudaGraphMode::Auto ? "auto" : "off";
}

CudaGraphMode parse_cuda_graph_mode(std::string_view text) {
  if (text == "auto") return CudaGraphMode::Auto;
  if (text == "off") return CudaGraphMode::Off;
  throw Error(cat("--cuda_graph: unknown choice '", text, "' (auto or off)"));
}

std::optional<std::string> cuda_graph_blocker(CudaGraphMode mode, Device device,
                                              const OptimizerInfo& optimizer) {
  if (mode == CudaGraphMode::Off) return "--cuda_graph off";
  if (!device.is_cuda()) return "the CPU runs every step eagerly (CUDA graphs need a CUDA device)";
  const std::string who = cat("optimizer ", optimizer.name, " (", optimizer.id, ")");
  if (DEEPOBS_ABI_MAJOR_OF(optimizer.abi_version) == 1 &&
      DEEPOBS_ABI_MINOR_OF(optimizer.abi_version) == 0)
    return cat(who,
               " is built against optimizer ABI 1.0, which has no learning rate in device "
               "memory: rebuild it against 1.1 and declare DEEPOBS_CAP_CUDA_GRAPH_SAFE");
  if (!optimizer.has_capability(DEEPOBS_CAP_CUDA_GRAPH_SAFE))
    return cat(who, " does not declare DEEPOBS_CAP_CUDA_GRAPH_SAFE");
  if (optimizer.has_capability(DEEPOBS_CAP_NEEDS_LOSS_CLOSURE))
    return cat(who,
               " evaluates the loss closure on the host every step "
               "(DEEPOBS_CAP_NEEDS_LOSS_CLOSURE)");
  if (optimizer.has_capability(DEEPOBS_CAP_NEEDS_HVP))
    return cat(who,
               " computes Hessian-vector products on the host every step "
               "(DEEPOBS_CAP_NEEDS_HVP)");
  if (optimizer.has_capability(DEEPOBS_CAP_NEEDS_LOSS_VALUE))
    return cat(who,
               " reads the loss value on the host before every step "
               "(DEEPOBS_CAP_NEEDS_LOSS_VALUE)");
  return std::nullopt;
}

nlohmann::ordered_json cuda_graph_json(const CudaGraphReport& r) {
  nlohmann::ordered_json j;
  j["mode"] = std::string(cuda_graph_mode_name(r.mode));
  j["enabled"] = r.enabled;
  j["reason"] = r.reason;
  j["captured_step"] = r.captured_step ? nlohmann::ordered_json(*r.captured_step) : nullptr;
  j["graph_steps"] = r.graph_steps;
  j["nodes_per_step"] = r.nodes;
  j["kernel_nodes_per_step"] = r.kernel_nodes;
  return j;
}

std::string cuda_graph_log_line(const CudaGraphReport& r) {
  if (!r.enabled) return cat("CUDA graph: off (", r.reason, ")");
  return cat("CUDA graph: on (step ", r.captured_step.value_or(0), " captured, ", r.nodes,
             " nodes replayed as one launch per step)");
}

}  // namespace deepobs::runner
