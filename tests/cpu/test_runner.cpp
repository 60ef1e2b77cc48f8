// `deepobs run` end to end: result layout and JSON, determinism, divergence, and bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runner/run_command.h"
#include "tests/common/run_in_process.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

using Outcome = testing_support::RunOutcome;
Outcome run(std::vector<std::string> args) {
  return testing_support::run_deepobs_run(std::move(args));
}

class RunnerTest : public testing_support::ScratchDirTest {
 protected:
  RunnerTest() : ScratchDirTest("deepobs_runner") {}
  std::string out_dir() const { return dir_.string(); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Checks with Python's own json module (what DeepOBS's analyzers use), when it is installed.
void check_with_python(const fs::path& file, int num_epochs) {
  const char* python = "/usr/bin/python3";
  if (::access(python, X_OK) != 0) return;
  const std::string script =
      "import json,sys\n"
      "d=json.load(open(sys.argv[1]))\n"
      "v11=['train_losses','test_losses','minibatch_train_losses','optimizer','testproblem',"
      "'weight_decay','batch_size','num_epochs','learning_rate','lr_sched_epochs',"
      "'lr_sched_factors','random_seed','train_log_interval','hyperparams']\n"
      "v12=['testproblem','batch_size','num_epochs','random_seed','weight_decay',"
      "'optimizer_name','optimizer_hyperparams','training_params','train_losses',"
      "'valid_losses','test_losses','minibatch_train_losses']\n"
      "ours=['schema_version','data_variant','diverged','epoch_seconds','step_time_seconds',"
      "'peak_memory_bytes','fingerprint']\n"
      "missing=[k for k in v11+v12+ours if k not in d]\n"
      "assert not missing, missing\n"
      "n=int(sys.argv[2])+1\n"
      "for k in ['train_losses','valid_losses','test_losses']: assert len(d[k])==n, k\n";
  const fs::path py = file.parent_path() / "check.py";
  std::ofstream(py) << script;
  const std::string cmd = std::string(python) + " " + py.string() + " '" + file.string() + "' " +
                          std::to_string(num_epochs);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "python json check failed for " << file;
  fs::remove(py);
}

TEST_F(RunnerTest, WritesTheDeepObsLayoutAndAValidJson) {
  const auto r = run({"quadratic_deep", "--optimizer", "momentum", "--momentum", "0.99", "--lr",
                      "0.0025118864315095794", "-N", "2", "--train_log_interval", "3",
                      "--output_dir", out_dir()});
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path file = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(file.parent_path(),
            dir_ / "quadratic_deep" / "MomentumOptimizer" /
                "num_epochs__2__batch_size__128__momentum__9.9e-01__use_nesterov__False__lr__"
                "2.5118864315e-03");
  EXPECT_EQ(file.filename().string().rfind("random_seed__42__", 0), 0u);
  const std::string text = read(file);
  EXPECT_NE(text.find("\"optimizer\": \"MomentumOptimizer\""), std::string::npos);
  EXPECT_NE(text.find("\"hyperparams\": {\"momentum\": 0.99, \"use_nesterov\": false}"),
            std::string::npos);
  EXPECT_NE(text.find("\"train_losses\": [353."), std::string::npos);  // 353.7… before training
  EXPECT_NE(text.find("\"minibatch_train_losses\": ["), std::string::npos);
  EXPECT_NE(text.find("\"diverged\": false"), std::string::npos);
  // The instruction set of the CPU kernels, so that last-bit differences between machines can be
  // told apart from real ones.
  EXPECT_NE(text.find("\"cpu_kernels_isa\": {\"march\": "), std::string::npos);
#if defined(__x86_64__)
  EXPECT_NE(text.find("\"level\": \"x86-64"), std::string::npos);
#endif
  check_with_python(file, 2);
}

TEST_F(RunnerTest, HelpListsEveryOptionOnce) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"--optimizer", "momentum", "--help"}}) {
    const auto r = run(args);
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* flag : {"--output_dir", "--random_seed", "--device"}) {
      std::size_t count = 0;
      for (auto at = r.out.find(flag); at != std::string::npos; at = r.out.find(flag, at + 1))
        ++count;
      EXPECT_EQ(count, 1u) << flag << " in:\n" << r.out;
    }
    // The optimizer's hyperparameters appear once the optimizer is known.
    EXPECT_EQ(r.out.find("--momentum") != std::string::npos, args.size() == 3) << r.out;
  }
}

TEST_F(RunnerTest, SameSeedGivesIdenticalCurves) {
  auto curves = [&](const std::string& sub, const std::string& seed) {
    const auto r = run({"two_d_beale", "--optimizer", "adam", "--lr", "0.01", "-N", "2", "--bs",
                        "256", "-r", seed, "--output_dir", out_dir() + "/" + sub});
    EXPECT_EQ(r.code, 0) << r.err;
    const std::string text = read(r.out.substr(0, r.out.find('\n')));
    const auto a = text.find("\"train_losses\""), b = text.find("\"optimizer\":");
    return text.substr(a, b - a);
  };
  EXPECT_EQ(curves("a", "7"), curves("b", "7"));
  EXPECT_NE(curves("c", "7"), curves("d", "8"));
}

TEST_F(RunnerTest, DivergenceFillsTheRemainingEpochsAndIsFlagged) {
  const auto r = run({"quadratic_deep", "--optimizer", "sgd", "--lr", "100", "-N", "4",
                      "--output_dir", out_dir()});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = read(r.out.substr(0, r.out.find('\n')));
  EXPECT_NE(text.find("\"diverged\": true"), std::string::npos);
  // Four epochs + the initial evaluation: the four after the abort repeat the epoch-0 value.
  const auto a = text.find("\"test_losses\": [") + 16;
  const std::string list = text.substr(a, text.find(']', a) - a);
  const std::string first = list.substr(0, list.find(','));
  std::size_t count = 0;
  for (std::size_t p = 0; (p = list.find(first, p)) != std::string::npos; p += first.size())
    ++count;
  EXPECT_EQ(count, 5u) << list;
}

TEST_F(RunnerTest, LearningRateScheduleNamesTheFolder) {
  const auto r = run({"two_d_rosenbrock", "--optimizer", "sgd", "--lr", "0.001", "-N", "3",
                      "--lr_sched_epochs", "1", "2", "--lr_sched_factors", "0.1", "0.01",
                      "--output_dir", out_dir()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("lr_schedule__0_1.e-03_1_1.e-04_2_1.e-05"), std::string::npos) << r.out;
  EXPECT_NE(read(r.out.substr(0, r.out.find('\n'))).find("\"lr_sched_epochs\": [1, 2]"),
            std::string::npos);
}

TEST_F(RunnerTest, ValidationSplitAddsItsOwnCurves) {
  const auto r = run({"quadratic_deep", "--optimizer", "sgd", "--lr", "0.01", "-N", "1",
                      "--validation", "--output_dir", out_dir()});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = read(r.out.substr(0, r.out.find('\n')));
  EXPECT_NE(text.find("\"valid_is_test\": false"), std::string::npos);
  const auto valid = text.find("\"valid_losses\": [") + 17;
  const auto test = text.find("\"test_losses\": [") + 16;
  EXPECT_NE(text.substr(valid, 20), text.substr(test, 20)) << "valid curve repeats the test curve";
}

// --data_order (SPEC A.5): recorded in data_variant; tf1 (the default) replays the first epoch's
// order, so its first epoch equals reshuffle's and later epochs differ; the folder and file names
// stay DeepOBS's.
TEST_F(RunnerTest, DataOrderIsRecordedAndChangesOnlyLaterEpochs) {
  const auto curves = [&](const std::vector<std::string>& extra, const std::string& sub) {
    std::vector<std::string> args = {
        "quadratic_deep", "--optimizer",        "sgd", "--lr", "0.01", "-N", "2",
        "--output_dir",   out_dir() + "/" + sub};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    const fs::path file = r.out.substr(0, r.out.find('\n'));
    EXPECT_EQ(file.parent_path().filename(), "num_epochs__2__batch_size__128__lr__1.e-02");
    return read(file);
  };
  const std::string tf1 = curves({}, "default");
  const std::string explicit_tf1 = curves({"--data_order", "tf1"}, "tf1");
  const std::string re = curves({"--data_order", "reshuffle"}, "reshuffle");
  EXPECT_NE(tf1.find("\"data_variant\": \"quadratic:data_order=tf1\""), std::string::npos);
  EXPECT_NE(re.find("\"data_variant\": \"quadratic:data_order=reshuffle\""), std::string::npos);
  const auto test_curve = [](const std::string& text) {
    const auto a = text.find("\"test_losses\": [") + 16;
    std::vector<std::string> v;
    std::stringstream list(text.substr(a, text.find(']', a) - a));
    for (std::string x; std::getline(list, x, ',');)
      v.push_back(x);
    return v;
  };
  const auto t = test_curve(tf1), r = test_curve(re);
  ASSERT_EQ(t.size(), 3u);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(test_curve(explicit_tf1), t);
  EXPECT_EQ(t[0], r[0]);
  EXPECT_EQ(t[1], r[1]) << "epoch 1 trains on the same first permutation";
  EXPECT_NE(t[2], r[2]) << "epoch 2: tf1 replays it, reshuffle draws a new one";
}

TEST_F(RunnerTest, CtrlCStopsCleanlyAndWritesNothing) {
  fs::create_directories(dir_);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen("/dev/null", "w", stderr);
    std::freopen("/dev/null", "w", stdout);
    execl(DEEPOBS_BINARY, DEEPOBS_BINARY, "run", "quadratic_deep", "--optimizer", "sgd", "--lr",
          "0.001", "-N", "1000000", "--bs", "1", "--output_dir", dir_.c_str(),
          static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  // The setting folder appears after the Ctrl-C handler is installed and before training starts.
  for (int i = 0; i < 2000 && !fs::exists(dir_ / "quadratic_deep"); ++i)
    usleep(10 * 1000);
  ASSERT_TRUE(fs::exists(dir_ / "quadratic_deep")) << "the run never started";
  usleep(200 * 1000);
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  for (const auto& e : fs::recursive_directory_iterator(dir_))
    EXPECT_FALSE(e.is_regular_file()) << "left behind: " << e.path();
}

void expect_error(const Outcome& r, int code, const std::string& fragment) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(RunnerTest, BadInputIsOneClearLineAndWritesNothing) {
  const std::string o = out_dir();
  expect_error(run({"fmnist_2c2e", "--optimizer", "sgd", "--lr", "0.1", "--output_dir", o}), 1,
               "did you mean 'fmnist_2c2d'");
  expect_error(run({"quadratic_deep", "--optimizer", "momentum", "--lr", "0.1", "--output_dir", o}),
               1, "momentum");
  expect_error(run({"quadratic_deep", "--optimizer", "adam", "--lr", "0.1", "--betaa1", "0.8",
                    "--output_dir", o}),
               2, "did you mean '--beta1'");
  expect_error(run({"quadratic_deep", "--optimizer", "adam", "--lr", "0.1", "--hp", "gamma=1",
                    "--output_dir", o}),
               1, "gamma");
  expect_error(run({"quadratic_deep", "--optimizer", "sgd", "--lr", "0.1", "--lr_sched_epochs", "1",
                    "2", "--lr_sched_factors", "0.1", "--output_dir", o}),
               1, "--lr_sched_factors");
  expect_error(run({"quadratic_deep", "--optimizer", "sgd", "--output_dir", o}), 2, "--lr");
  // An empty folder would put the result tree into the current directory.
  expect_error(run({"quadratic_deep", "--optimizer", "sgd", "--lr", "0.1", "--output_dir", ""}), 2,
               "--output_dir is empty");
  expect_error(run({"quadratic_deep", "--optimizer", "rmsprop", "--lr", "1", "--output_dir", o}), 2,
               "rmsprop");
  expect_error(run({"quadratic_deep", "--optimizer", "sgd", "--lr", "abc", "--output_dir", o}), 2,
               "'abc' is not a number");
  expect_error(run({"quadratic_deep", "--optimizer", "sgd", "--lr", "0.1", "--data_order", "tf2",
                    "--output_dir", o}),
               2, "--data_order: unknown data order 'tf2'");
  expect_error(run({"mnist_logreg", "--optimizer", "sgd", "--lr", "0.1", "--data_dir",
                    o + "/empty_data", "--output_dir", o}),
               1, "prepare-data");
  EXPECT_FALSE(fs::exists(dir_ / "quadratic_deep")) << "a failed run left files behind";
  // An output directory that cannot be created fails before training starts.
  fs::create_directories(dir_);
  std::ofstream(dir_ / "blocker") << "x";
  expect_error(run({"two_d_branin", "--optimizer", "sgd", "--lr", "0.1", "-N", "1", "--output_dir",
                    (dir_ / "blocker").string()}),
               1, "--output_dir");
}

}  // namespace
}  // namespace deepobs::runner
