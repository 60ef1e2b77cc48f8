// `deepobs run --cuda_graph auto|off`: whether a run may record its training step into a CUDA
// graph, and what it reports about it (docs/DESIGN.md, "CUDA-graph training step").
//
// auto (the default) captures the step on a CUDA device unless something in the run is not
// capture-safe; that is decided in two places: here, before the first step, from the device and
// the optimizer's capability flags; and during the capture itself, where an op that cannot be
// recorded refuses (core/capture_safety.h). Either way the run trains eagerly and says why: one
// line in the log and the "cuda_graph" object of the result file. On the CPU auto does nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/device.h"
#include "optimizers/optimizer.h"

namespace deepobs::runner {

enum class CudaGraphMode { Auto, Off };

// "auto" / "off" and back; parse throws deepobs::Error naming the choices for anything else.
std::string_view cuda_graph_mode_name(CudaGraphMode mode);
CudaGraphMode parse_cuda_graph_mode(std::string_view text);

// Why a run under `mode` on `device` with `optimizer` must train eagerly, or nullopt when a
// capture may be tried. Checked in this order: --cuda_graph off; a CPU device; a plugin built
// against ABI 1.0 (no learning rate in device memory); no DEEPOBS_CAP_CUDA_GRAPH_SAFE; a loss
// closure, Hessian-vector products or the loss value needed on the host every step.
std::optional<std::string> cuda_graph_blocker(CudaGraphMode mode, Device device,
                                              const OptimizerInfo& optimizer);

// What a run did about the graph, for the log and the result file.
struct CudaGraphReport {
  CudaGraphMode mode = CudaGraphMode::Auto;
  bool enabled = false;  // training steps were replayed from a captured graph
  std::string reason;    // why not (empty when enabled)
  // The global step (0-based) that was captured; the steps before it ran eagerly (warm-up).
  std::optional<std::int64_t> captured_step;
  std::int64_t graph_steps = 0;  // steps run as one graph launch each (the captured one included)
  // Per graph step: the recorded nodes (every kernel, memset and memcpy of forward, backward and
  // the update: what an eager step launches one call each for) and the kernels among them.
  std::int64_t nodes = 0;
  std::int64_t kernel_nodes = 0;
};

// {"mode": "auto", "enabled": true, "reason": "", "captured_step": 2, "graph_steps": 98,
//  "nodes_per_step": 41, "kernel_nodes_per_step": 37}; captured_step is null when eager.
nlohmann::ordered_json cuda_graph_json(const CudaGraphReport& report);

// The log line: "CUDA graph: on (step 2 captured, 41 nodes replayed as one launch per step)" or
// "CUDA graph: off (<reason>)".
std::string cuda_graph_log_line(const CudaGraphReport& report);

}  // namespace deepobs::runner
