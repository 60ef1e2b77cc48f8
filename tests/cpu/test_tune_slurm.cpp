// `deepobs tune --executor slurm` on a real one-node Slurm cluster (tools/slurm-local.sh): the
// tuning array of 4 short quadratic_deep runs, the analyzer's pick, the rerun array, and
// `deepobs analyze` reporting the chosen setting with its reruns.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "runner/slurm_executor.h"
#include "runner/tune_command.h"
#include "tests/common/run_in_process.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

bool on_path(const std::string& program) {
  return run_program({"sh", "-c", "command -v " + program}).exit_code == 0;
}

class TuneSlurmTest : public testing_support::ScratchDirTest {
 protected:
  TuneSlurmTest() : ScratchDirTest("deepobs_slurm") {}
  void SetUp() override {
    ScratchDirTest::SetUp();
    for (const char* b : {"sbatch", "squeue", "slurmctld", "slurmd", "munged"})
      if (!on_path(b))
        GTEST_SKIP() << b << " not found: install Debian's slurm-wlm and munge "
                     << "(tools/install-deps.sh does)";
    if (::geteuid() != 0)
      GTEST_SKIP() << "tools/slurm-local.sh runs the Slurm daemons as root; run the suite as root";
    fs::create_directories(dir_);
    // A cluster of its own: state under the scratch folder, ports no other test run uses.
    const int port = 20000 + static_cast<int>(::getpid() % 10000) * 2;
    // Short: slurmd's per-step Unix sockets under it must stay within 108 bytes.
    slurm_dir_ = fs::temp_directory_path() / ("deepobs_slurm_" + std::to_string(::getpid()));
    ::setenv("DEEPOBS_SLURM_DIR", slurm_dir_.c_str(), 1);
    ::setenv("DEEPOBS_SLURMCTLD_PORT", std::to_string(port).c_str(), 1);
    ::setenv("DEEPOBS_SLURMD_PORT", std::to_string(port + 1).c_str(), 1);
    ::setenv("SLURM_CONF", (slurm_dir_ / "slurm.conf").c_str(), 1);
    ::setenv("DEEPOBS_BINARY", DEEPOBS_BINARY, 1);
    const auto started = run_program({script_, "start"}, true);
    ASSERT_EQ(started.exit_code, 0) << started.out;
    started_ = true;
  }
  void TearDown() override {
    if (started_) run_program({script_, "stop"}, true);
    if (!slurm_dir_.empty()) fs::remove_all(slurm_dir_);
    ScratchDirTest::TearDown();
  }
  const std::string script_ = std::string(DEEPOBS_SOURCE_DIR) + "/tools/slurm-local.sh";
  fs::path slurm_dir_;
  bool started_ = false;
};

TEST_F(TuneSlurmTest, ArraysRunOnTheLocalClusterAndTheAnalyzerReportsTheRerun) {
  const std::string results = (dir_ / "results").string();
  std::vector<std::string> args = {"tune",
                                   "quadratic_deep",
                                   "--optimizer",
                                   "sgd",
                                   "--space",
                                   "lr=cat:0.001,0.005,0.01,0.02",
                                   "-N",
                                   "2",
                                   "--rerun_best_seeds",
                                   "3",
                                   "--executor",
                                   "slurm",
                                   "--wait",
                                   "--slurm_time",
                                   "00:05:00",
                                   "--output_dir",
                                   results};
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  ASSERT_EQ(tune_command(static_cast<int>(argv.size()), argv.data(), out, err), 0) << err.str();

  // Two arrays, each job id on its own line; the 4 + 2 runs in the result tree.
  const std::regex id_line("^([0-9]+)$", std::regex::multiline);
  std::vector<std::string> ids;
  const std::string text = out.str();
  for (auto it = std::sregex_iterator(text.begin(), text.end(), id_line);
       it != std::sregex_iterator(); ++it)
    ids.push_back((*it)[1]);
  ASSERT_EQ(ids.size(), 2u) << text;
  const fs::path tune_dir = dir_ / "results" / ".tune" / "quadratic_deep__GradientDescentOptimizer";
  for (int task = 0; task < 4; ++task)
    EXPECT_TRUE(
        fs::exists(tune_dir / ("slurm_tuning_" + ids[0] + "_" + std::to_string(task) + ".log")));
  EXPECT_TRUE(fs::exists(tune_dir / ("slurm_rerun_" + ids[1] + "_1.log")));
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "results" / "quadratic_deep"))
    files += e.path().extension() == ".json";
  EXPECT_EQ(files, 6);

  std::ifstream sel_in(tune_dir / "selection.json");
  const auto selection = nlohmann::json::parse(sel_in);
  const std::string chosen = selection["setting"];

  // --status reads the result tree and the queue.
  argv.push_back("--status");
  std::ostringstream status, status_err;
  ASSERT_EQ(tune_command(static_cast<int>(argv.size()), argv.data(), status, status_err), 0);
  EXPECT_NE(status.str().find("tuning: 4/4 runs done"), std::string::npos) << status.str();
  EXPECT_NE(status.str().find("rerun: 3/3 seeds done"), std::string::npos) << status.str();
  EXPECT_NE(status.str().find("slurm job " + ids[0] + " (tuning): queue: none left"),
            std::string::npos)
      << status.str();

  // The analyzer (mode most) reports the chosen setting with its 3 seeds.
  const auto analyzed = run_program({DEEPOBS_BINARY, "analyze", results, "--output_dir",
                                     (dir_ / "report").string(), "--no_figures"},
                                    true);
  ASSERT_EQ(analyzed.exit_code, 0) << analyzed.out;
  std::ifstream sum_in(dir_ / "report" / "summary.json");
  const auto summary = nlohmann::json::parse(sum_in);
  const auto& opt = summary["problems"]["quadratic_deep"]["optimizers"][0];
  EXPECT_EQ(opt["setting"], chosen);
  EXPECT_EQ(opt["num_seeds"], 3);
  EXPECT_EQ(opt["num_settings"], 4);
  EXPECT_EQ(opt["performance"]["seeds"], nlohmann::json({42, 43, 44}));
}

}  // namespace
}  // namespace deepobs::runner
