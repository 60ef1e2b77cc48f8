// The CUDA-graph training step (`deepobs run --cuda_graph auto`, docs/DESIGN.md): after
// kWarmupSteps eager steps, one step's forward, backward and optimizer update are recorded into a
// CUDA graph, and every later step is one graph launch.
//
// What a replay must advance already lives in device memory (engine core v2): the model's step
// counter (Philox call index of dropout masks and noise), the optimizer's learning rate and state
// (Adam's count), batch norm's moving averages. The batch fetch stays outside the graph: the
// image pipeline (ops::image_batch) takes the batch's position and Philox call as launch
// arguments, and the end of a pass is a host decision; so every step's batch is copied into fixed
// input buffers the graph reads (one device-to-device copy per tensor). The per-step loss
// read-back stays outside too (the runner's ScalarReadback reads the graph's loss tensor).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/cuda_graph.h"
#include "datasets/dataset.h"
#include "runner/cuda_graph_policy.h"

namespace deepobs::runner {

class TrainingStepGraph {
 public:
  // Eager steps before the capture: the first steps grow the caching allocator, the workspace and
  // the cuDNN plan cache to what a step needs, so the capture finds every block and plan in place
  // (a cudaMalloc, a workspace growth or a plan search inside a capture would be recorded once or
  // fail).
  static constexpr std::int64_t kWarmupSteps = 2;

  // Decides with cuda_graph_blocker whether a capture will be tried at all.
  TrainingStepGraph(CudaGraphMode mode, Device device, const OptimizerInfo& optimizer);

  const CudaGraphReport& report() const { return report_; }
  // Whether training steps run from the graph (a capture succeeded).
  bool replaying() const { return graph_.defined(); }
  // Whether global step `step` (0-based) is the one to capture: allowed, not yet tried, warm-up
  // done.
  bool should_capture(std::int64_t step) const;

  // Records `record_step` as the training step `step`: `batch` is copied into the fixed input
  // buffers first, and `record_step` must enqueue zero_grad, the Train forward on the batch it is
  // given, backward and Optimizer::step_for_capture, and return the loss. On success the graph is
  // launched once (this step's work) and true returned: loss() holds the step's loss. When the
  // recording fails (an op refuses, NotCaptureSafe, or CUDA invalidates the capture) nothing of it
  // has run: false is returned, report().reason says why, and the caller runs the step eagerly;
  // no capture is tried again.
  bool capture(std::int64_t step, const datasets::Batch& batch,
               const std::function<Tensor(const datasets::Batch&)>& record_step);
  // One training step from the graph on `batch` (same shapes as the captured one).
  void replay(const datasets::Batch& batch);
  // At the end of training after `steps` steps: a run that never reached the capture point says
  // so in report().reason.
  void finish(std::int64_t steps);
  // The scalar loss tensor the graph writes (valid while replaying()).
  const Tensor& loss() const { return loss_; }

 private:
  void fill_fixed(const datasets::Batch& batch);

  Device device_;
  CudaGraphReport report_;
  bool tried_ = false;
  datasets::Batch fixed_;  // the inputs the graph reads, allocated outside its pool
  Tensor loss_;
  CudaGraph graph_;
};

}  // namespace deepobs::runner
