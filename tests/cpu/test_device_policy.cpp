// The runner's device policy without a GPU (these run everywhere; on a machine with a usable GPU
// the no-GPU cases skip and the GPU suite covers the other side): what `deepobs info` says,
// --device auto falling back to the CPU, --device cuda failing with one clear line, and
// --deterministic / --tf32 being accepted and recorded.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/device.h"
#include "runner/device_policy.h"
#include "runner/info_command.h"
#include "runner/run_command.h"
#include "tests/common/expect_error.h"
#include "tests/common/run_in_process.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

using Outcome = testing_support::RunOutcome;
Outcome run(std::vector<std::string> args) {
  return testing_support::run_deepobs_run(std::move(args));
}

class DevicePolicyTest : public testing_support::ScratchDirTest {
 protected:
  DevicePolicyTest() : ScratchDirTest("deepobs_device") {}

  // Runs two_d_branin for one epoch with `extra` flags and returns the parsed result file.
  nlohmann::json run_and_read(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"two_d_branin", "--optimizer", "sgd", "--lr",
                                     "0.01",         "-N",          "1",   "--output_dir",
                                     dir_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    if (r.code != 0) return {};
    std::ifstream in(r.out.substr(0, r.out.find('\n')));
    return nlohmann::json::parse(in);
  }
};

TEST(DeviceInfo, StatesPlainlyWhichDeviceAutoPicksAndWhy) {
  std::ostringstream out;
  ASSERT_EQ(info_command(out), 0);
  const std::string text = out.str();
  if (Device::cuda_available()) {
    EXPECT_NE(text.find("--device auto: cuda:0"), std::string::npos) << text;
  } else {
    EXPECT_NE(text.find("--device auto: cpu, no GPU is usable: "), std::string::npos) << text;
    if (!Device::cuda_built()) {
      EXPECT_NE(text.find("built without the CUDA backend"), std::string::npos) << text;
    }
  }
}

TEST(DeviceResolution, ParsesTheFlag) {
  EXPECT_EQ(resolve_run_device("cpu"), Device::cpu());
  EXPECT_EQ(resolve_run_device("auto"), Device::cuda_available() ? Device::cuda(0) : Device::cpu());
  testing::expect_error([] { resolve_run_device("gpu"); }, {"--device", "'gpu'", "cuda:N"});
  testing::expect_error([] { resolve_run_device("cuda:x"); }, {"cuda:x"});
  testing::expect_error([] { resolve_run_device("cuda:99999"); }, {"cuda:99999"});
}

TEST_F(DevicePolicyTest, AutoRunsOnTheCpuWithoutAGpuAndRecordsIt) {
  if (Device::cuda_available()) GTEST_SKIP() << "a GPU is usable: auto picks it";
  const auto j = run_and_read({"--device", "auto"});
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["device_info"]["name"], "cpu");
  EXPECT_EQ(j["device_info"]["type"], "cpu");
  EXPECT_FALSE(j["device_info"].contains("gpu"));
  EXPECT_EQ(j["policies"]["deterministic"], false);
  EXPECT_EQ(j["policies"]["tf32"], false);
  EXPECT_TRUE(j["conv_algorithms"].is_array());
  EXPECT_TRUE(j["conv_algorithms"].empty());
  EXPECT_FALSE(j.contains("device_memory"));
}

TEST_F(DevicePolicyTest, CudaWithoutAGpuFailsWithOneClearLine) {
  if (Device::cuda_available()) GTEST_SKIP() << "a GPU is usable here";
  for (const std::string flag : {"cuda", "cuda:0", "cuda:1"}) {
    const Outcome r = run({"two_d_branin", "--optimizer", "sgd", "--lr", "0.01", "-N", "1",
                           "--device", flag, "--output_dir", dir_.string()});
    EXPECT_EQ(r.code, 1) << flag;
    EXPECT_EQ(r.err.rfind("deepobs run: --device " + flag + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("--device cpu"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
    EXPECT_NE(r.err.find(Device::cuda_built() ? "no usable CUDA device" : "built without CUDA"),
              std::string::npos)
        << r.err;
  }
  EXPECT_FALSE(fs::exists(dir_ / "two_d_branin")) << "a failed run left files behind";
}

TEST_F(DevicePolicyTest, DeterministicAndTf32AreAcceptedAndRecorded) {
  const auto j = run_and_read({"--device", "cpu", "--deterministic", "--tf32"});
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["device"], "cpu");
  EXPECT_EQ(j["policies"]["deterministic"], true);
  EXPECT_EQ(j["policies"]["tf32"], true);
  const auto k = run_and_read({"--device", "cpu", "--deterministic"});
  ASSERT_FALSE(k.is_null());
  EXPECT_EQ(k["policies"]["deterministic"], true);
  EXPECT_EQ(k["policies"]["tf32"], false);
}

}  // namespace
}  // namespace deepobs::runner
