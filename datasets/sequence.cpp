#include "datasets/sequence.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/ops/batch_gather.h"

namespace deepobs::datasets {
namespace {

void check_ids(const std::string& name, const char* split, const Tensor& ids,
               std::int64_t vocabulary_size) {
  DEEPOBS_CHECK(
      ids.defined() && ids.device().is_cpu() && ids.dtype() == DType::I64 && ids.dim() == 1, name,
      ": the ", split, " ids must be an i64 CPU vector, got ",
      ids.defined() ? ids.str() : std::string("nothing"));
  const std::int64_t* p = ids.data<std::int64_t>();
  for (std::int64_t i = 0; i < ids.numel(); ++i)
    DEEPOBS_CHECK(p[i] >= 0 && p[i] < vocabulary_size, name, ": id ", p[i], " at position ", i,
                  " of the ", split, " split lies outside the vocabulary [0, ", vocabulary_size,
                  ")");
}

}  // namespace

SequenceDataSet::SequenceDataSet(SequenceSpec spec, const DataSetOptions& options)
    : name_(std::move(spec.name)),
      device_(options.device),
      batch_size_(options.batch_size),
      sequence_length_(spec.sequence_length),
      vocabulary_size_(spec.vocabulary_size),
      order_(options.order),
      has_valid_(options.validation) {
  DEEPOBS_CHECK(batch_size_ >= 1, name_, ": batch size must be at least 1, got ", batch_size_);
  DEEPOBS_CHECK(sequence_length_ >= 1, name_, ": sequence length must be at least 1, got ",
                sequence_length_);
  DEEPOBS_CHECK(vocabulary_size_ >= 1, name_, ": vocabulary size must be at least 1, got ",
                vocabulary_size_);
  const std::int64_t tes = spec.train_eval_size;
  DEEPOBS_CHECK(tes >= 1, name_, ": train_eval_size must be positive, got ", tes);
  check_ids(name_, "training", spec.train, vocabulary_size_);
  check_ids(name_, "test", spec.test, vocabulary_size_);

  Tensor train_ids = spec.train;
  if (has_valid_) {
    // DeepOBS 1.2: valid = the first train_eval_size ids of train.npy, train = the rest.
    const std::int64_t n = train_ids.numel();
    DEEPOBS_CHECK(tes < n, name_, ": cannot carve a validation split of ", tes, " ids out of ", n,
                  " training ids");
    valid_ = batch_split(train_ids.narrow0(0, tes), Phase::Valid);
    train_ids = train_ids.narrow0(tes, n - tes);
  }
  train_ = batch_split(train_ids, Phase::Train);
  test_ = batch_split(spec.test, Phase::Test);
  cursor_ = Tensor::zeros({1}, DType::I64, device_);
  // DeepOBS 1.1: take(train_eval_size // batch_size); 1.2: take(train_eval_size // (B·T)).
  const std::int64_t wanted =
      has_valid_ ? tes / (batch_size_ * sequence_length_) : tes / batch_size_;
  train_eval_batches_ = std::min(wanted, train_.batches);
  DEEPOBS_CHECK(train_eval_batches_ >= 1, name_, ": phase train_eval gets floor(", tes, " / ",
                has_valid_ ? cat(batch_size_, "·", sequence_length_) : cat(batch_size_),
                ") = 0 batches; use a smaller batch size");
}

SequenceDataSet::Batched SequenceDataSet::batch_split(const Tensor& ids, Phase phase) const {
  const std::int64_t n = ids.numel();
  const std::int64_t per_batch = batch_size_ * sequence_length_;
  Batched out;
  out.ids = n;
  out.batches = n >= 1 ? (n - 1) / per_batch : 0;
  DEEPOBS_CHECK(out.batches >= 1, name_, ": phase ", phase_name(phase), " has ", n,
                " ids; one batch of ", batch_size_, " sequences of ", sequence_length_, " needs ",
                per_batch + 1, " (the inputs and one more id for the last label); ",
                "use a smaller batch size");
  const std::int64_t nb = out.batches;
  const std::int64_t row = nb * sequence_length_;  // ids per row of the [B, nb·T] reshape
  Tensor x = Tensor::empty({nb * per_batch}, DType::I64);
  Tensor y = Tensor::empty({nb * per_batch}, DType::I64);
  const std::int64_t* src = ids.data<std::int64_t>();
  std::int64_t* px = x.data<std::int64_t>();
  std::int64_t* py = y.data<std::int64_t>();
  for (std::int64_t k = 0; k < nb; ++k) {
    for (std::int64_t b = 0; b < batch_size_; ++b) {
      const std::int64_t from = b * row + k * sequence_length_;
      const std::int64_t to = (k * batch_size_ + b) * sequence_length_;
      std::copy_n(src + from, sequence_length_, px + to);
      std::copy_n(src + from + 1, sequence_length_, py + to);
    }
  }
  // Uploaded once; every batch is gathered from here on the device.
  out.x = device_.is_cpu() ? x : x.to(device_);
  out.y = device_.is_cpu() ? y : y.to(device_);
  return out;
}

bool SequenceDataSet::has_phase(Phase phase) const {
  return phase != Phase::Valid || has_valid_;
}

const SequenceDataSet::Batched& SequenceDataSet::batched(Phase phase) const {
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

std::int64_t SequenceDataSet::batches(Phase phase) const {
  if (phase == Phase::TrainEval) return train_eval_batches_;
  return batched(phase).batches;
}

std::int64_t SequenceDataSet::split_size(Phase phase) const {
  return batched(phase).ids;
}

void SequenceDataSet::start(Phase phase) {
  pass_batches_ = batches(phase);  // throws for a phase the set lacks
  phase_ = phase;
  next_batch_ = 0;
  cursor_.fill(0.0);
  started_ = true;
  ++pass_serial_;
}

Phase SequenceDataSet::phase() const {
  DEEPOBS_CHECK(started_, name_, ": no phase before the first start()");
  return phase_;
}

std::vector<std::int64_t> SequenceDataSet::pass_state() const {
  return {pass_serial_};
}

void SequenceDataSet::restore_pass_state(const std::vector<std::int64_t>& state) {
  DEEPOBS_CHECK(state.size() == 1 && state[0] >= 0, name_,
                ": the saved data state is not a sequence data set's (", state.size(),
                " values instead of 1); it belongs to another problem");
  pass_serial_ = state[0];
  started_ = false;
}

bool SequenceDataSet::next(Batch& batch) {
  DEEPOBS_CHECK(started_, name_, ": next() called before start()");
  if (next_batch_ >= pass_batches_) return false;
  const Batched& source = batched(phase_);
  const std::int64_t per_batch = batch_size_ * sequence_length_;
  const Shape shape = {batch_size_, sequence_length_};
  // The batch starts at cursor_, in device memory and advanced there (capture-ready).
  Batch out;
  out.inputs = ops::gather_labels(source.x, Tensor(), cursor_, per_batch).view(shape);
  out.labels = ops::gather_labels(source.y, Tensor(), cursor_, per_batch).view(shape);
  ops::advance_(cursor_, per_batch);
  ++next_batch_;
  batch = std::move(out);
  return true;
}

}  // namespace deepobs::datasets
