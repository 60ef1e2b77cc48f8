// InMemoryDataSet: batches per phase (drop remainder everywhere), shuffling (each example at most
// once per epoch, reproducible from the seed), the two data orders of SPEC A.5 (tf1: one order
// replayed every epoch and train_eval its first batches; reshuffle: a new order per epoch and a
// fresh train_eval subset), the batch draws of the augmentation hook, fixed test order, the v1.2
// validation split and the u8 → f32 conversion.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/dataset.h"

namespace deepobs::datasets {
namespace {

// Examples whose input row i is the single value `offset + i`, labels i % 10 (when wanted).
Examples indexed(std::int64_t n, float offset, bool labels = true) {
  Examples ex;
  std::vector<float> v(static_cast<std::size_t>(n));
  std::vector<std::int64_t> l(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    v[static_cast<std::size_t>(i)] = offset + static_cast<float>(i);
    l[static_cast<std::size_t>(i)] = i % 10;
  }
  ex.inputs = Tensor::from_vector(v, {n, 1});
  if (labels) ex.labels = Tensor::from_vector(l, {n});
  return ex;
}

constexpr float kTestOffset = 1e6f;

InMemorySpec mnist_sized(std::int64_t n_train = 60000, std::int64_t n_test = 10000) {
  InMemorySpec spec;
  spec.name = "indexed";
  spec.train = indexed(n_train, 0);
  spec.test = indexed(n_test, kTestOffset);
  spec.train_eval_size = 10000;
  return spec;
}

DataSetOptions opts(std::int64_t batch, std::uint64_t seed = 42, bool validation = false,
                    DataOrder order = DataOrder::Tf1) {
  DataSetOptions o;
  o.batch_size = batch;
  o.seed = seed;
  o.validation = validation;
  o.order = order;
  return o;
}

// The same with DataOrder::Reshuffle (a modern pipeline: a new order every epoch).
DataSetOptions reshuffled(std::int64_t batch, std::uint64_t seed = 42, bool validation = false) {
  return opts(batch, seed, validation, DataOrder::Reshuffle);
}

// The example indices (input values) of one whole pass, checking every batch's shape and labels.
std::vector<std::int64_t> pass(DataSet& data, Phase phase, float offset = 0) {
  data.start(phase);
  EXPECT_EQ(data.phase(), phase);
  std::vector<std::int64_t> out;
  std::int64_t batches = 0;
  for (Batch b; data.next(b); ++batches) {
    EXPECT_EQ(b.inputs.shape(), (Shape{data.batch_size(), 1}));
    EXPECT_EQ(b.inputs.dtype(), DType::F32);
    const auto v = b.inputs.to_vector<float>();
    const auto l = b.labels.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto index = static_cast<std::int64_t>(v[i] - offset);
      out.push_back(index);
      EXPECT_EQ(l[i], index % 10) << "label travels with its example";
    }
  }
  EXPECT_EQ(batches, data.batches(phase)) << phase_name(phase);
  return out;
}

TEST(DataSetPhases, BatchesPerEpochDropTheRemainder) {
  InMemoryDataSet data(mnist_sized(), opts(128));
  EXPECT_EQ(data.batches(Phase::Train), 468);
  EXPECT_EQ(data.batches(Phase::TrainEval), 78);
  EXPECT_EQ(data.batches(Phase::Test), 78);
  EXPECT_FALSE(data.has_phase(Phase::Valid));
  EXPECT_THROW(data.batches(Phase::Valid), Error);
  EXPECT_THROW(data.start(Phase::Valid), Error);
  EXPECT_EQ(pass(data, Phase::Test, kTestOffset).size(), 9984u);  // 78 · 128, the rest dropped

  InMemoryDataSet b64(mnist_sized(), opts(64));
  EXPECT_EQ(b64.batches(Phase::Train), 937);  // mnist_vae logs 937 steps per epoch
  EXPECT_EQ(b64.batches(Phase::TrainEval), 156);
  InMemoryDataSet b1000(mnist_sized(), opts(1000));
  EXPECT_EQ(b1000.batches(Phase::Test), 10);
}

TEST(DataSetPhases, TrainVisitsEveryExampleAtMostOncePerEpoch) {
  InMemoryDataSet data(mnist_sized(1000, 1000), reshuffled(128));
  ASSERT_EQ(data.batches(Phase::Train), 7);
  const auto epoch1 = pass(data, Phase::Train);
  const auto epoch2 = pass(data, Phase::Train);
  for (const auto& epoch : {epoch1, epoch2}) {
    ASSERT_EQ(epoch.size(), 896u);
    const std::set<std::int64_t> distinct(epoch.begin(), epoch.end());
    EXPECT_EQ(distinct.size(), epoch.size());
    EXPECT_GE(*distinct.begin(), 0);
    EXPECT_LT(*distinct.rbegin(), 1000);
  }
  EXPECT_NE(epoch1, epoch2) << "a new permutation every epoch";
}

TEST(DataSetPhases, SameSeedSameOrder) {
  InMemoryDataSet a(mnist_sized(1000, 1000), reshuffled(100, 7));
  InMemoryDataSet b(mnist_sized(1000, 1000), reshuffled(100, 7));
  InMemoryDataSet c(mnist_sized(1000, 1000), reshuffled(100, 8));
  const auto a1 = pass(a, Phase::Train), a2 = pass(a, Phase::Train);
  EXPECT_EQ(pass(b, Phase::Train), a1);
  EXPECT_EQ(pass(b, Phase::Train), a2);
  EXPECT_NE(pass(c, Phase::Train), a1);
}

TEST(DataSetPhases, TrainEvalIsAFreshSubsetAndLeavesTrainingOrderAlone) {
  InMemoryDataSet data(mnist_sized(), reshuffled(128));
  const auto e1 = pass(data, Phase::TrainEval);
  const auto e2 = pass(data, Phase::TrainEval);
  ASSERT_EQ(e1.size(), 78u * 128u);
  EXPECT_EQ(std::set<std::int64_t>(e1.begin(), e1.end()).size(), e1.size());
  EXPECT_NE(e1, e2) << "a new subset at every evaluation";

  // Evaluating between epochs must not change the training order.
  InMemoryDataSet quiet(mnist_sized(2000, 1000), reshuffled(128, 3));
  InMemoryDataSet busy(mnist_sized(2000, 1000), reshuffled(128, 3));
  const auto q1 = pass(quiet, Phase::Train), q2 = pass(quiet, Phase::Train);
  pass(busy, Phase::TrainEval);
  EXPECT_EQ(pass(busy, Phase::Train), q1);
  pass(busy, Phase::TrainEval);
  pass(busy, Phase::Test, kTestOffset);
  EXPECT_EQ(pass(busy, Phase::Train), q2);

  // train_eval_size -1 means a whole pass; a train_eval_size above the training set is capped.
  InMemorySpec all = mnist_sized(1000, 1000);
  all.train_eval_size = -1;
  EXPECT_EQ(InMemoryDataSet(std::move(all), opts(128)).batches(Phase::TrainEval), 7);
  InMemorySpec capped = mnist_sized(1000, 1000);
  capped.train_eval_size = 5000;
  EXPECT_EQ(InMemoryDataSet(std::move(capped), opts(128)).batches(Phase::TrainEval), 7);
}

TEST(DataSetPhases, TestOrderIsFixed) {
  InMemoryDataSet data(mnist_sized(1000, 1000), opts(128));
  const auto t1 = pass(data, Phase::Test, kTestOffset);
  pass(data, Phase::Train);
  const auto t2 = pass(data, Phase::Test, kTestOffset);
  ASSERT_EQ(t1.size(), 896u);
  for (std::size_t i = 0; i < t1.size(); ++i)
    ASSERT_EQ(t1[i], static_cast<std::int64_t>(i));
  EXPECT_EQ(t1, t2);
}

TEST(DataSetPhases, ValidationSplitTakesTheFirstTrainingExamples) {
  InMemoryDataSet data(mnist_sized(), opts(128, 42, true));
  EXPECT_TRUE(data.has_phase(Phase::Valid));
  EXPECT_EQ(data.examples(Phase::Valid).size(), 10000);
  EXPECT_EQ(data.examples(Phase::Train).size(), 50000);
  EXPECT_EQ(data.batches(Phase::Train), 390);
  EXPECT_EQ(data.batches(Phase::TrainEval), 78);
  EXPECT_EQ(data.batches(Phase::Valid), 78);
  EXPECT_EQ(data.batches(Phase::Test), 78);
  const auto valid = pass(data, Phase::Valid);
  for (std::size_t i = 0; i < valid.size(); ++i)
    ASSERT_EQ(valid[i], static_cast<std::int64_t>(i)) << "unshuffled raw training order";
  for (Phase p : {Phase::Train, Phase::TrainEval}) {
    const auto seen = pass(data, p);
    for (auto i : seen)
      ASSERT_GE(i, 10000) << phase_name(p) << " must not see validation examples";
  }
}

TEST(DataSetPhases, IndependentValidationDraw) {
  InMemorySpec spec = mnist_sized(1000, 1000);
  spec.valid = indexed(500, 5e6f);
  InMemoryDataSet data(std::move(spec), opts(100, 42, true));
  EXPECT_EQ(data.examples(Phase::Train).size(), 1000) << "training data keeps every example";
  EXPECT_EQ(data.batches(Phase::Valid), 5);
  EXPECT_EQ(pass(data, Phase::Valid, 5e6f).front(), 0);
}

TEST(DataSetPhases, U8InputsAreDividedBy255) {
  InMemorySpec spec;
  spec.name = "bytes";
  std::vector<std::uint8_t> pixels(256 * 4);
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<std::uint8_t>(i / 4);  // example e has four pixels of value e
  spec.train.inputs = Tensor::from_vector(pixels, {256, 1, 2, 2});
  spec.test.inputs = Tensor::from_vector(pixels, {256, 1, 2, 2});
  InMemoryDataSet data(std::move(spec), opts(256));
  EXPECT_FALSE(data.has_labels());
  data.start(Phase::Test);
  Batch b;
  ASSERT_TRUE(data.next(b));
  EXPECT_FALSE(b.labels.defined());
  EXPECT_EQ(b.inputs.shape(), (Shape{256, 1, 2, 2}));
  const auto v = b.inputs.to_vector<float>();
  for (int e = 0; e < 256; ++e)
    for (int k = 0; k < 4; ++k)
      ASSERT_EQ(v[static_cast<std::size_t>(4 * e + k)], static_cast<float>(e) / 255.0f);
  EXPECT_EQ(v.front(), 0.0f);
  EXPECT_EQ(v.back(), 1.0f);
}

TEST(DataSetPhases, NextBeforeStartAndAfterTheEnd) {
  InMemoryDataSet data(mnist_sized(300, 300), opts(100));
  Batch b;
  EXPECT_THROW(data.next(b), Error);
  EXPECT_THROW(data.phase(), Error);
  data.start(Phase::Test);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(data.next(b));
  const Tensor last = b.inputs;
  EXPECT_FALSE(data.next(b));
  EXPECT_FALSE(data.next(b));
  EXPECT_TRUE(b.inputs.same_storage(last)) << "batch untouched at the end";
  data.start(Phase::Test);  // a restart begins again at the first batch
  ASSERT_TRUE(data.next(b));
  EXPECT_EQ(b.inputs.to_vector<float>()[0], kTestOffset);
}

// A derived data set sees every batch with its phase, index and draws (the augmentation hook of
// CIFAR/SVHN), and records one uniform drawn from each batch's draws.
class Negating : public InMemoryDataSet {
 public:
  using InMemoryDataSet::InMemoryDataSet;
  std::vector<Phase> seen;
  std::vector<std::int64_t> indices;
  std::vector<float> draws;  // the first value of each batch's draw 0

 protected:
  void transform(Batch& batch, const BatchContext& context) override {
    seen.push_back(context.phase);
    indices.push_back(context.batch);
    Tensor u = Tensor::empty({2});
    context.draws.generator(0).uniform_(u, 0.0, 1.0);
    draws.push_back(u.to_vector<float>()[0]);
    if (context.phase == Phase::Train) batch.inputs.fill(-1);
  }
};

TEST(DataSetPhases, TransformHookSeesEveryBatchAndItsPhase) {
  Negating data(mnist_sized(200, 100), opts(100));
  Batch b;
  data.start(Phase::Train);
  while (data.next(b))
    EXPECT_EQ(b.inputs.to_vector<float>()[0], -1.0f);
  data.start(Phase::Test);
  while (data.next(b)) {
  }
  EXPECT_EQ(data.seen, (std::vector<Phase>{Phase::Train, Phase::Train, Phase::Test}));
  EXPECT_EQ(data.indices, (std::vector<std::int64_t>{0, 1, 0}));
}

// ---- the data order (SPEC A.5) ----

// tf1: one permutation, replayed in every epoch; train_eval = its first floor(10000/128) batches.
TEST(DataSetOrder, Tf1ReplaysOneOrderAndTrainEvalIsItsFirstBatches) {
  InMemoryDataSet data(mnist_sized(), opts(128));
  EXPECT_EQ(data.data_order(), DataOrder::Tf1);
  const auto epoch1 = pass(data, Phase::Train);
  const auto eval1 = pass(data, Phase::TrainEval);
  pass(data, Phase::Test, kTestOffset);
  const auto epoch2 = pass(data, Phase::Train);
  const auto eval2 = pass(data, Phase::TrainEval);
  const auto epoch3 = pass(data, Phase::Train);
  ASSERT_EQ(epoch1.size(), 468u * 128u);
  EXPECT_EQ(std::set<std::int64_t>(epoch1.begin(), epoch1.end()).size(), epoch1.size());
  EXPECT_EQ(epoch2, epoch1) << "the same order in every epoch";
  EXPECT_EQ(epoch3, epoch1);
  ASSERT_EQ(eval1.size(), 78u * 128u);
  EXPECT_EQ(eval1, std::vector<std::int64_t>(epoch1.begin(), epoch1.begin() + 78 * 128))
      << "train_eval is the first batches of the training order";
  EXPECT_EQ(eval2, eval1);
  // It is a real shuffle, and the reshuffle order's first epoch (same stream, call 0).
  EXPECT_NE(epoch1[0] + 1, epoch1[1]);
  InMemoryDataSet fresh(mnist_sized(), reshuffled(128));
  EXPECT_EQ(pass(fresh, Phase::Train), epoch1);

  // quadratic's take(-1): train_eval is the whole training pass, in the training order.
  InMemorySpec all = mnist_sized(1000, 1000);
  all.train_eval_size = -1;
  InMemoryDataSet whole(std::move(all), opts(128, 9));
  const auto train = pass(whole, Phase::Train);
  EXPECT_EQ(pass(whole, Phase::TrainEval), train);
  EXPECT_EQ(pass(whole, Phase::Train), train);
}

TEST(DataSetOrder, ReshuffleDrawsANewOrderAndItsOwnTrainEvalSubset) {
  InMemoryDataSet data(mnist_sized(1000, 1000), reshuffled(100));
  EXPECT_EQ(data.data_order(), DataOrder::Reshuffle);
  const auto e1 = pass(data, Phase::Train);
  const auto t1 = pass(data, Phase::TrainEval);
  const auto e2 = pass(data, Phase::Train);
  EXPECT_NE(e1, e2);
  EXPECT_NE(t1, e1) << "train_eval is not the training order";
  EXPECT_NE(t1, e2);
  EXPECT_EQ(t1.size(), 1000u);  // train_eval_size 10000 capped at the whole training set
}

TEST(DataSetOrder, SameSeedSameBatchesDifferentSeedDifferentBatches) {
  for (DataOrder order : {DataOrder::Tf1, DataOrder::Reshuffle}) {
    SCOPED_TRACE(std::string(data_order_name(order)));
    InMemoryDataSet a(mnist_sized(1000, 1000), opts(100, 5, false, order));
    InMemoryDataSet b(mnist_sized(1000, 1000), opts(100, 5, false, order));
    InMemoryDataSet c(mnist_sized(1000, 1000), opts(100, 6, false, order));
    for (Phase p : {Phase::Train, Phase::TrainEval, Phase::Train, Phase::TrainEval}) {
      const auto pa = pass(a, p);
      EXPECT_EQ(pass(b, p), pa) << phase_name(p);
      EXPECT_NE(pass(c, p), pa) << phase_name(p);
    }
  }
}

// The batches are gathered by the order pass_order() returns: the very tensor start() uploads to
// a GPU (the CUDA path gathers with it on the device; tests/gpu/test_cuda_problems.cpp compares
// the GPU's batches with these bit for bit).
TEST(DataSetOrder, BatchesFollowTheCpuComputedPassOrder) {
  for (DataOrder order : {DataOrder::Tf1, DataOrder::Reshuffle}) {
    SCOPED_TRACE(std::string(data_order_name(order)));
    InMemoryDataSet data(mnist_sized(2000, 1000), opts(128, 11, false, order));
    std::int64_t train_pass = 0, eval_pass = 0;
    for (Phase p : {Phase::TrainEval, Phase::Train, Phase::TrainEval, Phase::Train}) {
      const std::int64_t k = p == Phase::Train ? train_pass++ : eval_pass++;
      const Tensor expected = data.pass_order(p, k);
      ASSERT_TRUE(expected.defined());
      EXPECT_TRUE(expected.device().is_cpu());
      EXPECT_EQ(expected.dtype(), DType::I64);
      ASSERT_EQ(expected.size(0), 2000);
      const auto want = expected.to_vector<std::int64_t>();
      const auto got = pass(data, p);
      ASSERT_EQ(got.size(), static_cast<std::size_t>(data.batches(p) * 128));
      EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << phase_name(p) << " " << k;
    }
    EXPECT_FALSE(data.pass_order(Phase::Test, 0).defined()) << "test: the stored order";
    if (order == DataOrder::Tf1) {
      EXPECT_EQ(data.pass_order(Phase::Train, 5).to_vector<std::int64_t>(),
                data.pass_order(Phase::TrainEval, 2).to_vector<std::int64_t>());
    }
  }
}

TEST(DataSetOrder, ValidationSplitKeepsWorkingUnderBothOrders) {
  for (DataOrder order : {DataOrder::Tf1, DataOrder::Reshuffle}) {
    SCOPED_TRACE(std::string(data_order_name(order)));
    InMemoryDataSet data(mnist_sized(), opts(128, 42, true, order));
    const auto train = pass(data, Phase::Train);
    const auto eval = pass(data, Phase::TrainEval);
    const auto valid = pass(data, Phase::Valid);
    ASSERT_EQ(valid.size(), 78u * 128u);
    EXPECT_EQ(valid.front(), 0);
    for (const auto* seen : {&train, &eval})
      for (auto i : *seen)
        ASSERT_GE(i, 10000) << "train and train_eval never see validation examples";
    const std::vector<std::int64_t> prefix(train.begin(), train.begin() + 78 * 128);
    if (order == DataOrder::Tf1)
      EXPECT_EQ(eval, prefix);
    else
      EXPECT_NE(eval, prefix);
  }
}

// Augmentation draws: under tf1 every training and train_eval pass replays pass 0's draws (batch
// i of train_eval gets the draws of training batch i, as TF's take() of the same pipeline);
// under reshuffle every pass draws afresh. Valid and Test draw the same in every pass.
TEST(DataSetOrder, AugmentationDrawsReplayUnderTf1AndChangeUnderReshuffle) {
  const auto draws_of = [](Negating& d, Phase p) {
    d.draws.clear();
    d.start(p);
    for (Batch b; d.next(b);) {
    }
    return d.draws;
  };
  InMemorySpec spec = mnist_sized(1000, 1000);
  spec.train_eval_size = 300;
  Negating tf1(InMemorySpec(spec), opts(100, 3));
  const auto t1 = draws_of(tf1, Phase::Train);
  const auto e1 = draws_of(tf1, Phase::TrainEval);
  ASSERT_EQ(t1.size(), 10u);
  ASSERT_EQ(e1.size(), 3u);
  EXPECT_EQ(std::set<float>(t1.begin(), t1.end()).size(), t1.size()) << "one draw per batch";
  EXPECT_EQ(draws_of(tf1, Phase::Train), t1);
  EXPECT_EQ(e1, std::vector<float>(t1.begin(), t1.begin() + 3));
  EXPECT_EQ(draws_of(tf1, Phase::TrainEval), e1);
  const auto test1 = draws_of(tf1, Phase::Test);
  EXPECT_EQ(draws_of(tf1, Phase::Test), test1);

  Negating re(InMemorySpec(spec), reshuffled(100, 3));
  const auto r1 = draws_of(re, Phase::Train);
  EXPECT_EQ(r1, t1) << "pass 0 of the training pipeline is the same address under both orders";
  const auto q1 = draws_of(re, Phase::TrainEval);
  EXPECT_NE(q1, std::vector<float>(r1.begin(), r1.begin() + 3));
  EXPECT_NE(draws_of(re, Phase::Train), r1);
  EXPECT_NE(draws_of(re, Phase::TrainEval), q1);
  EXPECT_EQ(draws_of(re, Phase::Test), test1);

  // The addresses themselves: a pure function of (seed, pipeline, pass, batch).
  const BatchDraws a = tf1.batch_draws(Phase::TrainEval, 7, 2);
  const BatchDraws b = tf1.batch_draws(Phase::Train, 0, 2);
  EXPECT_EQ(a.stream(), b.stream());
  EXPECT_EQ(a.call(1), b.call(1));
  EXPECT_EQ(a.call(1), 2 * BatchDraws::kDrawsPerBatch + 1);
  EXPECT_THROW(a.call(BatchDraws::kDrawsPerBatch), Error);
  EXPECT_NE(re.batch_draws(Phase::Train, 1, 2).stream(),
            re.batch_draws(Phase::Train, 0, 2).stream());
}

TEST(DataSetOrder, NamesRoundTripAndUnknownNamesAreErrors) {
  for (DataOrder o : {DataOrder::Tf1, DataOrder::Reshuffle})
    EXPECT_EQ(parse_data_order(data_order_name(o)), o);
  EXPECT_EQ(data_order_name(DataOrder::Tf1), "tf1");
  EXPECT_EQ(data_order_name(DataOrder::Reshuffle), "reshuffle");
  EXPECT_EQ(DataSetOptions().order, DataOrder::Tf1) << "tf1 is the default";
  try {
    parse_data_order("shuffle");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown data order 'shuffle'"), std::string::npos);
  }
}

TEST(DataSetPhases, BadConfigurationsAreClearErrors) {
  EXPECT_THROW(InMemoryDataSet(mnist_sized(1000, 1000), opts(0)), Error);
  EXPECT_THROW(InMemoryDataSet(mnist_sized(1000, 100), opts(128)), Error);  // test < one batch
  try {
    InMemoryDataSet(mnist_sized(100, 1000), opts(128));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("phase train has 100 examples, fewer than one batch of "
                                         "128"),
              std::string::npos)
        << e.what();
  }
  InMemorySpec tiny_eval = mnist_sized(1000, 1000);
  tiny_eval.train_eval_size = 50;
  EXPECT_THROW(InMemoryDataSet(std::move(tiny_eval), opts(128)), Error);
  InMemorySpec zero_eval = mnist_sized(1000, 1000);
  zero_eval.train_eval_size = 0;
  EXPECT_THROW(InMemoryDataSet(std::move(zero_eval), opts(10)), Error);

  InMemorySpec no_test_labels = mnist_sized(1000, 1000);
  no_test_labels.test.labels = Tensor();
  EXPECT_THROW(InMemoryDataSet(std::move(no_test_labels), opts(10)), Error);
  InMemorySpec i32_labels = mnist_sized(1000, 1000);
  i32_labels.train.labels = i32_labels.train.labels.to(DType::I32);
  EXPECT_THROW(InMemoryDataSet(std::move(i32_labels), opts(10)), Error);
  InMemorySpec short_labels = mnist_sized(1000, 1000);
  short_labels.train.labels = short_labels.train.labels.narrow0(0, 999);
  EXPECT_THROW(InMemoryDataSet(std::move(short_labels), opts(10)), Error);
  InMemorySpec shapes = mnist_sized(1000, 1000);
  shapes.test.inputs = Tensor::zeros({1000, 2});
  EXPECT_THROW(InMemoryDataSet(std::move(shapes), opts(10)), Error);
  InMemorySpec f64 = mnist_sized(1000, 1000);
  f64.train.inputs = f64.train.inputs.to(DType::F64);
  EXPECT_THROW(InMemoryDataSet(std::move(f64), opts(10)), Error);
  InMemorySpec all_valid = mnist_sized(1000, 1000);
  all_valid.train_eval_size = 1000;  // nothing would be left for training
  EXPECT_THROW(InMemoryDataSet(std::move(all_valid), opts(10, 42, true)), Error);
}

}  // namespace
}  // namespace deepobs::datasets
