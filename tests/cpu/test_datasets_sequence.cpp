// The character-sequence data set (datasets/sequence.h) on hand-computed ids: DeepOBS's
// tolstoi.py slicing (contiguous rows, labels = the next id, the tail dropped), batches per epoch,
// train_eval as in DeepOBS 1.1, the 1.2 validation split, Tolstoi's real split sizes, and the
// signal a stateful model needs when a pass starts.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/sequence.h"

namespace deepobs::datasets {
namespace {

Tensor iota(std::int64_t n, std::int64_t modulo = 1 << 30) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    v[static_cast<std::size_t>(i)] = i % modulo;
  return Tensor::from_vector(v, {n});
}

SequenceSpec small_spec(std::int64_t n_train, std::int64_t n_test, std::int64_t tes) {
  SequenceSpec s;
  s.name = "seq";
  s.train = iota(n_train);
  s.test = iota(n_test, 100);
  s.sequence_length = 3;
  s.vocabulary_size = 1000;
  s.train_eval_size = tes;
  return s;
}

DataSetOptions opts(std::int64_t batch, bool validation = false, DataOrder order = DataOrder::Tf1) {
  DataSetOptions o;
  o.batch_size = batch;
  o.validation = validation;
  o.order = order;
  return o;
}

using Rows = std::vector<std::vector<std::int64_t>>;
Rows rows(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DType::I64);
  EXPECT_EQ(t.dim(), 2);
  const auto v = t.to_vector<std::int64_t>();
  Rows out(static_cast<std::size_t>(t.size(0)));
  for (std::size_t r = 0; r < out.size(); ++r)
    out[r].assign(v.begin() + static_cast<std::ptrdiff_t>(r * t.size(1)),
                  v.begin() + static_cast<std::ptrdiff_t>((r + 1) * t.size(1)));
  return out;
}

std::vector<Batch> pass(DataSet& d, Phase phase) {
  d.start(phase);
  std::vector<Batch> out;
  for (Batch b; d.next(b);)
    out.push_back(b);
  EXPECT_EQ(static_cast<std::int64_t>(out.size()), d.batches(phase));
  return out;
}

TEST(SequenceDataSet, RowsAreContiguousChunksAndLabelsTheNextId) {
  // 15 ids, B = 2, T = 3: nb = floor(14 / 6) = 2; x = ids 0..11 as [2, 6], rows 0..5 and 6..11;
  // batch k = columns 3k..3k+2; labels are the ids one further. Ids 12 (a label only), 13 and 14
  // are never inputs.
  SequenceDataSet d(small_spec(15, 10, 1000), opts(2));
  EXPECT_EQ(d.sequence_length(), 3);
  EXPECT_EQ(d.vocabulary_size(), 1000);
  EXPECT_TRUE(d.has_labels());
  const auto b = pass(d, Phase::Train);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].inputs.shape(), (Shape{2, 3}));
  EXPECT_EQ(rows(b[0].inputs), (Rows{{0, 1, 2}, {6, 7, 8}}));
  EXPECT_EQ(rows(b[0].labels), (Rows{{1, 2, 3}, {7, 8, 9}}));
  EXPECT_EQ(rows(b[1].inputs), (Rows{{3, 4, 5}, {9, 10, 11}}));
  EXPECT_EQ(rows(b[1].labels), (Rows{{4, 5, 6}, {10, 11, 12}}));
  // Test: 10 ids, nb = floor(9 / 6) = 1: rows 0..2 and 3..5.
  const auto t = pass(d, Phase::Test);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(rows(t[0].inputs), (Rows{{0, 1, 2}, {3, 4, 5}}));
  EXPECT_EQ(rows(t[0].labels), (Rows{{1, 2, 3}, {4, 5, 6}}));
  // Every pass the same batches, in the same order; each batch its own tensor.
  const auto again = pass(d, Phase::Train);
  EXPECT_EQ(rows(again[1].inputs), rows(b[1].inputs));
  EXPECT_FALSE(again[1].inputs.same_storage(b[1].inputs));
}

TEST(SequenceDataSet, BatchesPerEpoch) {
  struct Case {
    std::int64_t n, batch, length, expected;
  };
  // floor((n − 1) / (B·T)): the final id only ever serves as a label.
  for (const Case c : {Case{13, 2, 3, 2}, Case{12, 2, 3, 1}, Case{7, 2, 3, 1}, Case{61, 4, 5, 3},
                       Case{60, 4, 5, 2}, Case{2, 1, 1, 1}, Case{101, 1, 1, 100}}) {
    SequenceSpec s = small_spec(c.n, 1000, 1000);
    s.sequence_length = c.length;
    SequenceDataSet d(std::move(s), opts(c.batch));
    EXPECT_EQ(d.batches(Phase::Train), c.expected) << c.n << " " << c.batch << " " << c.length;
    EXPECT_EQ(d.split_size(Phase::Train), c.n);
  }
  // Too short for one batch (B·T + 1 ids needed): DeepOBS's "dataset is to small".
  try {
    SequenceDataSet d(small_spec(6, 100, 1000), opts(2));
    ADD_FAILURE() << "accepted 6 ids for one batch of 2x3";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "seq: phase train has 6 ids; one batch of 2 sequences of 3 needs 7 (the inputs and "
              "one more id for the last label); use a smaller batch size");
  }
  EXPECT_THROW(SequenceDataSet(small_spec(100, 6, 1000), opts(2)), Error);  // test phase
}

TEST(SequenceDataSet, TrainEvalIsTheWholeTrainingSplitAsInDeepObs11) {
  // take(train_eval_size // B) of the training pass: 1000 // 2 = 500 > 4 batches → all of them.
  SequenceDataSet d(small_spec(25, 10, 1000), opts(2));
  EXPECT_EQ(d.batches(Phase::Train), 4);
  EXPECT_EQ(d.batches(Phase::TrainEval), 4);
  const auto train = pass(d, Phase::Train);
  const auto eval = pass(d, Phase::TrainEval);
  for (std::size_t i = 0; i < train.size(); ++i) {
    EXPECT_EQ(rows(eval[i].inputs), rows(train[i].inputs));
    EXPECT_EQ(rows(eval[i].labels), rows(train[i].labels));
  }
  // A smaller train_eval_size takes the first floor(size / B) batches (size in ids, per B).
  SequenceDataSet small(small_spec(25, 10, 5), opts(2));
  EXPECT_EQ(small.batches(Phase::TrainEval), 2);
  EXPECT_EQ(rows(pass(small, Phase::TrainEval)[1].inputs), rows(train[1].inputs));
  EXPECT_FALSE(small.has_phase(Phase::Valid));
  EXPECT_THROW(small.start(Phase::Valid), Error);
  EXPECT_THROW(SequenceDataSet(small_spec(25, 10, 1), opts(2)), Error);  // 1 // 2 = 0 batches
}

TEST(SequenceDataSet, ValidationSplitAsInDeepObs12) {
  // valid = ids 0..6 (train_eval_size 7), batched alone: nb = floor(6 / 6) = 1; train = ids
  // 7..19 (13 ids), nb = 2, rows 7..12 and 13..18; train_eval = take(7 // (2·3)) = 1 batch.
  SequenceDataSet d(small_spec(20, 10, 7), opts(2, /*validation=*/true));
  EXPECT_TRUE(d.has_phase(Phase::Valid));
  EXPECT_EQ(d.split_size(Phase::Valid), 7);
  EXPECT_EQ(d.split_size(Phase::Train), 13);
  const auto v = pass(d, Phase::Valid);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(rows(v[0].inputs), (Rows{{0, 1, 2}, {3, 4, 5}}));
  EXPECT_EQ(rows(v[0].labels), (Rows{{1, 2, 3}, {4, 5, 6}}));
  const auto t = pass(d, Phase::Train);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(rows(t[0].inputs), (Rows{{7, 8, 9}, {13, 14, 15}}));
  EXPECT_EQ(rows(t[1].labels), (Rows{{11, 12, 13}, {17, 18, 19}}));
  const auto e = pass(d, Phase::TrainEval);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(rows(e[0].inputs), rows(t[0].inputs));
  EXPECT_THROW(SequenceDataSet(small_spec(20, 10, 20), opts(2, true)), Error);  // nothing left
}

TEST(SequenceDataSet, RealSplitSizes) {
  // SPEC §4.7: train 2,612,948 and test 653,237 ids; at batch 50: 1,045 training batches,
  // train_eval all 1,045 (v1.1), 261 test batches. v1.2: valid 261, train 783, train_eval 261.
  SequenceSpec s;
  s.name = "tolstoi";
  s.train = iota(2612948, 83);
  s.test = iota(653237, 83);
  s.sequence_length = 50;
  s.vocabulary_size = 83;
  s.train_eval_size = 653237;
  SequenceDataSet v11(s, opts(50));
  EXPECT_EQ(v11.batches(Phase::Train), 1045);
  EXPECT_EQ(v11.batches(Phase::TrainEval), 1045);
  EXPECT_EQ(v11.batches(Phase::Test), 261);
  SequenceDataSet v12(s, opts(50, true));
  EXPECT_EQ(v12.batches(Phase::Valid), 261);
  EXPECT_EQ(v12.batches(Phase::Train), 783);
  EXPECT_EQ(v12.batches(Phase::TrainEval), 261);
  EXPECT_EQ(v12.batches(Phase::Test), 261);
  SequenceDataSet b128(s, opts(128));
  EXPECT_EQ(b128.batches(Phase::Train), 408);  // floor(2,612,947 / 6,400)
  EXPECT_EQ(b128.batches(Phase::TrainEval), 408);
  EXPECT_EQ(b128.batches(Phase::Test), 102);
  // The last training batch: row b starts at b·1045·50, batch 1044 is its last 50 columns.
  v11.start(Phase::Train);
  Batch last;
  for (Batch b; v11.next(b);)
    last = b;
  const Rows r = rows(last.inputs);
  const std::int64_t row = 1045 * 50;
  for (const std::int64_t b : {std::int64_t{0}, std::int64_t{49}}) {
    EXPECT_EQ(r[static_cast<std::size_t>(b)].front(), (b * row + 1044 * 50) % 83);
    EXPECT_EQ(r[static_cast<std::size_t>(b)].back(), (b * row + 1044 * 50 + 49) % 83);
  }
  EXPECT_EQ(rows(last.labels)[49].back(), (50 * row) % 83);  // id 2,612,500: a label only
}

TEST(SequenceDataSet, DataOrderChangesNothingButIsRecorded) {
  SequenceDataSet tf1(small_spec(25, 10, 1000), opts(2));
  SequenceDataSet re(small_spec(25, 10, 1000), opts(2, false, DataOrder::Reshuffle));
  EXPECT_EQ(tf1.data_order(), DataOrder::Tf1);
  EXPECT_EQ(re.data_order(), DataOrder::Reshuffle);
  for (const Phase p : {Phase::Train, Phase::TrainEval, Phase::Test}) {
    for (int epoch = 0; epoch < 2; ++epoch) {
      const auto a = pass(tf1, p), b = pass(re, p);
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(rows(a[i].inputs), rows(b[i].inputs));
    }
  }
}

TEST(SequenceDataSet, PassSerialTellsAStatefulModelThatAPhaseStarted) {
  SequenceDataSet d(small_spec(25, 10, 1000), opts(2));
  EXPECT_EQ(d.pass_serial(), 0);
  EXPECT_THROW(d.phase(), Error);
  Batch b;
  EXPECT_THROW(d.next(b), Error);
  d.start(Phase::Train);
  EXPECT_EQ(d.pass_serial(), 1);
  EXPECT_EQ(d.batch_index(), -1);
  ASSERT_TRUE(d.next(b));
  EXPECT_EQ(d.batch_index(), 0);
  ASSERT_TRUE(d.next(b));
  EXPECT_EQ(d.batch_index(), 1);
  d.start(Phase::Test);  // mid-pass: a new pass all the same
  EXPECT_EQ(d.pass_serial(), 2);
  EXPECT_EQ(d.phase(), Phase::Test);
  d.start(Phase::Test);
  EXPECT_EQ(d.pass_serial(), 3);
  ASSERT_TRUE(d.next(b));
  EXPECT_FALSE(d.next(b));
  EXPECT_EQ(d.batch_index(), 0);
}

TEST(SequenceDataSet, RejectsBadIds) {
  SequenceSpec s = small_spec(25, 10, 1000);
  s.vocabulary_size = 20;
  try {
    SequenceDataSet d(s, opts(2));
    ADD_FAILURE() << "accepted id 20 of a 20-id vocabulary";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "seq: id 20 at position 20 of the training split lies outside the vocabulary [0, "
              "20)");
  }
  s = small_spec(25, 10, 1000);
  s.test = s.test.to(DType::I32);
  EXPECT_THROW(SequenceDataSet(s, opts(2)), Error);
  EXPECT_THROW(SequenceDataSet(small_spec(25, 10, 1000), opts(0)), Error);
}

}  // namespace
}  // namespace deepobs::datasets
