// The DeepOBS training loop (SPEC A.8, §5.1): evaluate train_eval (and valid) and test before
// epoch 0 and after every epoch; one optimizer step per training batch; the mini-batch loss every
// train_log_interval steps; the lr schedule applied at the start of each epoch; a non-finite loss
// aborts and fills the remaining epochs with the epoch-0 values (DeepOBS v1.2). An optimizer step
// that fails (OptimizerStepError) stops the loop with StoppedByOptimizer and the curves so far.
//
// Each step hands the optimizer a closure that evaluates the loss (and gradient) on the step's
// own mini-batch, for plugins that call ctx->evaluate / ctx->hvp; when the optimizer provides
// evaluation parameters (DEEPOBS_CAP_EVAL_PARAMS), the evaluation passes use those.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/flat_parameters.h"
#include "optimizers/optimizer.h"
#include "problems/problem.h"
#include "runner/cuda_graph_policy.h"
#include "runner/lr_schedule.h"
#include "runner/progress.h"
#include "runner/result_record.h"

namespace deepobs::runner {

// Where the loop stands at an epoch boundary beyond what the record (curves, mini-batch losses,
// epoch_seconds), the model, the optimizer and the data set hold: what a checkpoint saves with
// them (runner/checkpoint.h) and a resumed run starts from.
struct LoopPosition {
  int epoch = 0;                     // epochs trained; the curves hold epoch + 1 evaluations
  std::int64_t global_step = 0;      // training steps taken (StepContext::step of the next one)
  double elapsed_seconds = 0;        // total_seconds so far, checkpoint writing left out
  std::vector<double> step_seconds;  // wall-clock seconds of every step so far
};

struct TrainerConfig {
  int num_epochs = 1;
  int train_log_interval = 10;
  bool print_train_iter = false;
  // Polled after every step; when it turns true the loop stops and train() reports Interrupted.
  const std::atomic<bool>* stop = nullptr;
  // Called at every epoch boundary 1 … num_epochs − 1, after that epoch's evaluation and before
  // the next training epoch (the model, optimizer and data set are between passes then): where
  // a resumable run writes its checkpoint. Its duration is left out of the timing fields.
  std::function<void(const LoopPosition&)> at_epoch_boundary;
  // Resume at this boundary instead of starting fresh: the caller has restored the model, the
  // optimizer, the data set and the record (curves so far) from the same checkpoint; the loop
  // skips the evaluation that the curves already hold and trains epoch resume->epoch next.
  const LoopPosition* resume = nullptr;
  // --cuda_graph: on a CUDA device, auto records one training step into a CUDA graph after the
  // warm-up and replays it (runner/step_graph.h); evaluation passes stay eager.
  CudaGraphMode cuda_graph = CudaGraphMode::Auto;
};

enum class TrainOutcome { Completed, Diverged, Interrupted, StoppedByOptimizer };

// The step's loss closure (StepContext::evaluate): forward (and backward) on the same batch at the
// given or current parameters, in Closure mode (the step's own dropout masks and noise, no update
// of running statistics: the function the step differentiated); the flat parameter and gradient
// buffers are restored afterwards, so the optimizer still sees the step's own gradient. Shared
// with `deepobs profile`, whose step is the trainer's.
double evaluate_same_batch(problems::Problem& problem, FlatParameters& flat,
                           const datasets::Batch& batch, const void* params_or_null,
                           void* grad_or_null);

// Runs the loop and fills the curves, mini-batch losses, divergence flag, timing fields,
// extra["cuda_graph"] (cuda_graph_json) and (for StoppedByOptimizer) stop_message/stop_status of
// `record` (everything else in it is the caller's; on resume the curves so far are the caller's
// too). `flat` holds the problem's parameters and `optimizer` updates them.
TrainOutcome train(problems::Problem& problem, FlatParameters& flat, Optimizer& optimizer,
                   const LrSchedule& schedule, const TrainerConfig& config, Progress& progress,
                   RunRecord& record);

}  // namespace deepobs::runner
