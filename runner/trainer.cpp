#include "runner/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_backend.h"
#include "runner/step_graph.h"

namespace deepobs::runner {
namespace {

using Clock = std::chrono::steady_clock;
using datasets::Phase;

struct PhaseMetrics {
  double loss = 0;
  std::optional<double> accuracy;
};

// Mean loss (regulariser included) and accuracy over one pass; the network in inference mode.
PhaseMetrics evaluate_phase(problems::Problem& problem, Phase phase) {
  autograd::NoGrad no_grad;
  problem.start(phase);
  double loss_sum = 0, acc_sum = 0;
  std::int64_t batches = 0;
  bool has_acc = false;
  for (datasets::Batch b; problem.next(b);) {
    const auto r = problem.forward(b, ForwardMode::Eval);
    loss_sum += r.loss.item();
    if (r.accuracy) {
      acc_sum += *r.accuracy;
      has_acc = true;
    }
    ++batches;
  }
  PhaseMetrics m;
  m.loss = loss_sum / static_cast<double>(batches);
  if (has_acc) m.accuracy = acc_sum / static_cast<double>(batches);
  return m;
}

// Evaluates with the optimizer's evaluation parameters in the flat buffer when it has them (the
// training parameters are put back afterwards).
class EvalParamsSwap {
 public:
  EvalParamsSwap(FlatParameters& flat, Optimizer& optimizer) : flat_(flat) {
    if (!optimizer.has_eval_params()) return;
    saved_ = flat.params().clone();
    const Tensor eval = Tensor::zeros({flat.size()}, flat.params().dtype(), flat.params().device());
    optimizer.write_eval_params(eval);
    flat.params().copy_from(eval);
  }
  ~EvalParamsSwap() {
    if (saved_.defined()) flat_.params().copy_from(saved_);
  }
  EvalParamsSwap(const EvalParamsSwap&) = delete;
  EvalParamsSwap& operator=(const EvalParamsSwap&) = delete;

 private:
  FlatParameters& flat_;
  Tensor saved_;
};

}  // namespace

// (runner/trainer.h)
double evaluate_same_batch(problems::Problem& problem, FlatParameters& flat,
                           const datasets::Batch& batch, const void* params_or_null,
                           void* grad_or_null) {
  const Tensor& params = flat.params();
  const Tensor& grads = flat.grads();
  const Shape shape{flat.size()};
  Tensor saved_params, saved_grads;
  if (params_or_null) {
    saved_params = params.clone();
    params.copy_from(
        Tensor::wrap(const_cast<void*>(params_or_null), shape, params.dtype(), params.device()));
  }
  double loss = 0;
  try {
    if (grad_or_null) {
      saved_grads = grads.clone();
      flat.zero_grad();
      const auto r = problem.forward(batch, ForwardMode::Closure);
      loss = r.loss.item();
      autograd::backward(r.loss);
      Tensor::wrap(grad_or_null, shape, grads.dtype(), grads.device()).copy_from(grads);
      grads.copy_from(saved_grads);
    } else {
      autograd::NoGrad no_grad;
      loss = problem.forward(batch, ForwardMode::Closure).loss.item();
    }
  } catch (...) {
    if (saved_grads.defined()) grads.copy_from(saved_grads);
    if (saved_params.defined()) params.copy_from(saved_params);
    throw;
  }
  if (saved_params.defined()) params.copy_from(saved_params);
  return loss;
}

namespace {

void evaluate_all(problems::Problem& problem, int epoch, int num_epochs, Progress& progress,
                  RunRecord& r) {
  const auto record = [&](Phase phase, std::vector<double>& losses, std::vector<double>& accuracies,
                          const char* label) {
    const PhaseMetrics m = evaluate_phase(problem, phase);
    losses.push_back(m.loss);
    if (m.accuracy) accuracies.push_back(*m.accuracy);
    progress.evaluation(epoch, num_epochs, label, m.loss, m.accuracy);
  };
  record(Phase::TrainEval, r.train_losses, r.train_accuracies, "TRAIN");
  if (r.has_validation) record(Phase::Valid, r.valid_losses, r.valid_accuracies, "VALID");
  record(Phase::Test, r.test_losses, r.test_accuracies, "TEST");
}

// v1.2's abort routine: every curve gets copies of its epoch-0 value up to num_epochs + 1 entries.
void fill_with_initial_values(RunRecord& r, int num_epochs) {
  const auto fill = [&](std::vector<double>& curve) {
    if (curve.empty()) return;
    curve.resize(static_cast<std::size_t>(num_epochs) + 1, curve.front());
  };
  for (auto* c : {&r.train_losses, &r.test_losses, &r.valid_losses, &r.train_accuracies,
                  &r.test_accuracies, &r.valid_accuracies})
    fill(*c);
}

StepTimeStats summarise(std::vector<double> t) {
  StepTimeStats s;
  s.steps = static_cast<std::int64_t>(t.size());
  if (t.empty()) return s;
  double sum = 0;
  for (double x : t)
    sum += x;
  std::sort(t.begin(), t.end());
  s.mean = sum / static_cast<double>(t.size());
  s.median = t[t.size() / 2];
  s.p90 = t[std::min(t.size() - 1, t.size() * 9 / 10)];
  s.min = t.front();
  s.max = t.back();
  return s;
}

}  // namespace

TrainOutcome train(problems::Problem& problem, FlatParameters& flat, Optimizer& optimizer,
                   const LrSchedule& schedule, const TrainerConfig& config, Progress& progress,
                   RunRecord& record) {
  DEEPOBS_CHECK(config.num_epochs >= 1, "--num_epochs must be at least 1, got ", config.num_epochs);
  DEEPOBS_CHECK(config.train_log_interval >= 1, "--train_log_interval must be at least 1, got ",
                config.train_log_interval);
  const auto start = Clock::now();
  std::vector<double> step_seconds;
  std::int64_t global_step = 0;
  int first_epoch = 0;
  double earlier_seconds = 0;  // total_seconds of the run before it was resumed
  if (config.resume) {
    DEEPOBS_CHECK(config.resume->epoch >= 1 && config.resume->epoch < config.num_epochs,
                  "cannot resume at epoch ", config.resume->epoch, " of ", config.num_epochs);
    first_epoch = config.resume->epoch;
    global_step = config.resume->global_step;
    earlier_seconds = config.resume->elapsed_seconds;
    step_seconds = config.resume->step_seconds;
  }
  double boundary_seconds = 0;  // spent in at_epoch_boundary, left out of the timing fields
  const auto elapsed = [&] {
    return earlier_seconds + std::chrono::duration<double>(Clock::now() - start).count() -
           boundary_seconds;
  };
  TrainOutcome outcome = TrainOutcome::Completed;
  const auto stopped = [&] { return config.stop && config.stop->load(); };
  const Device device = flat.params().device();
  cuda_backend::ScalarReadback losses(device);
  const std::size_t loss_lag = device.is_cuda() ? 1 : 0;
  const bool read_loss_each_step =
      device.is_cpu() || optimizer.info().has_capability(DEEPOBS_CAP_NEEDS_LOSS_VALUE) ||
      optimizer.info().has_capability(DEEPOBS_CAP_NEEDS_LOSS_CLOSURE) ||
      // ABI 1.0 plugins predate the flag and may read ctx->loss.
      (DEEPOBS_ABI_MAJOR_OF(optimizer.info().abi_version) == 1 &&
       DEEPOBS_ABI_MINOR_OF(optimizer.info().abi_version) == 0);
  TrainingStepGraph graph(config.cuda_graph, device, optimizer.info());
  // A decision made before the first step is logged now (on a GPU: on the CPU auto is a no-op),
  // the outcome of a capture when it happens.
  if (device.is_cuda() && !graph.report().reason.empty())
    progress.message(cuda_graph_log_line(graph.report()));
  for (int epoch = first_epoch;; ++epoch) {
    if (stopped()) {
      outcome = TrainOutcome::Interrupted;
      break;
    }
    const bool resumed_here = config.resume && epoch == first_epoch;
    if (!resumed_here) {  // a resumed run's curves already hold this evaluation
      try {
        EvalParamsSwap swap(flat, optimizer);
        evaluate_all(problem, epoch, config.num_epochs, progress, record);
      } catch (const OptimizerStepError& e) {
        record.stop_message = e.what();
        record.stop_status = status_name(e.status());
        outcome = TrainOutcome::StoppedByOptimizer;
        break;
      }
    }
    if (epoch == config.num_epochs) break;
    if (epoch > 0 && !resumed_here && config.at_epoch_boundary) {
      const auto t0 = Clock::now();
      config.at_epoch_boundary(LoopPosition{epoch, global_step, elapsed(), step_seconds});
      boundary_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    const double lr = schedule.at(epoch);
    progress.epoch_start(epoch, config.num_epochs, problem.data().batches(Phase::Train), lr);
    const auto epoch_start = Clock::now();
    problem.start(Phase::Train);
    // Mini-batch losses come back through `losses`: on a GPU as an asynchronous copy handled one
    // step later (the device always has the next step queued, and no step waits for its own loss),
    // on the CPU at once. `in_flight` holds the (epoch step, global step) of each pending loss.
    std::vector<std::pair<std::int64_t, std::int64_t>> in_flight;
    const auto handle_loss = [&]() {
      const double loss = losses.pop();
      const auto [es, gs] = in_flight.front();
      in_flight.erase(in_flight.begin());
      if (es % config.train_log_interval == 0) {
        record.minibatch_train_losses.push_back(loss);
        if (config.print_train_iter) progress.minibatch_loss(gs, loss);
      }
      progress.step(es, loss);
      if (!std::isfinite(loss) && outcome == TrainOutcome::Completed)
        outcome = TrainOutcome::Diverged;
    };
    std::int64_t s = 0;
    for (datasets::Batch b; problem.next(b); ++s, ++global_step) {
      const auto t0 = Clock::now();
      StepContext ctx;
      ctx.step = global_step;
      ctx.epoch = epoch;
      ctx.learning_rate = lr;
      bool graph_step = false;
      if (graph.replaying()) {
        optimizer.set_learning_rate(lr);  // step() would; a replay does not call it
        graph.replay(b);
        graph_step = true;
      } else if (graph.should_capture(global_step)) {
        optimizer.set_learning_rate(lr);
        graph_step = graph.capture(global_step, b, [&](const datasets::Batch& fixed) {
          flat.zero_grad();
          const auto r = problem.forward(fixed, ForwardMode::Train);
          autograd::backward(r.loss);
          ctx.elapsed_seconds = elapsed();
          optimizer.step_for_capture(ctx);
          return r.loss;
        });
        progress.message(cuda_graph_log_line(graph.report()));
      }
      if (graph_step) {
        losses.push(graph.loss());
        in_flight.emplace_back(s, global_step);
      } else {
        flat.zero_grad();
        const auto r = problem.forward(b, ForwardMode::Train);
        losses.push(r.loss);
        in_flight.emplace_back(s, global_step);
        autograd::backward(r.loss);
        // The value itself only where it is free (CPU) or the optimizer asked for it.
        ctx.loss = read_loss_each_step ? r.loss.item() : std::numeric_limits<double>::quiet_NaN();
        ctx.elapsed_seconds = elapsed();
        ctx.evaluate = [&](const void* params_or_null, void* grad_or_null) {
          return evaluate_same_batch(problem, flat, b, params_or_null, grad_or_null);
        };
        try {
          optimizer.step(ctx);
        } catch (const OptimizerStepError& e) {
          record.stop_message = e.what();
          record.stop_status = status_name(e.status());
          outcome = TrainOutcome::StoppedByOptimizer;
          break;
        }
      }
      while (losses.pending() > loss_lag)
        handle_loss();
      step_seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      if (outcome == TrainOutcome::Diverged) break;
      if (stopped()) {
        outcome = TrainOutcome::Interrupted;
        break;
      }
    }
    while (losses.pending() > 0)
      handle_loss();
    const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    record.epoch_seconds.push_back(seconds);
    progress.epoch_end(seconds);
    if (outcome == TrainOutcome::Diverged) {
      progress.message("the loss is not finite (NaN or Inf) in epoch " + std::to_string(epoch + 1) +
                       ": training stopped; the remaining epochs repeat the epoch-0 values");
      record.diverged = true;
      fill_with_initial_values(record, config.num_epochs);
      break;
    }
    if (outcome == TrainOutcome::Interrupted || outcome == TrainOutcome::StoppedByOptimizer) break;
  }
  graph.finish(global_step);
  record.extra["cuda_graph"] = cuda_graph_json(graph.report());
  record.total_seconds = elapsed();
  record.step_time = summarise(std::move(step_seconds));
  return outcome;
}

}  // namespace deepobs::runner
