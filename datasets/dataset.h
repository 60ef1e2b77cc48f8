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
// derive from it and add augmentation through its transform() hook); SequenceDataSet (Tolstoi,
// datasets/sequence.h) and streamed data (ImageNet) implement DataSet directly.
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

// How the training data is ordered from one epoch to the next (SPEC A.5).
//   Tf1:       what every published DeepOBS baseline saw. TF1 with a graph-level seed restarts the
//              seeded shuffle (and every seeded augmentation op) of a tf.data pipeline whenever
//              its iterator is re-initialised, and DeepOBS re-initialises at every phase switch:
//              one permutation drawn from the run seed, replayed in every training pass, and one
//              set of augmentation draws, replayed likewise; train_eval is the first
//              floor(train_eval_size / B) batches of that same order, with the same draws.
//   Reshuffle: what a modern pipeline does: a fresh permutation and fresh augmentation draws in
//              every training pass; train_eval a fresh random subset, with draws of its own, at
//              every evaluation.
// The default is Tf1, so that results sit beside the baselines.
enum class DataOrder { Tf1, Reshuffle };

// "tf1", "reshuffle" (the values of `deepobs run --data_order` and of data_variant).
std::string_view data_order_name(DataOrder order);
// The inverse of data_order_name; throws deepobs::Error naming the choices for anything else.
DataOrder parse_data_order(std::string_view name);

// One mini-batch, freshly allocated for each next() (the consumer may keep it).
//   inputs: f32 tensor [B, ...] on the data set's device (DataSetOptions::device): images NCHW
//           [B,C,H,W] (MNIST [B,1,28,28] in [0,1]), quadratic [B,100], two_d [B,2]; for
//           sequence data (Tolstoi, datasets/sequence.h) i64 token ids [B,T].
//   labels: i64 tensor [B] of class indices on the same device (sequence data: [B,T], the next
//           token of every input), or undefined for data sets without labels.
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
  // Order of the training data across epochs and of train_eval (DataOrder above).
  DataOrder order = DataOrder::Tf1;
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
  // Begins a new pass over `phase`, abandoning any pass in progress. Train and TrainEval follow
  // the data order of DataSetOptions::order (under Reshuffle a new order, and for TrainEval a new
  // subset, at every start; under Tf1 the same order every time); Valid and Test always use the
  // stored order. Throws for a phase the set lacks.
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
  // false: next() does not gather Batch::inputs; transform() builds them from the rows that
  // BatchContext names (a fused gather-and-augment kernel, as the CIFAR/SVHN data sets use).
  bool gather_inputs = true;
};

// The random draws one batch's augmentation may make (InMemoryDataSet::transform), addressed by
// counters only: a pure function of the run seed, the pipeline the batch comes from, the pass
// and the batch's index in that pass, never of hidden generator state. So a pass can be replayed
// (Tf1 replays pass 0 of the training pipeline in every training and train_eval pass), a batch's
// draws do not depend on which batches were built before it, and a device kernel (or a captured
// CUDA graph reading its counters from device memory) can compute them itself from
// (seed, stream, call): see kernels/philox.h for the address layout.
//
//   stream = rng_stream(Augmentation, pipeline << 22 | pass)      pass < 2^22
//   call   = batch · kDrawsPerBatch + k,  k < kDrawsPerBatch      batch < 2^28
//
// pipeline: 0 training (Train, and TrainEval under Tf1), 1 TrainEval under Reshuffle, 2 Valid,
// 3 Test. pass: the epoch under Reshuffle (the evaluation count for TrainEval), 0 under Tf1 and
// for Valid and Test (their batches are the same every time).
struct BatchDraws {
  static constexpr std::uint32_t kDrawsPerBatch = 16;
  static constexpr std::uint32_t kPassLimit = std::uint32_t{1} << 22;
  static constexpr std::int64_t kBatchLimit = std::int64_t{1} << 28;

  std::uint64_t seed = 0;
  std::uint32_t pipeline = 0;
  std::uint32_t pass = 0;
  std::int64_t batch = 0;

  // The Philox stream of this batch's pipeline and pass.
  std::uint32_t stream() const;
  // The call index of draw k of this batch (k < kDrawsPerBatch).
  std::uint32_t call(std::uint32_t k) const;
  // A generator positioned at draw k: its next draw (uniform_, normal_, ...) is draw k; a second
  // draw from it would be draw k + 1. Throws when k >= kDrawsPerBatch.
  PhiloxGenerator generator(std::uint32_t k = 0) const;
};

// The rules every shuffled data set follows (InMemoryDataSet, ImageNet):
// the order of pass `pass` (0 = the first start of `phase`) over the n examples of `phase`: a
// permutation (i64 CPU tensor [n]) from Philox stream Shuffle/0 (training; Shuffle/1 for
// TrainEval under Reshuffle), call `pass` (always 0 under Tf1); undefined for Valid and Test (the
// stored order).
Tensor pass_permutation(std::uint64_t seed, DataOrder order, Phase phase, std::int64_t pass,
                        std::int64_t n);
// The BatchDraws of batch `batch` of pass `pass` of `phase` (pipeline and pass as BatchDraws
// describes); throws naming `name` when a Reshuffle pass is beyond kPassLimit.
BatchDraws phase_batch_draws(std::uint64_t seed, DataOrder order, Phase phase, std::int64_t pass,
                             std::int64_t batch, std::string_view name);

// What transform() is told about the batch it transforms.
struct BatchContext {
  Phase phase = Phase::Train;
  std::int64_t batch = 0;  // index of the batch in its pass
  BatchDraws draws;        // the batch's random draws (BatchDraws above)
  // Where the batch's examples come from: rows order[first … first+B−1] of `source` (rows
  // first … first+B−1 when `order` is undefined), all on the data set's device. What
  // InMemorySpec::gather_inputs = false hands to transform() to build the inputs itself.
  Tensor source;  // examples(phase).inputs
  Tensor order;   // the pass's permutation, or undefined for the stored order
  std::int64_t first = 0;
};

// A data set held in memory whose phases follow SPEC §4.0 and A.5:
//   Train:     a full permutation of the training examples (a documented deviation from TF's
//              20,000-element shuffle buffer), drop remainder. Tf1: the same permutation in every
//              epoch; Reshuffle: a new one per epoch.
//   TrainEval: the first min(floor(train_eval_size / B), batches(Train)) batches of a permutation
//              of the training examples. Tf1: of the training permutation itself (TF's
//              train_dataset.take(n)); Reshuffle: of a fresh permutation at every evaluation.
//   Valid:     the validation examples in stored order, drop remainder.
//   Test:      the test examples in stored order, drop remainder.
// Permutations come from the Philox streams rng_stream(RngPurpose::Shuffle, 0) (training) and
// (…, 1) (TrainEval under Reshuffle), pass p using call index p (Tf1: always 0), so the training
// order never depends on how often the runner evaluates. They are computed on the CPU for every
// device and uploaded (pass_order). The examples are held once and gathered into each batch, on
// the device of DataSetOptions (ops::gather_examples: the same bits on the CPU and on a GPU).
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
  DataOrder data_order() const { return order_kind_; }

  // The order in which pass `pass` (0 = the first start of `phase`, 1 = the second, ...) visits
  // the examples of `phase`: an i64 CPU tensor [examples(phase).size()] whose first batches(phase)
  // · B entries are the pass's batches, or an undefined tensor for the stored order (Valid,
  // Test). A pure function of (seed, data order, phase, pass); start() uploads exactly this
  // tensor to device() (once per run under Tf1, once per pass under Reshuffle).
  Tensor pass_order(Phase phase, std::int64_t pass) const;
  // The random draws of batch `batch` of pass `pass` of `phase` (BatchDraws above).
  BatchDraws batch_draws(Phase phase, std::int64_t pass, std::int64_t batch) const;

 protected:
  // Called on every batch after it was gathered, before next() returns it: the place for
  // augmentation and standardisation in derived data sets (CIFAR, SVHN). Its randomness must
  // come from context.draws (never from a generator of its own), so that the data order's
  // replay and reshuffle semantics hold for augmentation too. The batch is on device(); with
  // InMemorySpec::gather_inputs = false its inputs are undefined and transform() must set them
  // (from context.source, order and first). The default does nothing.
  virtual void transform(Batch& batch, const BatchContext& context);

 private:
  std::string name_;
  Device device_;
  std::int64_t batch_size_;
  float u8_divisor_;
  bool gather_inputs_;
  std::uint64_t seed_;
  DataOrder order_kind_;
  Examples train_, valid_, test_;
  bool has_valid_ = false;
  std::int64_t train_eval_batches_ = 0;
  Tensor tf1_order_;  // Tf1: the run's one training permutation, on device_ (uploaded once)

  // How often each phase was started (index: Phase), i.e. the pass the next start() begins.
  std::int64_t starts_[4] = {0, 0, 0, 0};

  // The current pass.
  bool started_ = false;
  Phase phase_ = Phase::Train;
  std::int64_t pass_ = 0;
  const Examples* source_ = nullptr;
  Tensor order_;  // i64 [n] permutation on device_ for Train/TrainEval; undefined: stored order
  std::int64_t pass_batches_ = 0;
  std::int64_t next_batch_ = 0;
  Tensor cursor_;  // i64 [1] on device_: the first position of the next batch in the pass
};

}  // namespace deepobs::datasets
