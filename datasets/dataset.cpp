#include "datasets/dataset.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/ops/batch_gather.h"

namespace deepobs::datasets {
namespace {

constexpr std::uint32_t kTrainShuffleIndex = 0;
constexpr std::uint32_t kTrainEvalShuffleIndex = 1;

// BatchDraws::pipeline values.
constexpr std::uint32_t kTrainingPipeline = 0;
constexpr std::uint32_t kTrainEvalPipeline = 1;
constexpr std::uint32_t kValidPipeline = 2;
constexpr std::uint32_t kTestPipeline = 3;
constexpr std::uint32_t kPipelineShift = 22;

std::size_t phase_index(Phase phase) {
  return static_cast<std::size_t>(phase);
}

// The 32-bit call index of a generator's draw number `pass` (< 2^32 passes: never reached).
std::uint64_t pass_call(std::int64_t pass) {
  DEEPOBS_CHECK(pass >= 0 && pass < (std::int64_t{1} << 32), "data set: pass ", pass,
                " is out of range");
  return static_cast<std::uint64_t>(pass);
}

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

std::string_view data_order_name(DataOrder order) {
  switch (order) {
    case DataOrder::Tf1:
      return "tf1";
    case DataOrder::Reshuffle:
      return "reshuffle";
  }
  return "?";
}

DataOrder parse_data_order(std::string_view name) {
  if (name == "tf1") return DataOrder::Tf1;
  if (name == "reshuffle") return DataOrder::Reshuffle;
  throw Error(cat("unknown data order '", name,
                  "' (tf1: one shuffle order per run as in DeepOBS 1.1's baselines; reshuffle: a "
                  "new order every epoch)"));
}

std::uint32_t BatchDraws::stream() const {
  DEEPOBS_CHECK(pipeline < 4 && pass < kPassLimit, "BatchDraws: pipeline ", pipeline, " / pass ",
                pass, " out of range");
  return rng_stream(RngPurpose::Augmentation, (pipeline << kPipelineShift) | pass);
}

std::uint32_t BatchDraws::call(std::uint32_t k) const {
  DEEPOBS_CHECK(k < kDrawsPerBatch, "BatchDraws: draw ", k, " of a batch, only ", kDrawsPerBatch,
                " are addressable");
  DEEPOBS_CHECK(batch >= 0 && batch < kBatchLimit, "BatchDraws: batch index ", batch,
                " out of range");
  return static_cast<std::uint32_t>(batch) * kDrawsPerBatch + k;
}

PhiloxGenerator BatchDraws::generator(std::uint32_t k) const {
  PhiloxGenerator g(seed, stream());
  g.set_calls(call(k));
  return g;
}

InMemoryDataSet::InMemoryDataSet(InMemorySpec spec, const DataSetOptions& options)
    : name_(std::move(spec.name)),
      device_(options.device),
      batch_size_(options.batch_size),
      u8_divisor_(spec.u8_divisor),
      gather_inputs_(spec.gather_inputs),
      seed_(options.seed),
      order_kind_(options.order) {
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
  // Tf1: the run's one permutation, drawn and uploaded once.
  if (order_kind_ == DataOrder::Tf1) {
    tf1_order_ = pass_order(Phase::Train, 0);
    if (!device_.is_cpu()) tf1_order_ = tf1_order_.to(device_);
  }
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

Tensor pass_permutation(std::uint64_t seed, DataOrder order, Phase phase, std::int64_t pass,
                        std::int64_t n) {
  if (phase == Phase::Valid || phase == Phase::Test) return Tensor();
  // Tf1: TrainEval is the training pipeline's first batches, and every pass is pass 0.
  const bool own_stream = order == DataOrder::Reshuffle && phase == Phase::TrainEval;
  PhiloxGenerator gen(seed, RngPurpose::Shuffle,
                      own_stream ? kTrainEvalShuffleIndex : kTrainShuffleIndex);
  gen.set_calls(order == DataOrder::Tf1 ? 0 : pass_call(pass));
  return gen.permutation(n);
}

BatchDraws phase_batch_draws(std::uint64_t seed, DataOrder order, Phase phase, std::int64_t pass,
                             std::int64_t batch, std::string_view name) {
  BatchDraws d;
  d.seed = seed;
  d.batch = batch;
  switch (phase) {
    case Phase::Train:
    case Phase::TrainEval:
      if (order == DataOrder::Tf1) {
        d.pipeline = kTrainingPipeline;
        d.pass = 0;
      } else {
        d.pipeline = phase == Phase::Train ? kTrainingPipeline : kTrainEvalPipeline;
        DEEPOBS_CHECK(pass >= 0 && pass < BatchDraws::kPassLimit, name, ": pass ", pass, " of ",
                      phase_name(phase), " is beyond the addressable ", BatchDraws::kPassLimit);
        d.pass = static_cast<std::uint32_t>(pass);
      }
      break;
    case Phase::Valid:
      d.pipeline = kValidPipeline;
      break;
    case Phase::Test:
      d.pipeline = kTestPipeline;
      break;
  }
  return d;
}

Tensor InMemoryDataSet::pass_order(Phase phase, std::int64_t pass) const {
  return pass_permutation(seed_, order_kind_, phase, pass, examples(phase).size());
}

BatchDraws InMemoryDataSet::batch_draws(Phase phase, std::int64_t pass, std::int64_t batch) const {
  return phase_batch_draws(seed_, order_kind_, phase, pass, batch, name_);
}

void InMemoryDataSet::start(Phase phase) {
  source_ = &examples(phase);
  pass_batches_ = batches(phase);
  pass_ = starts_[phase_index(phase)];
  if (phase == Phase::Valid || phase == Phase::Test) {
    order_ = Tensor();
  } else if (order_kind_ == DataOrder::Tf1) {
    order_ = tf1_order_;  // already on device_
  } else {
    // Drawn on the CPU for every device (same seed, same order) and uploaded once per pass:
    // n·8 bytes per epoch, not a per-step copy.
    order_ = pass_order(phase, pass_);
    if (!device_.is_cpu()) order_ = order_.to(device_);
  }
  ++starts_[phase_index(phase)];
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
  const std::int64_t first = next_batch_ * batch_size_;
  // The gathers read where the batch starts from cursor_ in device memory, which is advanced
  // there (capture-ready: a replayed step gathers the next batch); `first` is its host mirror.
  Batch out;
  if (gather_inputs_)
    out.inputs = ops::gather_examples(source_->inputs, order_, cursor_, batch_size_, u8_divisor_);
  if (source_->labels.defined())
    out.labels = ops::gather_labels(source_->labels, order_, cursor_, batch_size_);
  ops::advance_(cursor_, batch_size_);
  BatchContext context;
  context.phase = phase_;
  context.batch = next_batch_;
  context.draws = batch_draws(phase_, pass_, next_batch_);
  context.source = source_->inputs;
  context.order = order_;
  context.first = first;
  ++next_batch_;
  transform(out, context);
  DEEPOBS_CHECK(out.inputs.defined(), name_, ": transform() left the batch without inputs");
  batch = std::move(out);
  return true;
}

void InMemoryDataSet::transform(Batch& /*batch*/, const BatchContext& /*context*/) {}

}  // namespace deepobs::datasets
