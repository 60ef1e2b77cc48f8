// deepobs tune's search space: --space parsing and its errors, the grid, the seeded random search
// and the division of CPU threads among local runs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "optimizers/registry.h"
#include "runner/local_executor.h"
#include "runner/number_format.h"
#include "runner/tune_space.h"
#include "tests/common/expect_error.h"

namespace deepobs::runner {
namespace {

using deepobs::testing::expect_error;

const OptimizerInfo& momentum() {
  return find_optimizer("momentum");
}

TEST(TuneSpace, LogGridIsDeepobsLearningRateGrid) {
  const SearchAxis axis = parse_search_axis("lr=log:1e-5:1e2:36", momentum());
  EXPECT_EQ(axis.name, "lr");
  EXPECT_EQ(axis.kind, AxisKind::Log);
  const auto values = grid_values(axis);
  ASSERT_EQ(values.size(), 36u);
  // DeepOBS's grid 10^(k/5), k = -25..10 (SPEC §8.1), value for value.
  for (int k = -25; k <= 10; ++k)
    EXPECT_EQ(std::stod(values[static_cast<std::size_t>(k + 25)]), std::pow(10.0, k / 5.0)) << k;
  EXPECT_EQ(values.front(), "1e-05");
  EXPECT_EQ(values[20], "0.1");
  EXPECT_EQ(values.back(), "100.0");
}

TEST(TuneSpace, LinAndCatAxes) {
  const auto lin = grid_values(parse_search_axis("momentum=lin:0.8:0.99:3", momentum()));
  EXPECT_EQ(lin, (std::vector<std::string>{"0.8", "0.895", "0.99"}));
  const auto cat = parse_search_axis("use_nesterov=cat:true,false", momentum());
  EXPECT_EQ(cat.kind, AxisKind::Cat);
  EXPECT_EQ(grid_values(cat), (std::vector<std::string>{"true", "false"}));
  EXPECT_EQ(parse_search_axis("learning_rate=cat:0.1", momentum()).name, "lr");
}

TEST(TuneSpace, BadSpecsAreOneLineErrors) {
  const auto bad = [](const std::string& spec, const std::vector<std::string>& parts) {
    expect_error([&] { parse_search_axis(spec, momentum()); }, parts);
  };
  bad("lr=exp:1e-5:1:3", {"unknown kind 'exp'", "log:min:max"});
  bad("lr=log:1:1e-5:3", {"min 1 must be below max 1e-5"});
  bad("lr=lin:0.5:0.5:3", {"must be below max"});
  bad("lr=log:0:1:3", {"log needs bounds > 0"});
  bad("lr=log:-1:1:3", {"log needs bounds > 0"});
  bad("lr=log:1e-5:1:0", {"count must be at least 2", "got 0"});
  bad("lr=log:1e-5:1:x", {"count 'x' is not an integer"});
  bad("lr=log:1e-5:abc:3", {"'abc' is not a finite number"});
  bad("lr=log:1e-5:inf:3", {"'inf' is not a finite number"});
  bad("momentun=lin:0.8:0.99:3",
      {"MomentumOptimizer has no hyperparameter 'momentun'", "did you mean 'momentum'"});
  bad("use_nesterov=lin:0:1:2", {"use_nesterov is a bool hyperparameter", "cat:true,false"});
  bad("momentum=lin:0.5:1.5:3", {"momentum must lie in"});
  bad("use_nesterov=cat:true,true", {"'true' appears twice"});
  bad("use_nesterov=cat:", {"cat needs one or more values"});
  bad("lr", {"expected name=kind:"});
  bad("lr=cat:0.1,-1", {"the learning rate must be > 0"});
  expect_error([] { parse_search_axis("momentum=lin:0.8:0.99:3", find_optimizer("sgd")); },
               {"GradientDescentOptimizer has no hyperparameter 'momentum'"});
}

TEST(TuneSpace, GridIsTheFullProductFirstAxisSlowest) {
  const std::vector<SearchAxis> axes = {
      parse_search_axis("lr=log:0.01:1:3", momentum()),
      parse_search_axis("use_nesterov=cat:true,false", momentum())};
  const auto points = grid_points(axes, 0);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0], (SearchPoint{{"lr", "0.01"}, {"use_nesterov", "true"}}));
  EXPECT_EQ(points[1], (SearchPoint{{"lr", "0.01"}, {"use_nesterov", "false"}}));
  EXPECT_EQ(points[5], (SearchPoint{{"lr", "1.0"}, {"use_nesterov", "false"}}));
  EXPECT_EQ(grid_points(axes, 6).size(), 6u);
  expect_error([&] { grid_points(axes, 5); },
               {"the grid has 6 settings but --budget is 5", "--strategy random"});
  expect_error([] { grid_values(parse_search_axis("lr=log:0.01:1", momentum())); },
               {"the grid needs a count"});
}

TEST(TuneSpace, RandomSearchIsSeededAndInRange) {
  const std::vector<SearchAxis> axes = {
      parse_search_axis("lr=log:1e-5:1e2", momentum()),
      parse_search_axis("momentum=lin:0.8:0.99", momentum()),
      parse_search_axis("use_nesterov=cat:true,false", momentum())};
  const auto a = random_points(axes, 200, 42);
  ASSERT_EQ(a.size(), 200u);
  EXPECT_EQ(a, random_points(axes, 200, 42));
  EXPECT_NE(a, random_points(axes, 200, 43));
  std::set<std::string> nesterov;
  int below_1e_2 = 0;
  for (const auto& p : a) {
    const double lr = std::stod(p[0].second), mom = std::stod(p[1].second);
    EXPECT_GE(lr, 1e-5);
    EXPECT_LE(lr, 1e2);
    EXPECT_GE(mom, 0.8);
    EXPECT_LE(mom, 0.99);
    below_1e_2 += lr < 1e-2;
    nesterov.insert(p[2].second);
  }
  EXPECT_EQ(nesterov, (std::set<std::string>{"true", "false"}));
  // Log-uniform: 3 of the 7 decades lie below 1e-2, so ~86 of 200 (binomial sd 7).
  EXPECT_GT(below_1e_2, 55);
  EXPECT_LT(below_1e_2, 115);
  // The documented recipe: one 64-bit Mersenne Twister draw per axis, its top 53 bits as the
  // uniform. Changing either would silently give another search for the same seed.
  std::mt19937_64 rng(42);
  const double u0 = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  const double u1 = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  EXPECT_EQ(a[0][0].second, python_float_repr(std::pow(10.0, -5.0 + u0 * 7.0)));
  EXPECT_EQ(a[0][1].second, python_float_repr(0.8 + u1 * (0.99 - 0.8)));
  expect_error([&] { random_points(axes, 0, 42); }, {"--budget N"});
}

TEST(TuneThreads, DividedWithoutOversubscription) {
  EXPECT_EQ(divide_threads(16, 3), (std::vector<int>{6, 5, 5}));
  EXPECT_EQ(divide_threads(16, 4), (std::vector<int>{4, 4, 4, 4}));
  EXPECT_EQ(divide_threads(2, 8), (std::vector<int>{1, 1}));
  EXPECT_EQ(divide_threads(1, 1), (std::vector<int>{1}));
  EXPECT_EQ(divide_threads(8, 0), (std::vector<int>{8}));
}

}  // namespace
}  // namespace deepobs::runner
