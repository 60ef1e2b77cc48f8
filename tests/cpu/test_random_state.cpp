// numpy-compatible RandomState against the reference values of shared/reference/synthetic.json,
// which were produced by numpy's legacy RandomState (SPEC Part A.6). Every comparison is exact.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "datasets/random_state.h"

namespace deepobs {
namespace {

using nlohmann::json;

class RandomStateReference : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::filesystem::path path =
        std::filesystem::path(DEEPOBS_SHARED_DIR) / "reference" / "synthetic.json";
    if (!std::filesystem::exists(path)) {
      GTEST_SKIP() << "reference file " << path << " not found";
    }
    std::ifstream in(path);
    ref_ = json::parse(in);
  }

  std::vector<double> doubles(const json& j) const { return j.get<std::vector<double>>(); }
  std::vector<float> floats(const json& j) const {
    std::vector<float> out;
    for (const double v : j.get<std::vector<double>>())
      out.push_back(static_cast<float>(v));
    return out;
  }

  json ref_;
};

std::vector<float> to_float(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

TEST_F(RandomStateReference, FirstRawOutputsOfSeed42) {
  RandomState rs(42);
  for (const auto& want : ref_["mt19937_seed42_first_uint32"]) {
    EXPECT_EQ(rs.next_uint32(), want.get<std::uint32_t>());
  }
}

TEST_F(RandomStateReference, FirstUniformsAndNormalsOfSeed42) {
  RandomState u(42);
  for (const double want : doubles(ref_["seed42_first_uniforms"])) {
    EXPECT_EQ(u.random_sample(), want);
  }
  RandomState n(42);
  for (const double want : doubles(ref_["seed42_first_normals"])) {
    EXPECT_EQ(n.normal(0.0, 1.0), want);
  }
}

TEST_F(RandomStateReference, QuadraticDeepEigenvalues) {
  RandomState rs(42);
  std::vector<double> eig = rs.uniform(0.0, 1.0, 90);
  const std::vector<double> top = rs.uniform(30.0, 60.0, 10);
  eig.insert(eig.end(), top.begin(), top.end());
  EXPECT_EQ(eig, doubles(ref_["quadratic_deep"]["eigenvalues"]));
}

TEST_F(RandomStateReference, QuadraticDeepDataSets) {
  const json& q = ref_["quadratic_deep"];
  const std::vector<float> train = to_float(RandomState(42).normal(0.0, 0.6, 1000 * 100));
  EXPECT_EQ(std::vector<float>(train.begin(), train.begin() + 100), floats(q["train_data_row0"]));
  EXPECT_EQ(std::vector<float>(train.begin() + 99900, train.begin() + 99905),
            floats(q["train_data_row999_first5"]));
  const std::vector<float> test = to_float(RandomState(43).normal(0.0, 0.6, 5));
  EXPECT_EQ(test, floats(q["test_data_row0_first5"]));
}

TEST_F(RandomStateReference, TwoDDataSets) {
  const json& t = ref_["two_d"];
  RandomState rs(42);
  const std::vector<float> x = to_float(rs.normal(0.0, 1.0, 10000));
  const std::vector<float> y = to_float(rs.normal(0.0, 1.0, 10000));
  EXPECT_EQ(std::vector<float>(x.begin(), x.begin() + 5), floats(t["train_x_first5"]));
  EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 5), floats(t["train_y_first5"]));
  EXPECT_EQ(x.back(), static_cast<float>(t["train_x_last"].get<double>()));
  EXPECT_EQ(y.back(), static_cast<float>(t["train_y_last"].get<double>()));
}

// Without the reference file: properties that follow from numpy's definitions.
TEST(RandomState, VectorFormsEqualScalarDrawsAndShareTheGaussCache) {
  RandomState a(7), b(7);
  const std::vector<double> u = a.uniform(-1.0, 2.0, 5);
  for (const double v : u)
    EXPECT_EQ(v, b.uniform(-1.0, 2.0));
  // An odd count leaves the second value of the last pair cached for the next call.
  const std::vector<double> n = a.normal(1.0, 3.0, 3);
  for (const double v : n)
    EXPECT_EQ(v, b.normal(1.0, 3.0));
  EXPECT_EQ(a.normal(0.0, 1.0), b.normal(0.0, 1.0));
  // The cached value is a standard normal: loc/scale apply when it is returned.
  RandomState c(7), d(7);
  c.random_sample();
  d.random_sample();
  const double z1 = c.normal(0.0, 1.0), z2 = c.normal(0.0, 1.0);
  EXPECT_EQ(d.normal(5.0, 2.0), 5.0 + 2.0 * z1);
  EXPECT_EQ(d.normal(-1.0, 0.5), -1.0 + 0.5 * z2);
}

TEST(RandomState, DifferentSeedsDiffer) {
  RandomState a(0), b(1);
  EXPECT_NE(a.next_uint32(), b.next_uint32());
  RandomState c(0xffffffffu);
  const double u = c.random_sample();
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
}

}  // namespace
}  // namespace deepobs
