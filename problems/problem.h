// A DeepOBS test problem: a model, its data set, its per-example loss and metric, its defaults.
//
// The registry (problems/registry.h) describes every problem with a ProblemInfo and builds it;
// the runner only sees this interface, and the problem owns its lifecycle:
//
//   auto p = build_problem("fmnist_2c2d", config);
//   p->start(Phase::Train);            // resets per-phase state, starts the data pass
//   for (Batch b; p->next(b);) {
//     auto r = p->forward(b, ForwardMode::Train);   // the one place the mode is set
//     autograd::backward(r.loss);                   // gradients land in p->flat().grads()
//     ...                                           // the loss closure: forward(b, Closure)
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/flat_parameters.h"
#include "datasets/dataset.h"
#include "datasets/image_data_set.h"
#include "layers/conv2d.h"

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
  // The model's exact parameter count when the entry states it (SPEC §3), so that `deepobs list`
  // need not build (and draw) a 134-million-parameter VGG to print it; tests/cpu checks it
  // against the built model. nullopt: list builds the model and counts.
  std::optional<std::int64_t> parameter_count;
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
  // CIFAR-100's offset quirk and SVHN's training subset (SPEC A.4; --cifar100_offset,
  // --svhn_train); only the CIFAR/SVHN problems read it.
  datasets::ImageDataOptions image;
};

// The network of a problem: a Module whose forward maps a batch to per-example losses.
class ProblemModel : public Module {
 public:
  struct Output {
    Tensor losses;  // [B] per-example losses, recorded by autograd
    // Batch mean of argmax == label, for classifiers, in Eval mode only: the training loop never
    // reads it, and on a GPU it would cost a device-to-host copy and a synchronisation every step.
    std::optional<double> accuracy;
  };
  ProblemModel();
  // One forward pass in mode() (Problem::forward sets it).
  virtual Output forward(const datasets::Batch& batch) = 0;
  // The index of the current training step, in the model's device memory (i64 [1], −1 before the
  // first): the call index of every random draw that belongs to a step (dropout masks, noise), so
  // that Closure redraws the step's own numbers. Problem::forward advances it on the device at
  // every Train forward (capture-ready: a replayed step advances it too).
  const Tensor& step() const { return step_; }

 private:
  Tensor step_;
};

// The value the runner optimises and logs for one batch (SPEC §1.2):
// loss = mean(per-example losses) + (wd/2)·Σ‖W‖² over the regularised tensors.
struct BatchResult {
  Tensor loss;  // scalar; requires gradients when recorded
  std::optional<double> accuracy;
};

class Problem {
 public:
  // Packs the model's parameters into flat buffers on the model's device.
  Problem(ProblemInfo info, std::unique_ptr<ProblemModel> model,
          std::unique_ptr<datasets::DataSet> data, double weight_decay);
  const ProblemInfo& info() const { return info_; }
  ProblemModel& model() { return *model_; }
  datasets::DataSet& data() { return *data_; }
  FlatParameters& flat() { return *flat_; }
  double weight_decay() const { return weight_decay_; }

  // Begins a pass over `phase`: zeroes the model's per-phase state (Module::register_state),
  // then starts the data set's pass.
  void start(datasets::Phase phase);
  // The next batch of the pass into `batch`; false when the pass is over.
  bool next(datasets::Batch& batch);
  // One forward pass in `mode` (the one place a model's mode is set) with the regulariser added.
  // Train advances the model's step counter first; Closure reuses the last Train step's draws.
  BatchResult forward(const datasets::Batch& batch, ForwardMode mode);
  // (wd/2)·Σ‖W‖² over the parameters tagged regularised, one fused op over the flat buffer; an
  // undefined tensor when there are none or wd is 0.
  Tensor regularizer();

 private:
  ProblemInfo info_;
  std::unique_ptr<ProblemModel> model_;
  std::unique_ptr<datasets::DataSet> data_;
  double weight_decay_;
  std::unique_ptr<FlatParameters> flat_;
  Tensor l2_segments_;  // i64 [K, 2] (offset, length) of the regularised segments, on the device
};

// ---- helpers for the problem files ----

// Per-example softmax cross-entropy of `logits` against the batch's labels, and the accuracy in
// Eval mode.
ProblemModel::Output classify(const Tensor& logits, const datasets::Batch& batch, ForwardMode mode);
// A ProblemInfo with accuracy ("test_accuracies"), or a loss-only one ("test_losses").
ProblemInfo classifier_info(std::string name, std::string dataset, std::string description,
                            int batch_size, int epochs);
ProblemInfo loss_only_info(std::string name, std::string dataset, std::string description,
                           int batch_size, int epochs);
// The conv layer of DeepOBS's CIFAR/SVHN models (3c3d, All-CNN-C, VGG): a kernel×kernel TF conv
// with a glorot_normal kernel in the L2 term and a constant bias.
layers::ConvOptions regularised_conv(int kernel, int stride, ops::PaddingMode padding, double bias,
                                     int layer_index);
// The data-set options of a run.
datasets::DataSetOptions data_options(const ProblemConfig& config);
// The data factory of an MNIST-format data set ("mnist", "fmnist") from the run's data root.
std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> mnist_data(
    std::string dataset);
// The data factory of a CIFAR/SVHN data set ("cifar10", "cifar100", "svhn") with DeepOBS's
// augmentation for training and the run's config.image choices.
std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> image_data(
    std::string dataset);
// The data factory of Tolstoi's character sequences (datasets::make_tolstoi_data_set) from the
// run's data root.
std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> tolstoi_data();
// The data factory of ImageNet (datasets::make_imagenet_data_set) from the run's data root:
// inputs f32 [B,3,224,224], labels i64 [B] in 0..1000.
std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> imagenet_data();

}  // namespace deepobs::problems
