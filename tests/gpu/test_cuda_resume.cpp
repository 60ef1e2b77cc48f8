// Resumable runs on a GPU (`deepobs run … --device cuda --deterministic --resume`): a run
// continued from its checkpoint (parameters, model buffers and optimizer slots copied to the
// host and back) ends with the curves of an uninterrupted run, bit for bit, under
// --deterministic. Skips cleanly without a usable GPU.
#include <gtest/gtest.h>

#include "tests/common/resume_check.h"
#include "tests/common/run_in_process.h"
#include "twin.h"

namespace deepobs {
namespace {

class CudaResume : public testing_support::ScratchDirTest {
 protected:
  CudaResume() : ScratchDirTest("deepobs_cuda_resume") {}
};

TEST_F(CudaResume, QuadraticAdamEqualsAnUninterruptedRun) {
  SKIP_WITHOUT_GPU();
  testing_support::check_resume_from_last_epoch(
      {"quadratic_deep", "--optimizer", "adam", "--lr", "0.01", "-N", "2", "--bs", "32",
       "--data_order", "reshuffle", "--device", "cuda", "--deterministic"},
      dir_);
}

TEST_F(CudaResume, Fmnist2c2dMomentumOnAFixtureEqualsAnUninterruptedRun) {
  SKIP_WITHOUT_GPU();
  const auto data = testing_support::write_fmnist_fixture(dir_ / "data");
  testing_support::check_resume_from_last_epoch(
      {"fmnist_2c2d", "--optimizer",  "momentum", "--lr",
       "0.01",        "--momentum",   "0.9",      "-N",
       "2",           "--bs",         "64",       "--data_dir",
       data.string(), "--data_sizes", "any",      "--train_log_interval",
       "1",           "--device",     "cuda",     "--deterministic"},
      dir_);
}

}  // namespace
}  // namespace deepobs
