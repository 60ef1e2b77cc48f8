#include "tests/common/run_in_process.h"

#include <unistd.h>

#include <sstream>

#include "runner/run_command.h"

namespace deepobs::testing_support {

RunOutcome run_deepobs_run(std::vector<std::string> args) {
  args.insert(args.begin(), "run");
  args.push_back("--quiet");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = runner::run_command(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

void ScratchDirTest::SetUp() {
  dir_ = std::filesystem::temp_directory_path() /
         (prefix_ + "_" + std::to_string(getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir_);
}

void ScratchDirTest::TearDown() {
  std::filesystem::remove_all(dir_);
}

}  // namespace deepobs::testing_support
