// A DeepOBS test problem: a model, its data set, its per-example loss and metric, its defaults.
//
// The registry (problems/registry.h) describes every problem with a ProblemInfo and builds it;
// the runner only sees this interface:
//
//   auto p = build_problem("fmnist_2c2d", config);
//   p->data().start(Phase::Train);
//   for (Batch b; p->data().next(b);) { auto out = p->evaluate(b, /*training=*/true); ... }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/module.h"
#include "datasets/dataset.h"

namespace deepobs::problems {

struct ProblemInfo {
  std::string name;         // DeepOBS name, e.g. "fmnist_2c2d"
  std::string dataset;      // data-set name, e.g. "fmnist"
  std::string description;  // one line for `deepobs list`
  int default_batch_size = 128;
  int default_num_epochs = 100;
  // L2 factor of the regularised tensors (SPEC §3); 0 for problems without regularisation.
  double default_weight_decay = 0.0;
  bool has_accuracy = true;
  // What the analyzer ranks by: "test_accuracies" or "test_losses".
  std::string metric = "test_accuracies";
  // Recorded in the result JSON (SPEC A.4): which data and quirks the run used.
  std::string data_variant;
};

// What the runner passes when it builds a problem.
struct ProblemConfig {
  std::int64_t batch_size = 128;
  std::optional<double> weight_decay;  // nullopt: the problem's default
  std::uint64_t seed = 42;             // initialisation, shuffling, dropout and noise
  std::string data_dir;                // "" → $DEEPOBS_DATA_DIR → ./data_deepobs
  bool validation = false;             // v1.2 validation split
  // Where the model and the data live: the model is built on the CPU (same initial bits for every
  // device) and moved; the data set is uploaded once and builds its batches there.
  Device device = Device::cpu();
  // Training-data order across epochs and train_eval semantics (SPEC A.5, datasets::DataOrder).
  datasets::DataOrder data_order = datasets::DataOrder::Tf1;
};

// The network of a problem: a Module whose forward maps a batch to per-example losses.
class ProblemModel : public Module {
 public:
  struct Output {
    Tensor losses;  // [B] per-example losses, recorded by autograd
    // Batch mean of argmax == label, for classifiers, in inference mode only (training ==
    // false): the training loop never reads it, and on a GPU it would cost a device-to-host copy
    // and a synchronisation every step.
    std::optional<double> accuracy;
  };
  // `training` is true only in phase Train (dropout and batch norm in training mode).
  virtual Output forward(const datasets::Batch& batch, bool training) = 0;
};

// The value the runner optimises and logs for one batch (SPEC §1.2):
// loss = mean(per-example losses) + (wd/2)·Σ‖W‖² over the regularised tensors.
struct BatchResult {
  Tensor loss;  // scalar; requires gradients when recorded
  std::optional<double> accuracy;
};

class Problem {
 public:
  Problem(ProblemInfo info, std::unique_ptr<ProblemModel> model,
          std::unique_ptr<datasets::DataSet> data, double weight_decay);
  const ProblemInfo& info() const { return info_; }
  ProblemModel& model() { return *model_; }
  datasets::DataSet& data() { return *data_; }
  double weight_decay() const { return weight_decay_; }

  // Forward pass on one batch with the regulariser added. Sets the model's training mode.
  BatchResult evaluate(const datasets::Batch& batch, bool training);
  // (wd/2)·Σ‖W‖² over the parameters tagged regularised; an undefined tensor when there are none
  // or wd is 0.
  Tensor regularizer();

 private:
  ProblemInfo info_;
  std::unique_ptr<ProblemModel> model_;
  std::unique_ptr<datasets::DataSet> data_;
  double weight_decay_;
};

}  // namespace deepobs::problems
