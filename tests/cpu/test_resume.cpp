// Resumable runs (`deepobs run … --resume`, runner/checkpoint.h): a run continued from its
// checkpoint ends with the curves of an uninterrupted run, bit for bit, for problems with and
// without randomness in training and optimizers with built-in and plugin state; a SIGTERM stops a
// run with status 75 and the same command continues it; corrupt and foreign checkpoints are
// refused with one line naming the file, and a corrupt one is discarded only when asked.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runner/checkpoint.h"
#include "runner/run_command.h"
#include "test_datasets_util.h"
#include "tests/common/resume_check.h"
#include "tests/common/run_in_process.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing_support::run_deepobs_run;

using testing_support::checkpoint_files;
using testing_support::expect_same_curves;
using testing_support::read_json;
using testing_support::result_file;

void expect_one_line_error(const testing_support::RunOutcome& r, int code,
                           const std::vector<std::string>& fragments) {
  EXPECT_EQ(r.code, code) << r.err;
  for (const auto& f : fragments)
    EXPECT_NE(r.err.find(f), std::string::npos) << "'" << f << "' not in: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
}

class ResumeTest : public testing_support::ScratchDirTest {
 protected:
  ResumeTest() : ScratchDirTest("deepobs_resume") {}
  std::vector<std::string> with(std::vector<std::string> args, const fs::path& out,
                                std::vector<std::string> more = {}) const {
    args.insert(args.end(), {"--output_dir", out.string(), "--device", "cpu"});
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  void check_resume_from_last_epoch(std::vector<std::string> args) {
    args.insert(args.end(), {"--device", "cpu"});
    testing_support::check_resume_from_last_epoch(args, dir_);
  }
  // A kept checkpoint of a short quadratic_deep run, in `out`.
  fs::path kept_checkpoint(const std::vector<std::string>& args, const fs::path& out) {
    const auto r = run_deepobs_run(with(args, out, {"--resume", "--keep_checkpoint"}));
    EXPECT_EQ(r.code, 0) << r.err;
    fs::remove(result_file(out));
    const auto found = checkpoint_files(out);
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? fs::path() : found.front();
  }
};

const std::vector<std::string> kQuadraticMomentum = {"quadratic_deep",
                                                     "--optimizer",
                                                     "momentum",
                                                     "--lr",
                                                     "0.01",
                                                     "--momentum",
                                                     "0.9",
                                                     "-N",
                                                     "3",
                                                     "--bs",
                                                     "64",
                                                     "--data_order",
                                                     "reshuffle",
                                                     "--lr_sched_epochs",
                                                     "2",
                                                     "--lr_sched_factors",
                                                     "0.5"};

TEST_F(ResumeTest, QuadraticMomentumReshuffledWithAScheduleEqualsAnUninterruptedRun) {
  check_resume_from_last_epoch(kQuadraticMomentum);
}

TEST_F(ResumeTest, QuadraticAdamWithValidationEqualsAnUninterruptedRun) {
  check_resume_from_last_epoch({"quadratic_deep", "--optimizer", "adam", "--lr", "0.01", "-N", "2",
                                "--bs", "32", "--validation"});
}

TEST_F(ResumeTest, PluginOptimizerStateAndLogEqualAnUninterruptedRun) {
  check_resume_from_last_epoch({"quadratic_deep", "--optimizer",
                                DEEPOBS_EXAMPLE_PLUGIN_EMA_MOMENTUM, "--lr", "0.01", "-N", "2",
                                "--bs", "64"});
}

TEST_F(ResumeTest, FmnistMlpOnAFixtureEqualsAnUninterruptedRun) {
  const fs::path data = testing_support::write_fmnist_fixture(dir_ / "data");
  check_resume_from_last_epoch({"fmnist_mlp", "--optimizer", "momentum", "--lr", "0.01",
                                "--momentum", "0.9", "-N", "2", "--bs", "64", "--data_dir",
                                data.string(), "--data_sizes", "any", "--train_log_interval", "1"});
}

TEST_F(ResumeTest, WithoutACheckpointResumeStartsFresh) {
  const auto r = run_deepobs_run(
      with({"quadratic_deep", "--optimizer", "sgd", "--lr", "0.01", "-N", "1", "--bs", "128"}, dir_,
           {"--resume"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = read_json(result_file(dir_));
  EXPECT_EQ(j["train_losses"].size(), 2u);
  EXPECT_FALSE(j.contains("resumed_at_epochs"));
  EXPECT_TRUE(j.contains("checkpoint_seconds"));
  EXPECT_TRUE(checkpoint_files(dir_).empty());
}

TEST_F(ResumeTest, CorruptCheckpointIsRefusedAndDiscardedOnlyWhenAsked) {
  const fs::path out = dir_ / "out";
  const fs::path ckpt = kept_checkpoint(kQuadraticMomentum, out);
  const auto bytes = datasets::test_util::read_raw(ckpt);
  ASSERT_GT(bytes.size(), 100u);

  // A flipped bit in the middle: the checksum catches it; nothing is written or removed.
  auto flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x10;
  datasets::test_util::write_raw(ckpt, flipped);
  expect_one_line_error(run_deepobs_run(with(kQuadraticMomentum, out, {"--resume"})), 1,
                        {ckpt.string(), "is corrupt", "checksum", "--discard_corrupt_checkpoint"});
  EXPECT_TRUE(fs::exists(ckpt));
  EXPECT_EQ(datasets::test_util::read_raw(ckpt), flipped);

  // A truncated file (a write cut short by a full disk, a copy interrupted): the size says so.
  datasets::test_util::write_raw(ckpt, std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 9));
  expect_one_line_error(run_deepobs_run(with(kQuadraticMomentum, out, {"--resume"})), 1,
                        {ckpt.string(), "is corrupt", "truncated"});
  // Not a checkpoint at all.
  datasets::test_util::write_raw(ckpt, {'{', '}', '\n'});
  expect_one_line_error(run_deepobs_run(with(kQuadraticMomentum, out, {"--resume"})), 1,
                        {ckpt.string(), "is corrupt", "header"});
  for (const auto& e : fs::recursive_directory_iterator(out))
    EXPECT_NE(e.path().extension(), ".json") << "a refused resume wrote " << e.path();

  // Asked to: the corrupt file is moved aside (not lost) and the run starts fresh.
  datasets::test_util::write_raw(ckpt, flipped);
  const auto fresh =
      run_deepobs_run(with(kQuadraticMomentum, out, {"--resume", "--discard_corrupt_checkpoint"}));
  ASSERT_EQ(fresh.code, 0) << fresh.err;
  EXPECT_EQ(datasets::test_util::read_raw(ckpt.string() + ".corrupt"), flipped);
  const Json j = read_json(result_file(out));
  EXPECT_FALSE(j.contains("resumed_at_epochs"));
  const auto plain = run_deepobs_run(with(kQuadraticMomentum, dir_ / "plain"));
  ASSERT_EQ(plain.code, 0) << plain.err;
  expect_same_curves(j, read_json(result_file(dir_ / "plain")));
}

TEST_F(ResumeTest, CheckpointOfAnotherSettingIsRefusedNamingTheDifference) {
  const fs::path out = dir_ / "out";
  const fs::path ckpt = kept_checkpoint(kQuadraticMomentum, out);
  // Same setting folder and seed, other data order: the checkpoint cannot continue this run.
  auto other = kQuadraticMomentum;
  other[other.size() - 5] = "tf1";
  ASSERT_EQ(other[other.size() - 6], "--data_order");
  expect_one_line_error(run_deepobs_run(with(other, out, {"--resume"})), 1,
                        {ckpt.string(), "belongs to another run", "data_variant",
                         "quadratic:data_order=reshuffle", "quadratic:data_order=tf1"});
  auto log_interval = kQuadraticMomentum;
  log_interval.insert(log_interval.end(), {"--train_log_interval", "3"});
  expect_one_line_error(run_deepobs_run(with(log_interval, out, {"--resume"})), 1,
                        {"train_log_interval is 10 in the checkpoint, 3 in this run"});
  EXPECT_TRUE(fs::exists(ckpt)) << "a refused checkpoint must stay";
}

TEST_F(ResumeTest, FlagsThatNeedResumeOrAResultFolderAreUsageErrors) {
  const std::vector<std::string> base = {"quadratic_deep", "--optimizer", "sgd", "--lr", "0.1"};
  auto keep = base;
  keep.push_back("--keep_checkpoint");
  expect_one_line_error(run_deepobs_run(with(keep, dir_)), 2, {"--keep_checkpoint", "--resume"});
  auto discard = base;
  discard.push_back("--discard_corrupt_checkpoint");
  expect_one_line_error(run_deepobs_run(with(discard, dir_)), 2,
                        {"--discard_corrupt_checkpoint", "--resume"});
  auto no_logs = base;
  no_logs.insert(no_logs.end(), {"--resume", "--no_logs"});
  expect_one_line_error(run_deepobs_run(with(no_logs, dir_)), 2, {"--no_logs"});
}

TEST(CheckpointFormat, EncodeDecodeRoundTripsEveryField) {
  Checkpoint c;
  c.settings = R"({"a":1})";
  c.position = {3, 1234, 5.5, {0.1, 0.2}};
  c.train_losses = {3.0, 2.0, 1.0, 0.5};
  c.test_accuracies = {0.1, 0.2, 0.3, 0.4};
  c.minibatch_train_losses = {1.0 / 3.0, -0.0};
  c.epoch_seconds = {1.5, 2.5, 3.5};
  c.params = {"params", 1, 2, {1, 2, 3, 4, 5, 6, 7, 8}};
  c.buffers = {{"step", 3, 1, {9, 0, 0, 0, 0, 0, 0, 0}}, {"bn/mean", 1, 1, {1, 2, 3, 4}}};
  c.optimizer_state = {7, 7, 7};
  c.optimizer_bookkeeping.step_seconds = {0.01};
  c.optimizer_bookkeeping.evaluate_calls = 4;
  c.optimizer_bookkeeping.dropped_scalars = 2;
  c.optimizer_bookkeeping.logged_scalars["trust"] = {{0, 1.0}, {10, 0.5}};
  c.data_state = {3, 4, 0, 4};
  c.resumed_at = {1};
  const std::string bytes = encode_checkpoint(c);
  const Checkpoint d = decode_checkpoint(bytes, "x.checkpoint");
  EXPECT_EQ(d.settings, c.settings);
  EXPECT_EQ(d.position.epoch, 3);
  EXPECT_EQ(d.position.global_step, 1234);
  EXPECT_EQ(d.position.elapsed_seconds, 5.5);
  EXPECT_EQ(d.position.step_seconds, c.position.step_seconds);
  EXPECT_EQ(d.train_losses, c.train_losses);
  EXPECT_EQ(d.test_accuracies, c.test_accuracies);
  EXPECT_TRUE(d.valid_losses.empty());
  EXPECT_EQ(d.minibatch_train_losses, c.minibatch_train_losses);
  EXPECT_TRUE(std::signbit(d.minibatch_train_losses[1]));
  EXPECT_EQ(d.epoch_seconds, c.epoch_seconds);
  EXPECT_EQ(d.params.bytes, c.params.bytes);
  ASSERT_EQ(d.buffers.size(), 2u);
  EXPECT_EQ(d.buffers[1].name, "bn/mean");
  EXPECT_EQ(d.buffers[1].bytes, c.buffers[1].bytes);
  EXPECT_EQ(d.optimizer_state, c.optimizer_state);
  EXPECT_EQ(d.optimizer_bookkeeping.evaluate_calls, 4);
  EXPECT_EQ(d.optimizer_bookkeeping.dropped_scalars, 2);
  EXPECT_EQ(d.optimizer_bookkeeping.logged_scalars, c.optimizer_bookkeeping.logged_scalars);
  EXPECT_EQ(d.data_state, c.data_state);
  EXPECT_EQ(d.resumed_at, c.resumed_at);
  // Header: magic, version 1, body size = file size − 28.
  EXPECT_EQ(bytes.substr(0, 8), "DOBSCKPT");
  std::uint64_t size = 0;
  std::memcpy(&size, bytes.data() + 12, 8);
  EXPECT_EQ(size, bytes.size() - 28);
  // Every single-byte change in the body and every truncation is detected.
  for (std::size_t at = 28; at < bytes.size(); at += 7) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 1);
    EXPECT_THROW(decode_checkpoint(bad, "x"), CorruptCheckpoint) << at;
    EXPECT_THROW(decode_checkpoint(bytes.substr(0, at), "x"), CorruptCheckpoint) << at;
  }
}

TEST(CheckpointFormat, SettingsComparisonNamesTheFirstDifference) {
  const nlohmann::ordered_json here = {{"lr", 0.1}, {"build", {{"git_commit", "abc"}}}};
  EXPECT_NO_THROW(check_same_settings(here.dump(), here, "c"));
  try {
    check_same_settings(R"({"lr":0.2,"build":{"git_commit":"abc"}})", here, "c.checkpoint");
    FAIL() << "a different learning rate was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lr is 0.2 in the checkpoint, 0.1 in this run"),
              std::string::npos)
        << e.what();
  }
  try {
    check_same_settings(R"({"lr":0.1,"build":{"git_commit":"def"}})", here, "c.checkpoint");
    FAIL() << "another build was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("build.git_commit"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_same_settings("{", here, "c"), CorruptCheckpoint);
}

// SIGTERM (what Slurm sends at preemption and time-out) during a --resume run: the process stops
// between steps with status 75, keeping the checkpoint of the last epoch end; the same command
// then finishes the run with the curves of an uninterrupted one.
TEST_F(ResumeTest, SigtermMidEpochThenResumeEqualsAnUninterruptedRun) {
  // 1000 steps per epoch (batch size 1, about 0.1 s here), so the signal lands inside epoch 2
  // unless the machine is very busy; any later epoch tests the same.
  const std::vector<std::string> args = {"quadratic_deep",
                                         "--optimizer",
                                         "momentum",
                                         "--lr",
                                         "0.001",
                                         "--momentum",
                                         "0.9",
                                         "-N",
                                         "5",
                                         "--bs",
                                         "1",
                                         "--train_log_interval",
                                         "50"};
  const fs::path out = dir_ / "out";
  fs::create_directories(out);
  std::vector<std::string> argv_text = with(args, out, {"--resume"});
  argv_text.insert(argv_text.begin(), {DEEPOBS_BINARY, "run"});
  std::vector<char*> argv;
  for (auto& a : argv_text)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string err_path = (dir_ / "stderr.txt").string();  // no allocation after fork()
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen(err_path.c_str(), "w", stderr);
    execv(DEEPOBS_BINARY, argv.data());
    std::_Exit(127);
  }
  // The first checkpoint appears at the end of epoch 1; the signal follows at once.
  for (int i = 0; i < 60000 && checkpoint_files(out).empty(); ++i)
    usleep(1000);
  ASSERT_EQ(checkpoint_files(out).size(), 1u) << "no checkpoint after epoch 1";
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream err_file(dir_ / "stderr.txt");
  std::stringstream err;
  err << err_file.rdbuf();
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of stopping cleanly";
  ASSERT_EQ(WEXITSTATUS(status), kExitResumable) << err.str();
  const std::string text = err.str();
  const auto at = text.find("stopped by SIGTERM during epoch ");
  ASSERT_NE(at, std::string::npos) << text;
  const int stopped_in = std::stoi(text.substr(at + 32));
  ASSERT_GE(stopped_in, 2);
  ASSERT_LE(stopped_in, 5);
  EXPECT_NE(text.find("random_seed__42.checkpoint holds the last epoch end"), std::string::npos)
      << text;
  for (const auto& e : fs::recursive_directory_iterator(out))
    EXPECT_NE(e.path().extension(), ".json") << "a result file from an interrupted run";

  const auto resumed = run_deepobs_run(with(args, out, {"--resume"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const Json j = read_json(result_file(out));
  EXPECT_EQ(j["resumed_at_epochs"], Json::array({stopped_in - 1}));
  const auto plain = run_deepobs_run(with(args, dir_ / "plain"));
  ASSERT_EQ(plain.code, 0) << plain.err;
  expect_same_curves(j, read_json(result_file(dir_ / "plain")));
  EXPECT_TRUE(checkpoint_files(out).empty());
}

}  // namespace
}  // namespace deepobs::runner
