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

#include "core/flat_parameters.h"
#include "optimizers/optimizer.h"
#include "problems/problem.h"
#include "runner/cuda_graph_policy.h"
#include "runner/lr_schedule.h"
#include "runner/progress.h"
#include "runner/result_record.h"

namespace deepobs::runner {

struct TrainerConfig {
  int num_epochs = 1;
  int train_log_interval = 10;
  bool print_train_iter = false;
  // Polled after every step; when it turns true the loop stops and train() reports Interrupted.
  const std::atomic<bool>* stop = nullptr;
  // --cuda_graph: on a CUDA device, auto records one training step into a CUDA graph after the
  // warm-up and replays it (runner/step_graph.h); evaluation passes stay eager.
  CudaGraphMode cuda_graph = CudaGraphMode::Auto;
};

enum class TrainOutcome { Completed, Diverged, Interrupted, StoppedByOptimizer };

// Runs the loop and fills the curves, mini-batch losses, divergence flag, timing fields,
// extra["cuda_graph"] (cuda_graph_json) and (for StoppedByOptimizer) stop_message/stop_status of
// `record` (everything else in it is the caller's). `flat` holds the problem's parameters and
// `optimizer` updates them.
TrainOutcome train(problems::Problem& problem, FlatParameters& flat, Optimizer& optimizer,
                   const LrSchedule& schedule, const TrainerConfig& config, Progress& progress,
                   RunRecord& record);

}  // namespace deepobs::runner
