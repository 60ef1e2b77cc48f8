// `deepobs run --cifar100_offset legacy|fixed --svhn_train 64000|full`: parsing, and what the run
// records in data_variant (SPEC A.4).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "runner/run_command.h"
#include "tests/common/expect_error.h"

namespace deepobs::runner {
namespace {

RunOptions parse(std::vector<std::string> extra, const std::string& problem = "fmnist_2c2d") {
  std::vector<std::string> args = {"run", problem, "--optimizer", "sgd", "--lr", "0.1"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out;
  const auto o = parse_run_options(static_cast<int>(argv.size()), argv.data(), out);
  EXPECT_TRUE(o.has_value());
  return *o;
}

TEST(ImageDataFlags, DefaultsAreDeepobs11s) {
  const RunOptions o = parse({});
  EXPECT_FALSE(o.cifar100_offset.has_value());
  EXPECT_FALSE(o.svhn_train.has_value());
  EXPECT_EQ(run_data_variant(o, "cifar100"), "cifar100:offset=legacy:data_order=tf1");
  EXPECT_EQ(run_data_variant(o, "svhn"), "svhn:train=64000:data_order=tf1");
  EXPECT_EQ(run_data_variant(o, "cifar10"), "cifar10:data_order=tf1");
  EXPECT_EQ(run_data_variant(o, "fmnist"), "fmnist:data_order=tf1");
}

TEST(ImageDataFlags, ChoicesAreRecorded) {
  RunOptions o = parse({"--cifar100_offset", "fixed", "--data_order", "reshuffle"});
  EXPECT_EQ(o.cifar100_offset, datasets::Cifar100Offset::Fixed);
  EXPECT_EQ(run_data_variant(o, "cifar100"), "cifar100:offset=fixed:data_order=reshuffle");
  o = parse({"--svhn_train=full"});
  EXPECT_EQ(o.svhn_train, datasets::SvhnTrain::Full);
  EXPECT_EQ(run_data_variant(o, "svhn"), "svhn:train=full:data_order=tf1");
  o = parse({"--svhn_train", "64000"});
  EXPECT_EQ(run_data_variant(o, "svhn"), "svhn:train=64000:data_order=tf1");
}

TEST(ImageDataFlags, BadValuesAndWrongProblemsAreErrors) {
  testing::expect_error(
      [] {
        parse({"--cifar100_offset", "2"});
      },
      {"--cifar100_offset", "unknown CIFAR-100 offset '2'", "legacy", "fixed"});
  testing::expect_error(
      [] {
        parse({"--svhn_train", "73257"});
      },
      {"--svhn_train", "'73257'", "64000", "full"});
  const RunOptions o = parse({"--cifar100_offset", "legacy"});
  testing::expect_error(
      [&] { run_data_variant(o, "fmnist"); },
      {"--cifar100_offset applies to problems on CIFAR-100 only", "fmnist_2c2d trains on fmnist"});
  const RunOptions s = parse({"--svhn_train", "full"});
  testing::expect_error([&] { run_data_variant(s, "cifar10"); },
                        {"--svhn_train applies to problems on SVHN only"});
}

// --data_sizes any (fixtures, subsets) is recorded, so such a run never passes for one on DeepOBS's
// data; the default insists on DeepOBS's record counts.
TEST(ImageDataFlags, AnyDataSizesAreRecorded) {
  EXPECT_FALSE(parse({}).any_data_sizes);
  EXPECT_FALSE(parse({"--data_sizes", "official"}).any_data_sizes);
  const RunOptions o = parse({"--data_sizes", "any", "--cifar100_offset", "fixed"});
  EXPECT_TRUE(o.any_data_sizes);
  EXPECT_EQ(run_data_variant(o, "cifar100"), "cifar100:offset=fixed:sizes=any:data_order=tf1");
  const RunOptions a = parse({"--data_sizes=any"});
  EXPECT_EQ(run_data_variant(a, "cifar10"), "cifar10:sizes=any:data_order=tf1");
  EXPECT_EQ(run_data_variant(a, "svhn"), "svhn:train=64000:sizes=any:data_order=tf1");
  // The MNIST-format reader honours --data_sizes too; data sets without fixed sizes do not.
  EXPECT_EQ(run_data_variant(a, "fmnist"), "fmnist:sizes=any:data_order=tf1");
  EXPECT_EQ(run_data_variant(a, "quadratic"), "quadratic:data_order=tf1");
  testing::expect_error(
      [] {
        parse({"--data_sizes", "small"});
      },
      {"--data_sizes", "unknown choice 'small'", "official or any"});
}

}  // namespace
}  // namespace deepobs::runner
