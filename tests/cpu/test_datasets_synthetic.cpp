// The quadratic and two_d data sets: bit-exact with DeepOBS's numpy draws
// (shared/reference/synthetic.json) and the DeepOBS batch counts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/error.h"
#include "datasets/synthetic.h"

namespace deepobs::datasets {
namespace {

// The reference file, or nullopt (the test then skips with a message).
std::optional<nlohmann::json> reference() {
  const std::filesystem::path path =
      std::filesystem::path(DEEPOBS_SHARED_DIR) / "reference" / "synthetic.json";
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return nlohmann::json::parse(in);
}

// The reference values are numpy float32s written as doubles: they convert back exactly.
void expect_bit_exact(const std::vector<float>& got, const nlohmann::json& want,
                      const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double w = want[i].get<double>();
    ASSERT_EQ(static_cast<double>(static_cast<float>(w)), w) << what << " is not a float32";
    EXPECT_EQ(got[i], static_cast<float>(w)) << what << "[" << i << "]";
  }
}

std::vector<float> row_prefix(const Tensor& t, std::int64_t row, std::size_t n) {
  auto v = t.narrow0(row, 1).to_vector<float>();
  v.resize(n);
  return v;
}

DataSetOptions opts(std::int64_t batch, bool validation = false) {
  DataSetOptions o;
  o.batch_size = batch;
  o.validation = validation;
  return o;
}

TEST(DataSynthetic, QuadraticMatchesNumpy) {
  const auto ref = reference();
  if (!ref) GTEST_SKIP() << "shared/reference/synthetic.json not found under " DEEPOBS_SHARED_DIR;
  const auto& q = (*ref)["quadratic_deep"];
  const Tensor train = quadratic_data(kSyntheticTrainSeed);
  ASSERT_EQ(train.shape(), (Shape{1000, 100}));
  ASSERT_EQ(train.dtype(), DType::F32);
  expect_bit_exact(row_prefix(train, 0, 100), q["train_data_row0"], "train row 0");
  expect_bit_exact(row_prefix(train, 999, 5), q["train_data_row999_first5"], "train row 999");
  const Tensor test = quadratic_data(kSyntheticTestSeed);
  expect_bit_exact(row_prefix(test, 0, 5), q["test_data_row0_first5"], "test row 0");
}

TEST(DataSynthetic, TwoDMatchesNumpy) {
  const auto ref = reference();
  if (!ref) GTEST_SKIP() << "shared/reference/synthetic.json not found under " DEEPOBS_SHARED_DIR;
  const auto& r = (*ref)["two_d"];
  const Tensor train = two_d_data(kSyntheticTrainSeed);
  ASSERT_EQ(train.shape(), (Shape{10000, 2}));
  const auto v = train.to_vector<float>();
  std::vector<float> x5, y5;
  for (std::size_t i = 0; i < 5; ++i) {
    x5.push_back(v[2 * i]);
    y5.push_back(v[2 * i + 1]);
  }
  expect_bit_exact(x5, r["train_x_first5"], "x");
  expect_bit_exact(y5, r["train_y_first5"], "y");
  expect_bit_exact({v[2 * 9999]}, nlohmann::json::array({r["train_x_last"]}), "last x");
  expect_bit_exact({v[2 * 9999 + 1]}, nlohmann::json::array({r["train_y_last"]}), "last y");
}

TEST(DataSynthetic, QuadraticPhases) {
  auto data = make_quadratic_data_set(opts(128));
  EXPECT_EQ(data->name(), "quadratic");
  EXPECT_FALSE(data->has_labels());
  EXPECT_EQ(data->batches(Phase::Train), 7);
  EXPECT_EQ(data->batches(Phase::TrainEval), 7);  // take(-1): a whole pass
  EXPECT_EQ(data->batches(Phase::Test), 7);       // 896 of the 1,000 test rows
  EXPECT_FALSE(data->has_phase(Phase::Valid));
  data->start(Phase::Test);
  Batch b;
  ASSERT_TRUE(data->next(b));
  EXPECT_EQ(b.inputs.shape(), (Shape{128, 100}));
  EXPECT_FALSE(b.labels.defined());
  EXPECT_EQ(b.inputs.to_vector<float>(),
            quadratic_data(kSyntheticTestSeed).narrow0(0, 128).to_vector<float>());

  auto with_valid = make_quadratic_data_set(opts(128, true));
  EXPECT_EQ(with_valid->examples(Phase::Train).size(), 1000);
  EXPECT_EQ(with_valid->batches(Phase::Valid), 7);
  EXPECT_EQ(with_valid->examples(Phase::Valid).inputs.to_vector<float>(),
            quadratic_data(kSyntheticValidSeed).to_vector<float>());
  EXPECT_NE(quadratic_data(kSyntheticValidSeed).to_vector<float>(),
            quadratic_data(kSyntheticTrainSeed).to_vector<float>());
}

TEST(DataSynthetic, TwoDPhases) {
  auto data = make_two_d_data_set(opts(128));
  EXPECT_EQ(data->name(), "two_d");
  EXPECT_EQ(data->batches(Phase::Train), 78);
  EXPECT_EQ(data->batches(Phase::TrainEval), 78);
  EXPECT_EQ(data->batches(Phase::Test), 78);
  data->start(Phase::Test);
  std::int64_t n = 0;
  for (Batch b; data->next(b); ++n) {
    ASSERT_EQ(b.inputs.shape(), (Shape{128, 2}));
    for (float v : b.inputs.to_vector<float>())
      ASSERT_EQ(v, 0.0f) << "the two_d test set is all zeros";
  }
  EXPECT_EQ(n, 78);
  // Shuffling keeps each (x, y) pair together.
  const auto rows = two_d_data(kSyntheticTrainSeed).to_vector<float>();
  std::set<std::pair<float, float>> pairs;
  for (std::size_t i = 0; i < rows.size(); i += 2)
    pairs.insert({rows[i], rows[i + 1]});
  data->start(Phase::Train);
  Batch b;
  ASSERT_TRUE(data->next(b));
  const auto v = b.inputs.to_vector<float>();
  for (std::size_t i = 0; i < v.size(); i += 2)
    EXPECT_TRUE(pairs.count({v[i], v[i + 1]})) << "row " << i / 2;

  auto with_valid = make_two_d_data_set(opts(100, true));
  EXPECT_EQ(with_valid->batches(Phase::Valid), 100);
  EXPECT_EQ(with_valid->batches(Phase::Train), 100);
  EXPECT_EQ(with_valid->examples(Phase::Valid).inputs.to_vector<float>(),
            two_d_data(kSyntheticValidSeed).to_vector<float>());
}

}  // namespace
}  // namespace deepobs::datasets
