// `deepobs tune` end to end on the local executor (child `deepobs run` processes of the built
// binary), its dry runs (the command lines, the Slurm array script) and its usage errors.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runner/local_executor.h"
#include "runner/tune_command.h"
#include "tests/common/run_in_process.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = 0;
  std::string out, err;
};

class TuneCommandTest : public testing_support::ScratchDirTest {
 protected:
  TuneCommandTest() : ScratchDirTest("deepobs_tune") {}
  void SetUp() override {
    ScratchDirTest::SetUp();
    ::setenv("DEEPOBS_BINARY", DEEPOBS_BINARY, 1);
  }
  Outcome tune(std::vector<std::string> args) {
    args.insert(args.begin(), "tune");
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    std::ostringstream out, err;
    const int code = tune_command(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }
  std::vector<fs::path> result_files() const {
    std::vector<fs::path> files;
    if (!fs::exists(dir_ / "results")) return files;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "results"))
      if (e.path().extension() == ".json" && e.path().string().find("/.tune/") == std::string::npos)
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
  }
  std::string results() const { return (dir_ / "results").string(); }
};

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// Two learning rates on quadratic_deep (the larger one trains faster in 2 epochs), the best rerun
// with a second seed; issued again, nothing runs.
TEST_F(TuneCommandTest, PicksTheBestSettingRerunsItAndSkipsWhatExists) {
  const std::vector<std::string> args = {"quadratic_deep",
                                         "--optimizer",
                                         "sgd",
                                         "--space",
                                         "lr=cat:0.0001,0.01",
                                         "--rerun_best_seeds",
                                         "2",
                                         "-N",
                                         "2",
                                         "--output_dir",
                                         results(),
                                         "--executor",
                                         "local:2"};
  const Outcome first = tune(args);
  ASSERT_EQ(first.code, 0) << first.err;
  const auto files = result_files();
  ASSERT_EQ(files.size(), 3u) << first.err;
  const fs::path best = dir_ / "results" / "quadratic_deep" / "GradientDescentOptimizer" /
                        "num_epochs__2__batch_size__128__lr__1.e-02";
  EXPECT_NE(first.out.find("best: lr=0.01"), std::string::npos) << first.out;
  int in_best = 0;
  for (const auto& f : files)
    in_best += f.parent_path() == best;
  EXPECT_EQ(in_best, 2);
  const auto selection = read_json(dir_ / "results" / ".tune" /
                                   "quadratic_deep__GradientDescentOptimizer" / "selection.json");
  EXPECT_EQ(selection["setting"], "num_epochs__2__batch_size__128__lr__1.e-02");
  EXPECT_EQ(selection["metric"], "test_losses");
  EXPECT_EQ(selection["mode"], "final");
  ASSERT_EQ(selection["ranking"].size(), 2u);
  // The ranking's values are the seed-42 runs' final test losses.
  for (const auto& f : files) {
    const auto run = read_json(f);
    if (run["random_seed"] != 42) continue;
    const double final_loss = run["test_losses"].back();
    for (const auto& r : selection["ranking"])
      if (f.parent_path().filename() == r["setting"].get<std::string>()) {
        EXPECT_DOUBLE_EQ(r["value"].get<double>(), final_loss);
      }
  }

  const auto before = fs::last_write_time(files[0]);
  const Outcome again = tune(args);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("tuning: 2 of 2 run(s) already done"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("rerun: 2 of 2 run(s) already done"), std::string::npos) << again.err;
  EXPECT_EQ(result_files(), files);
  EXPECT_EQ(fs::last_write_time(files[0]), before);

  const Outcome status = tune([&] {
    auto s = args;
    s.push_back("--status");
    return s;
  }());
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("tuning: 2/2 runs done"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("chosen: lr=0.01"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("rerun: 2/2 seeds done"), std::string::npos) << status.out;
}

// local:2 runs two children at once, each on half of the threads; the result files record it.
TEST_F(TuneCommandTest, LocalExecutorOverlapsRunsAndDividesThreads) {
  std::vector<ChildRun> runs;
  for (const char* lr : {"0.01", "0.02"})
    runs.push_back({{"run", "quadratic_deep", "--optimizer", "sgd", "--lr", lr, "-N", "4",
                     "--output_dir", results(), "--resume", "--quiet"},
                    dir_ / "logs" / (std::string(lr) + ".log"),
                    lr});
  const auto r = run_children(DEEPOBS_BINARY, runs, 2, 2, nullptr);
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r) {
    EXPECT_EQ(x.exit_code, 0);
    EXPECT_EQ(x.threads, 1);
  }
  // Both started before either ended.
  EXPECT_LT(r[1].start_seconds, r[0].end_seconds);
  EXPECT_LT(r[0].start_seconds, r[1].end_seconds);
  const auto files = result_files();
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files)
    EXPECT_EQ(read_json(f)["fingerprint"]["cpu_threads"], 1) << f;

  // One slot: the second run starts after the first ended.
  const auto serial = run_children(DEEPOBS_BINARY, runs, 1, 2, nullptr);
  EXPECT_EQ(serial[0].threads, 2);
  EXPECT_GE(serial[1].start_seconds, serial[0].end_seconds);
}

TEST_F(TuneCommandTest, DryRunPrintsTheRunsAndRunsNothing) {
  const Outcome r = tune({"quadratic_deep", "--optimizer", "momentum", "--space",
                          "lr=log:0.001:0.1:3", "--space", "use_nesterov=cat:true,false",
                          "--momentum", "0.99", "-N", "1", "--output_dir", results(), "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("# tuning: 6 run(s) to do"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" run quadratic_deep --optimizer momentum --lr 0.01 --hp use_nesterov=false "
                       "--random_seed 42 --output_dir " +
                       results() + " --momentum 0.99 -N 1 --resume --quiet\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("seeds 42-51"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "results"));
}

TEST_F(TuneCommandTest, SlurmDryRunPrintsTheArrayScript) {
  const Outcome r = tune({"quadratic_deep",
                          "--optimizer",
                          "adam",
                          "--space",
                          "lr=log:1e-4:1e-1:4",
                          "-N",
                          "3",
                          "--bs",
                          "64",
                          "--output_dir",
                          results(),
                          "--executor",
                          "slurm",
                          "--slurm_partition",
                          "gpu",
                          "--slurm_time",
                          "00:10:00",
                          "--slurm_cpus",
                          "4",
                          "--slurm_mem",
                          "4G",
                          "--slurm_account",
                          "proj1",
                          "--slurm_opt",
                          "--qos=short",
                          "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string dir =
      fs::absolute(dir_ / "results" / ".tune" / "quadratic_deep__AdamOptimizer").string();
  for (const std::string& line : std::vector<std::string>{
           "#!/bin/bash\n", "#SBATCH --array=0-3\n", "#SBATCH --partition=gpu\n",
           "#SBATCH --time=00:10:00\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --mem=4G\n",
           "#SBATCH --account=proj1\n", "#SBATCH --requeue\n", "#SBATCH --signal=B:TERM@120\n",
           "#SBATCH --qos=short\n", "#SBATCH --output=" + dir + "/slurm_tuning_%A_%a.log\n",
           "export DEEPOBS_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-4}\"\n",
           std::string("  0) run=(") + DEEPOBS_BINARY +
               " run quadratic_deep --optimizer adam --lr " +
               "0.0001 --random_seed 42 --output_dir " + results() +
               " -N 3 --bs 64 --resume --quiet) ;;\n",
           "  3) run=(", "exec \"${run[@]}\"\n"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n--- script:\n" << r.out;
  EXPECT_EQ(r.out.find("  4) run=("), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "results"));
}

TEST_F(TuneCommandTest, UsageErrorsNameTheFix) {
  const auto expect = [&](std::vector<std::string> args, const std::string& fragment) {
    args.insert(args.end(), {"--output_dir", results()});
    const Outcome r = tune(args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  expect({"quadratic_deep", "--optimizer", "momentum", "--space", "lr=cat:0.1"},
         "setting lr=0.1: MomentumOptimizer: missing required hyperparameter 'momentum'");
  expect({"quadratic_deep", "--optimizer", "sgd", "--space", "beta1=lin:0.8:0.9:2"},
         "GradientDescentOptimizer has no hyperparameter 'beta1'");
  expect({"quadratic_deep", "--optimizer", "sgd", "--space", "lr=cat:0.1", "--lr", "0.1"},
         "--lr is given as well as --space lr=...");
  expect({"quadratic_deep", "--optimizer", "sgd", "--space", "lr=cat:0.1", "--bogus", "1"},
         "unknown option '--bogus'");
  expect({"quadratic_deep", "--optimizer", "sgd", "--space", "lr=log:1e-3:1:4", "--budget", "3"},
         "the grid has 4 settings but --budget is 3");
  expect({"quadratic_deep", "--optimizer", "sgd", "--space", "lr=cat:0.1", "--executor", "k8s"},
         "unknown executor 'k8s'");
  expect({"quadratic_deep", "--optimizer", "sgd", "--space", "lr=cat:0.1", "--slurm_cpus", "2"},
         "apply to --executor slurm only");
  expect({"quadratic_deep", "--optimizer", "sgd", "--space", "lr=cat:0.1", "--no_logs"},
         "tune needs each run's result file");
  expect({"--optimizer", "sgd"}, "the test problem comes first");
  expect({"no_such_problem", "--optimizer", "sgd", "--space", "lr=cat:0.1"}, "no_such_problem");
  expect({"quadratic_deep", "--optimizer", "sgd"}, "missing --space");
  expect(
      {"quadratic_deep", "--optimizer", "sgd", "--space", "lr=log:1e-3:1", "--strategy", "random"},
      "--strategy random needs --budget N");
}

}  // namespace
}  // namespace deepobs::runner
