// A character-sequence data set for stateful language models (SPEC §4.7; DeepOBS's tolstoi.py):
// one stream of token ids per split, cut into batch_size contiguous rows, and batches that walk
// along the rows in steps of sequence_length, so that row b of batch k continues row b of batch
// k − 1 — which is what lets an LSTM carry its state from one batch to the next.
//
// For a split of n ids, B = batch_size and T = sequence_length (DeepOBS's _make_dataset):
//   nb = floor((n − 1) / (B·T)) batches;  x = ids[0, nb·B·T),  y = ids[1, nb·B·T + 1)
//   x and y are reshaped to [B, nb·T] (row b = ids b·nb·T … (b+1)·nb·T − 1), and batch k is the
//   columns [k·T, (k+1)·T) of both: inputs x, labels y = the next character of every input.
// The last n − 1 − nb·B·T ids (and the final id, which only serves as a label) are never seen.
//
// Phases (no shuffling anywhere: every pass yields the same batches in the same order):
//   Train:     the batches of the training split.
//   TrainEval: the first batches of the training pass. Without the validation split, DeepOBS 1.1
//              takes floor(train_eval_size / B) of them (`take(train_eval_size // batch_size)`),
//              which for Tolstoi exceeds the training pass, so train_eval is the whole training
//              split (SPEC §10 #19). With the validation split, DeepOBS 1.2's rule:
//              floor(train_eval_size / (B·T)) batches.
//   Valid:     with the validation split only (DeepOBS 1.2): the first train_eval_size ids of
//              the training split, batched on their own as above; training uses the rest.
//   Test:      the batches of the test split.
// The data order (tf1 / reshuffle) changes nothing here, since nothing is shuffled; it is kept so
// that the run records it like every other data set's.
//
// Batches: inputs and labels are i64 [B, T] token ids on the data set's device. Each split's x
// and y are laid out batch by batch ([nb, B, T]) on the CPU once and uploaded once; a batch is
// then one contiguous gather on the device (ops::gather_labels), with no host-device copy.
//
// A model that carries state across batches (the char-RNN) resets it whenever a pass starts;
// pass_serial() tells it that one did.
#pragma once

#include <cstdint>
#include <string>

#include "datasets/dataset.h"

namespace deepobs::datasets {

// What a SequenceDataSet is built from.
struct SequenceSpec {
  std::string name;
  Tensor train;  // i64 CPU [n_train]: the training split's token ids, in text order
  Tensor test;   // i64 CPU [n_test]
  std::int64_t sequence_length = 50;
  std::int64_t vocabulary_size = 0;  // every id must lie in [0, vocabulary_size)
  // In tokens: the size of the v1.2 validation split, and what train_eval's batch count is
  // derived from (see above).
  std::int64_t train_eval_size = 0;
};

class SequenceDataSet : public DataSet {
 public:
  // Throws deepobs::Error when the ids are not i64 CPU vectors, an id lies outside
  // [0, vocabulary_size), batch_size, sequence_length, vocabulary_size or train_eval_size is not
  // positive, the validation split would leave no training ids, or a phase would have no batch.
  SequenceDataSet(SequenceSpec spec, const DataSetOptions& options);

  const std::string& name() const override { return name_; }
  std::int64_t batch_size() const override { return batch_size_; }
  bool has_labels() const override { return true; }
  bool has_phase(Phase phase) const override;
  std::int64_t batches(Phase phase) const override;
  void start(Phase phase) override;
  bool next(Batch& batch) override;
  Phase phase() const override;
  // {pass_serial()}: the only state that outlives a pass (the batches never change).
  std::vector<std::int64_t> pass_state() const override;
  void restore_pass_state(const std::vector<std::int64_t>& state) override;

  std::int64_t sequence_length() const { return sequence_length_; }
  std::int64_t vocabulary_size() const { return vocabulary_size_; }
  // How many ids the split behind `phase` has (Train and TrainEval: the training split after the
  // validation ids were carved out).
  std::int64_t split_size(Phase phase) const;
  // The number of start() calls so far: it changes exactly when a new pass begins, which is when
  // a stateful model must reset its state (DeepOBS zeroes the LSTM state at every train,
  // train_eval and test initialisation, SPEC §3.10).
  std::int64_t pass_serial() const { return pass_serial_; }
  // The index in its pass of the batch next() returned last; -1 after start() until next()
  // returns one.
  std::int64_t batch_index() const { return next_batch_ - 1; }
  Device device() const { return device_; }
  DataOrder data_order() const { return order_; }

 private:
  // One split batched: x and y as [nb·B·T] ids in batch order, on device_.
  struct Batched {
    Tensor x, y;
    std::int64_t ids = 0;
    std::int64_t batches = 0;
  };
  Batched batch_split(const Tensor& ids, Phase phase) const;
  const Batched& batched(Phase phase) const;

  std::string name_;
  Device device_;
  std::int64_t batch_size_;
  std::int64_t sequence_length_;
  std::int64_t vocabulary_size_;
  DataOrder order_;
  bool has_valid_ = false;
  Batched train_, valid_, test_;
  std::int64_t train_eval_batches_ = 0;

  bool started_ = false;
  Phase phase_ = Phase::Train;
  std::int64_t pass_serial_ = 0;
  std::int64_t pass_batches_ = 0;
  std::int64_t next_batch_ = 0;
  Tensor cursor_;  // i64 [1] on device_: where the next batch starts in the split
};

}  // namespace deepobs::datasets
