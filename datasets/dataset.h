// The data-set abstraction the runner iterates, with DeepOBS's phases (SPEC §1.1, §4.0).
//
// A DataSet is re-started into one phase at a time and then yields equal-size mini-batches until
// the pass is over; every phase drops the remainder (SPEC A.4), so every batch has exactly
// batch_size() examples and batches(phase) is known in advance:
//
//   data.start(Phase::Train);
//   for (Batch b; data.next(b);) step(b);
//
// Concrete data sets: InMemoryDataSet below (MNIST, Fashion-MNIST, quadratic, two_d; CIFAR/SVHN
// derive from it and add augmentation through its transform() hook); sequence data (Tolstoi) and
// streamed data (ImageNet) implement DataSet directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/random/philox_generator.h"
#include "core/tensor.h"

namespace deepobs::datasets {

// train: one epoch of training, shuffled. train_eval: a subset of the training data for measuring
// training performance (network in inference mode). valid: the v1.2 hold-out split, only when
// the validation split is on. test: the test set, never shuffled.
enum class Phase { Train, TrainEval, Valid, Test };

// "train", "train_eval", "valid", "test" (DeepOBS's names, also used in result files).
std::string_view phase_name(Phase phase);

// One mini-batch, freshly allocated for each next() (the consumer may keep it).
//   inputs: f32 tensor [B, ...] on the data set's device (DataSetOptions::device): images NCHW
//           [B,C,H,W] (MNIST [B,1,28,28] in [0,1]), quadratic [B,100], two_d [B,2].
//   labels: i64 tensor [B] of class indices on the same device, or undefined for data sets
//           without labels.
struct Batch {
  Tensor inputs;
  Tensor labels;
};

// Settings every data set takes from the run.
struct DataSetOptions {
  std::int64_t batch_size = 128;  // >= 1; the same for every phase
  std::uint64_t seed = 42;        // the run's random seed; shuffling uses its own Philox streams
  bool validation = false;        // v1.2: carve out (or draw) a validation set, phase Valid
  // Where batches are produced. For a CUDA device an in-memory data set uploads its examples once
  // (u8 images stay bytes) and gathers, converts and normalises every batch on the device; only
  // the epoch's permutation (computed on the CPU, identical for every device) is uploaded per
  // pass. See docs/DESIGN.md, "GPU-resident data".
  Device device = Device::cpu();
};

class DataSet {
 public:
  virtual ~DataSet() = default;

  // DeepOBS data-set name: "mnist", "fmnist", "quadratic", "two_d", ...
  virtual const std::string& name() const = 0;
  virtual std::int64_t batch_size() const = 0;
  // False when the data set has no class labels (Batch::labels stays undefined).
  virtual bool has_labels() const = 0;
  // Valid exists only with the validation split; the other phases always.
  virtual bool has_phase(Phase phase) const = 0;
  // Number of batches one pass over `phase` yields (>= 1). Throws for a phase the set lacks.
  virtual std::int64_t batches(Phase phase) const = 0;
  // Begins a new pass over `phase`, abandoning any pass in progress. Train and TrainEval draw a
  // new order (and TrainEval a new subset) at every start; Valid and Test always use the stored
  // order. Throws for a phase the set lacks.
  virtual void start(Phase phase) = 0;
  // Writes the next batch of the current pass into `batch` and returns true, or returns false
  // (leaving `batch` untouched) when the pass is over. Throws when no pass was started.
  virtual bool next(Batch& batch) = 0;
  // The phase of the current (or last) pass; throws before the first start().
  virtual Phase phase() const = 0;
};

// The examples of one split, row i = example i.
//   inputs: CPU tensor [N, ...], f32 (copied into batches as is) or u8 (converted to f32 when a
//           batch is built, by dividing by the spec's u8_divisor: 255 maps MNIST bytes to [0,1]).
//   labels: i64 CPU tensor [N], or undefined for data sets without labels.
struct Examples {
  Tensor inputs;
  Tensor labels;
  std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

// What an InMemoryDataSet is built from.
struct InMemorySpec {
  std::string name;
  Examples train;  // the raw training data, in file order
  Examples test;
  // An independently drawn validation set (the synthetic sets draw one from RandomState(44)).
  // When undefined and the validation split is on, Valid is the first train_eval_size examples
  // of `train` (unshuffled) and Train/TrainEval use the rest (SPEC §4.0, v1.2).
  Examples valid;
  // Examples per TrainEval pass: the first floor(train_eval_size / B) batches of a shuffled pass
  // over the training data (at most a whole pass). -1: the whole pass (quadratic's take(-1)).
  std::int64_t train_eval_size = -1;
  // u8 inputs are divided by this in float (x / 255.0f is what TF's cast-and-divide computes).
  float u8_divisor = 255.0f;
};

// A data set held in memory whose phases follow SPEC §4.0:
//   Train:     a full permutation of the training examples per epoch (SPEC A.5; a documented
//              deviation from TF's 20,000-element shuffle buffer), drop remainder.
//   TrainEval: the first min(floor(train_eval_size / B), batches(Train)) batches of a fresh
//              permutation of the training examples: a new random subset at every evaluation.
//   Valid:     the validation examples in stored order, drop remainder.
//   Test:      the test examples in stored order, drop remainder.
// Train and TrainEval draw their permutations from two separate Philox streams of the run seed
// (rng_stream(RngPurpose::Shuffle, 0) and (…, 1)), so the training order does not depend on how
// often the runner evaluates. The examples are held once and gathered into each batch, on the
// device of DataSetOptions (ops::gather_examples: the same bits on the CPU and on a GPU).
class InMemoryDataSet : public DataSet {
 public:
  // Throws deepobs::Error when the examples are malformed (dtypes, shapes, label count, train and
  // test inputs of different example shapes), when batch_size < 1, when train_eval_size is
  // neither -1 nor positive, or when any phase would have no batch at this batch size.
  InMemoryDataSet(InMemorySpec spec, const DataSetOptions& options);

  const std::string& name() const override { return name_; }
  std::int64_t batch_size() const override { return batch_size_; }
  bool has_labels() const override { return train_.labels.defined(); }
  bool has_phase(Phase phase) const override;
  std::int64_t batches(Phase phase) const override;
  void start(Phase phase) override;
  bool next(Batch& batch) override;
  Phase phase() const override;

  // The examples a phase draws from (Train and TrainEval: the training split, after the
  // validation examples were carved out), on device(). Throws for a phase the set lacks.
  const Examples& examples(Phase phase) const;
  // Where the examples live and the batches are built.
  Device device() const { return device_; }

 protected:
  // Called on every batch after it was gathered, before next() returns it: the place for
  // augmentation and standardisation in derived data sets (CIFAR, SVHN), which draw their own
  // randomness. The batch is on device(). The default does nothing.
  virtual void transform(Batch& batch, Phase phase);

 private:
  std::string name_;
  Device device_;
  std::int64_t batch_size_;
  float u8_divisor_;
  Examples train_, valid_, test_;
  bool has_valid_ = false;
  std::int64_t train_eval_batches_ = 0;
  PhiloxGenerator train_rng_;
  PhiloxGenerator train_eval_rng_;

  // The current pass.
  bool started_ = false;
  Phase phase_ = Phase::Train;
  const Examples* source_ = nullptr;
  Tensor order_;  // i64 [n] permutation on device_ for Train/TrainEval; undefined: stored order
  std::int64_t pass_batches_ = 0;
  std::int64_t next_batch_ = 0;
  Tensor cursor_;  // i64 [1] on device_: the first position of the next batch in the pass
};

}  // namespace deepobs::datasets
