#include "tests/common/resume_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "tests/common/run_in_process.h"
#include "tests/cpu/test_datasets_util.h"

namespace deepobs::testing_support {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

// The keys whose values must not depend on whether the run was interrupted.
const char* const kCurveKeys[] = {"train_losses",           "test_losses",     "valid_losses",
                                  "train_accuracies",       "test_accuracies", "valid_accuracies",
                                  "minibatch_train_losses", "optimizer_log"};

std::vector<fs::path> files_with_extension(const fs::path& dir, const std::string& extension) {
  std::vector<fs::path> found;
  if (!fs::exists(dir)) return found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == extension) found.push_back(e.path());
  return found;
}

}  // namespace

Json read_json(const fs::path& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

fs::path result_file(const fs::path& dir) {
  const auto found = files_with_extension(dir, ".json");
  EXPECT_EQ(found.size(), 1u) << "result files under " << dir;
  return found.empty() ? fs::path() : found.front();
}

std::vector<fs::path> checkpoint_files(const fs::path& dir) {
  return files_with_extension(dir, ".checkpoint");
}

void expect_same_curves(const Json& a, const Json& b) {
  for (const char* key : kCurveKeys) {
    ASSERT_EQ(a.contains(key), b.contains(key)) << key;
    if (a.contains(key)) {
      EXPECT_EQ(a[key].dump(), b[key].dump()) << key;
    }
  }
  EXPECT_EQ(a["optimizer_cost"]["steps"], b["optimizer_cost"]["steps"]);
  EXPECT_EQ(a["step_time_seconds"]["steps"], b["step_time_seconds"]["steps"]);
  EXPECT_EQ(a["epoch_seconds"].size(), b["epoch_seconds"].size());
}

void check_resume_from_last_epoch(const std::vector<std::string>& args, const fs::path& dir) {
  const auto with = [&](const fs::path& out, std::vector<std::string> more) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--output_dir", out.string()});
    all.insert(all.end(), more.begin(), more.end());
    return all;
  };
  const auto plain = run_deepobs_run(with(dir / "plain", {}));
  ASSERT_EQ(plain.code, 0) << plain.err;
  const Json reference = read_json(result_file(dir / "plain"));
  EXPECT_TRUE(checkpoint_files(dir / "plain").empty());

  const fs::path out = dir / "resumed";
  const auto first = run_deepobs_run(with(out, {"--resume", "--keep_checkpoint"}));
  ASSERT_EQ(first.code, 0) << first.err;
  const fs::path first_result = result_file(out);
  expect_same_curves(read_json(first_result), reference);
  ASSERT_EQ(checkpoint_files(out).size(), 1u);
  EXPECT_EQ(checkpoint_files(out)[0].filename(),
            "random_seed__" + std::to_string(reference["random_seed"].get<int>()) + ".checkpoint");

  fs::remove(first_result);
  const auto second = run_deepobs_run(with(out, {"--resume"}));
  ASSERT_EQ(second.code, 0) << second.err;
  const Json resumed = read_json(result_file(out));
  expect_same_curves(resumed, reference);
  const int n = reference["num_epochs"].get<int>();
  EXPECT_EQ(resumed["resumed_at_epochs"], Json::array({n - 1}));
  EXPECT_TRUE(checkpoint_files(out).empty()) << "the checkpoint outlived the finished run";
}

fs::path write_fmnist_fixture(const fs::path& dir) {
  using datasets::test_util::idx_bytes;
  using datasets::test_util::write_raw;
  fs::create_directories(dir / "fmnist");
  std::mt19937 gen(5);
  for (const auto& [prefix, n] :
       {std::pair<std::string, std::uint32_t>{"train", 256}, {"t10k", 128}}) {
    std::vector<std::uint8_t> images(static_cast<std::size_t>(n) * 784), labels(n);
    for (auto& p : images)
      p = static_cast<std::uint8_t>(gen() % 256);
    for (auto& l : labels)
      l = static_cast<std::uint8_t>(gen() % 10);
    write_raw(dir / "fmnist" / (prefix + "-images-idx3-ubyte"), idx_bytes({n, 28, 28}, images));
    write_raw(dir / "fmnist" / (prefix + "-labels-idx1-ubyte"), idx_bytes({n}, labels));
  }
  return dir;
}

}  // namespace deepobs::testing_support
