#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "runner/atomic_file.h"
#include "runner/python_json.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

TEST(PythonJson, MatchesJsonDumpOutput) {
  nlohmann::ordered_json j;
  j["train_losses"] = {353.4467654661159, std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::infinity()};
  j["optimizer"] = "MomentumOptimizer";
  j["weight_decay"] = nullptr;
  j["batch_size"] = 128;
  j["hyperparams"] = {{"momentum", 0.99}, {"use_nesterov", false}};
  j["lr_sched_epochs"] = nlohmann::ordered_json::array();
  // What python3 -c 'import json; print(json.dumps(d))' prints for the same dict.
  EXPECT_EQ(dump_python_json(j),
            "{\"train_losses\": [353.4467654661159, NaN, Infinity], \"optimizer\": "
            "\"MomentumOptimizer\", \"weight_decay\": null, \"batch_size\": 128, \"hyperparams\": "
            "{\"momentum\": 0.99, \"use_nesterov\": false}, \"lr_sched_epochs\": []}");
  EXPECT_EQ(dump_python_json({{"a", {1.0, 2.5}}}, 4),
            "{\n    \"a\": [\n        1.0,\n        2.5\n    ]\n}");
}

TEST(AtomicFile, WritesAndReplaces) {
  const fs::path dir = fs::temp_directory_path() / ("deepobs_atomic_" + std::to_string(getpid()));
  const fs::path file = dir / "sub" / "r.json";
  write_file_atomically(file, "first");
  write_file_atomically(file, "second");
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, UnwritableDirectoryIsAClearError) {
  if (geteuid() == 0) {
    // root ignores permission bits; a path under a regular file fails for everyone.
    const fs::path blocker =
        fs::temp_directory_path() / ("deepobs_blocker_" + std::to_string(getpid()));
    std::ofstream(blocker) << "x";
    try {
      write_file_atomically(blocker / "r.json", "x");
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(blocker.string()), std::string::npos) << e.what();
    }
    fs::remove(blocker);
    return;
  }
  EXPECT_THROW(write_file_atomically("/proc/deepobs_cannot_write/r.json", "x"), Error);
}

}  // namespace
}  // namespace deepobs::runner
