// A small training harness for `deepobs validate-plugin`: one test problem, its flat parameters
// and one optimizer, stepped batch by batch with the same-mini-batch loss closure the runner
// offers (StepContext::evaluate). Much smaller than the trainer (no evaluation passes, no result
// record), so that the validator can stop, inspect, checkpoint and compare at any step.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/flat_parameters.h"
#include "datasets/dataset.h"
#include "optimizers/optimizer.h"
#include "problems/problem.h"

namespace deepobs::runner {

class ValidationSession {
 public:
  // Builds `problem` (batch size 128, the given seed, data from the default data root) on
  // `device` and creates the optimizer of `info` with `hyperparameters` over its parameters.
  // Throws deepobs::Error for anything the host or the plugin refuses.
  ValidationSession(const OptimizerInfo& info, const Hyperparameters& hyperparameters,
                    const std::string& problem, Device device = Device::cpu(),
                    std::uint64_t seed = 42);

  // One training step on the next training batch (a new pass starts when one ends) with the
  // learning rate `lr`; returns the mini-batch loss before the update. OptimizerStepError when
  // the plugin fails.
  double step(double lr);
  // The same optimizer step again, on the current batch, with the gradient buffer as the caller
  // left it (the NaN check writes NaN into it first).
  void step_with_current_gradients(double lr);
  // Mean loss over the first (at most 8) test batches, the model in inference mode.
  double test_loss();

  FlatParameters& flat() { return *flat_; }
  Optimizer& optimizer() { return *optimizer_; }
  // The parameters as raw bytes (flat buffer, gaps included, copied to the host), for bitwise
  // comparisons.
  std::vector<std::uint8_t> parameter_bytes() const;
  void set_parameter_bytes(const std::vector<std::uint8_t>& bytes);
  // Destroys the optimizer and creates a fresh one (create, init_state) over the same parameters.
  void recreate_optimizer();
  std::int64_t steps_taken() const { return steps_; }

 private:
  double evaluate_at(const void* params_or_null, void* grad_or_null);
  void optimizer_step(double lr, double loss);

  const OptimizerInfo& info_;
  Hyperparameters hyperparameters_;
  ProblemFacts facts_;
  std::unique_ptr<problems::Problem> problem_;
  FlatParameters* flat_ = nullptr;  // the problem's
  std::unique_ptr<Optimizer> optimizer_;
  datasets::Batch batch_;
  bool in_pass_ = false;
  std::int64_t steps_ = 0;
};

}  // namespace deepobs::runner
