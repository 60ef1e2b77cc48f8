#include "runner/step_graph.h"

#include <exception>
#include <utility>

namespace deepobs::runner {

TrainingStepGraph::TrainingStepGraph(CudaGraphMode mode, Device device,
                                     const OptimizerInfo& optimizer)
    : device_(device) {
  report_.mode = mode;
  if (auto blocker = cuda_graph_blocker(mode, device, optimizer)) {
    report_.reason = std::move(*blocker);
    tried_ = true;
  }
}

bool TrainingStepGraph::should_capture(std::int64_t step) const {
  return !tried_ && step >= kWarmupSteps;
}

void TrainingStepGraph::fill_fixed(const datasets::Batch& batch) {
  const auto copy_into = [&](Tensor& fixed, const Tensor& src) {
    if (!src.defined()) return;
    DEEPOBS_CHECK(
        !fixed.defined() || (fixed.shape() == src.shape() && fixed.dtype() == src.dtype()),
        "CUDA-graph step: the batch ", src.str(), " differs from the captured one ", fixed.str());
    if (!fixed.defined()) fixed = Tensor::empty(src.shape(), src.dtype(), device_);
    fixed.copy_from(src);
  };
  copy_into(fixed_.inputs, batch.inputs);
  copy_into(fixed_.labels, batch.labels);
}

bool TrainingStepGraph::capture(std::int64_t step, const datasets::Batch& batch,
                                const std::function<Tensor(const datasets::Batch&)>& record_step) {
  DEEPOBS_CHECK(!tried_, "CUDA-graph step: a capture was already tried");
  tried_ = true;
  try {
    fill_fixed(batch);
    CudaGraphCapture capture(device_);
    Tensor loss = record_step(fixed_);
    CudaGraph graph = capture.finish();
    loss_ = std::move(loss);
    graph_ = std::move(graph);
  } catch (const std::exception& e) {
    // Nothing recorded has run; the fixed buffers go, and the step runs eagerly.
    fixed_ = datasets::Batch();
    report_.reason = cat("capturing step ", step, " failed: ", e.what());
    return false;
  }
  report_.enabled = true;
  report_.captured_step = step;
  report_.nodes = graph_.nodes();
  report_.kernel_nodes = graph_.kernel_nodes();
  graph_.replay();
  ++report_.graph_steps;
  return true;
}

void TrainingStepGraph::replay(const datasets::Batch& batch) {
  DEEPOBS_CHECK(replaying(), "CUDA-graph step: replay before a successful capture");
  fill_fixed(batch);
  graph_.replay();
  ++report_.graph_steps;
}

void TrainingStepGraph::finish(std::int64_t steps) {
  if (tried_) return;
  tried_ = true;
  report_.reason =
      cat("the run ended after ", steps, " training step(s), before the capture (after ",
          kWarmupSteps, " eager warm-up steps)");
}

}  // namespace deepobs::runner
