// Runs `deepobs run …` inside the test process (runner::run_command) and gives each test its own
// scratch directory, so end-to-end runner tests need no child process.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace deepobs::testing_support {

struct RunOutcome {
  int code = 0;     // the exit code `deepobs run` would return
  std::string out;  // what it printed to stdout
  std::string err;  // and to stderr
};

// `deepobs run <args…> --quiet`.
RunOutcome run_deepobs_run(std::vector<std::string> args);

// A fixture whose dir_ is a fresh, empty path under the system temp directory, named after
// `prefix`, the process id and the test, and removed after the test.
class ScratchDirTest : public ::testing::Test {
 protected:
  explicit ScratchDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override;
  void TearDown() override;
  std::filesystem::path dir_;

 private:
  std::string prefix_;
};

}  // namespace deepobs::testing_support
