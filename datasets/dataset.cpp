#include "datasets/dataset.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/ops/batch_gather.h"

namespace deepobs::datasets {
namespace {

constexpr std::uint32_t kTrainShuffleIndex = 0;
constexpr std::uint32_t kTrainEvalShuffleIndex = 1;

// Checks one split and returns its size.
std::int64_t check_examples(const std::string& name, const char* split, const Examples& ex,
                            bool labels_expected) {
  DEEPOBS_CHECK(ex.inputs.defined(), name, ": the ", split, " split has no inputs");
  DEEPOBS_CHECK(ex.inputs.device().is_cpu(), name, ": ", split, " inputs must be on the CPU, got ",
                ex.inputs.str());
  DEEPOBS_CHECK(ex.inputs.dtype() == DType::F32 || ex.inputs.dtype() == DType::U8, name, ": ",
                split, " inputs must be f32 or u8, got ", ex.inputs.str());
  DEEPOBS_CHECK(ex.inputs.dim() >= 1, name, ": ", split, " inputs need a leading example",
                " dimension, got ", ex.inputs.str());
  const std::int64_t n = ex.inputs.size(0);
  DEEPOBS_CHECK(ex.labels.defined() == labels_expected, name, ": the ", split, " split ",
                labels_expected ? "lacks labels" : "has labels but the training split has none");
  if (labels_expected) {
    DEEPOBS_CHECK(ex.labels.device().is_cpu() && ex.labels.dtype() == DType::I64 &&
                      ex.labels.shape() == Shape{n},
                  name, ": ", split, " labels must be an i64 CPU tensor [", n, "], got ",
                  ex.labels.str());
  }
  return n;
}

Shape example_shape(const Tensor& inputs) {
  return Shape(inputs.shape().begin() + 1, inputs.shape().end());
}

std::string no_batch_message(const std::string& name, Phase phase, std::int64_t examples,
                             std::int64_t batch_size) {
  return cat(name, ": phase ", phase_name(phase), " has ", examples,
             " examples, fewer than one batch of ", batch_size,
             " (every phase drops the remainder); use a smaller batch size");
}

// The split's tensors on `device` (the same handles when it is the CPU). u8 images are uploaded as
// bytes: a quarter of the f32 size, converted per batch by the gather kernel.
Examples on_device(const Examples& ex, Device device) {
  if (device.is_cpu() || !ex.inputs.defined()) return ex;
  Examples out;
  out.inputs = ex.inputs.to(device);
  if (ex.labels.defined()) out.labels = ex.labels.to(device);
  return out;
}

}  // namespace

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::Train:
      return "train";
    case Phase::TrainEval:
      return "train_eval";
    case Phase::Valid:
      return "valid";
    case Phase::Test:
      return "test";
  }
  return "?";
}

InMemoryDataSet::InMemoryDataSet(InMemorySpec spec, const DataSetOptions& options)
    : name_(std::move(spec.name)),
      device_(options.device),
      batch_size_(options.batch_size),
      u8_divisor_(spec.u8_divisor),
      train_rng_(options.seed, RngPurpose::Shuffle, kTrainShuffleIndex),
      train_eval_rng_(options.seed, RngPurpose::Shuffle, kTrainEvalShuffleIndex) {
  DEEPOBS_CHECK(batch_size_ >= 1, name_, ": batch size must be at least 1, got ", batch_size_);
  DEEPOBS_CHECK(u8_divisor_ > 0.0f, name_, ": u8_divisor must be positive, got ", u8_divisor_);
  const std::int64_t tes = spec.train_eval_size;
  DEEPOBS_CHECK(tes == -1 || tes >= 1, name_,
                ": train_eval_size must be -1 (all) or positive, got ", tes);

  const bool labels = spec.train.labels.defined();
  const std::int64_t n_train = check_examples(name_, "training", spec.train, labels);
  check_examples(name_, "test", spec.test, labels);
  const Shape shape = example_shape(spec.train.inputs);
  DEEPOBS_CHECK(example_shape(spec.test.inputs) == shape, name_, ": test inputs ",
                spec.test.inputs.str(), " do not match the training inputs ",
                spec.train.inputs.str());
  train_ = std::move(spec.train);
  test_ = std::move(spec.test);

  if (options.validation) {
    has_valid_ = true;
    if (spec.valid.inputs.defined()) {
      check_examples(name_, "validation", spec.valid, labels);
      DEEPOBS_CHECK(example_shape(spec.valid.inputs) == shape, name_, ": validation inputs ",
                    spec.valid.inputs.str(), " do not match the training inputs ",
                    train_.inputs.str());
      valid_ = std::move(spec.valid);
    } else {
      // v1.2: the first train_eval_size raw training examples become the validation set.
      DEEPOBS_CHECK(tes >= 1 && tes < n_train, name_, ": cannot carve a validation set of ", tes,
                    " examples out of ", n_train, " training examples");
      valid_.inputs = train_.inputs.narrow0(0, tes);
      train_.inputs = train_.inputs.narrow0(tes, n_train - tes);
      if (labels) {
        valid_.labels = train_.labels.narrow0(0, tes);
        train_.labels = train_.labels.narrow0(tes, n_train - tes);
      }
    }
  }

  const std::int64_t train_batches = train_.size() / batch_size_;
  if (train_batches == 0)
    throw Error(no_batch_message(name_, Phase::Train, train_.size(), batch_size_));
  if (tes == -1) {
    train_eval_batches_ = train_batches;
  } else {
    train_eval_batches_ = std::min(tes / batch_size_, train_batches);
    if (train_eval_batches_ == 0)
      throw Error(no_batch_message(name_, Phase::TrainEval, tes, batch_size_));
  }
  if (test_.size() < batch_size_)
    throw Error(no_batch_message(name_, Phase::Test, test_.size(), batch_size_));
  if (has_valid_ && valid_.size() < batch_size_)
    throw Error(no_batch_message(name_, Phase::Valid, valid_.size(), batch_size_));
  // Uploaded once, after the validation examples were carved out (each byte goes up once).
  train_ = on_device(train_, device_);
  valid_ = on_device(valid_, device_);
  test_ = on_device(test_, device_);
  cursor_ = Tensor::zeros({1}, DType::I64, device_);
}

bool InMemoryDataSet::has_phase(Phase phase) const {
  return phase != Phase::Valid || has_valid_;
}

const Examples& InMemoryDataSet::examples(Phase phase) const {
  switch (phase) {
    case Phase::Train:
    case Phase::TrainEval:
      return train_;
    case Phase::Test:
      return test_;
    case Phase::Valid:
      break;
  }
  DEEPOBS_CHECK(has_valid_, name_,
                ": there is no valid phase without the validation split (--validation)");
  return valid_;
}

std::int64_t InMemoryDataSet::batches(Phase phase) const {
  if (phase == Phase::TrainEval) return train_eval_batches_;
  return examples(phase).size() / batch_size_;
}

void InMemoryDataSet::start(Phase phase) {
  source_ = &examples(phase);
  pass_batches_ = batches(phase);
  switch (phase) {
    case Phase::Train:
      order_ = train_rng_.permutation(source_->size());
      break;
    case Phase::TrainEval:
      order_ = train_eval_rng_.permutation(source_->size());
      break;
    case Phase::Valid:
    case Phase::Test:
      order_ = Tensor();
      break;
  }
  // The permutation is drawn on the CPU for every device (same seed, same order) and uploaded
  // once per pass: n·8 bytes per epoch, not a per-step copy.
  if (order_.defined() && !device_.is_cpu()) order_ = order_.to(device_);
  phase_ = phase;
  next_batch_ = 0;
  cursor_.fill(0.0);
  started_ = true;
}

Phase InMemoryDataSet::phase() const {
  DEEPOBS_CHECK(started_, name_, ": no phase before the first start()");
  return phase_;
}

bool InMemoryDataSet::next(Batch& batch) {
  DEEPOBS_CHECK(started_, name_, ": next() called before start()");
  if (next_batch_ >= pass_batches_) return false;
  // Where the batch starts is read by the gather kernels from cursor_ in device memory and
  // advanced there (capture-ready: a replayed step gathers the next batch).
  Batch out;
  out.inputs = ops::gather_examples(source_->inputs, order_, cursor_, batch_size_, u8_divisor_);
  if (source_->labels.defined())
    out.labels = ops::gather_labels(source_->labels, order_, cursor_, batch_size_);
  ops::advance_(cursor_, batch_size_);
  ++next_batch_;
  transform(out, phase_);
  batch = std::move(out);
  return true;
}

void InMemoryDataSet::transform(Batch& /*batch*/, Phase /*phase*/) {}

}  // namespace deepobs::datasets
