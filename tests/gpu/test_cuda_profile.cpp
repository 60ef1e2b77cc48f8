// The op profiler on a GPU (core/profiler.h): CUDA-event intervals per op, CUPTI's kernels (cuDNN's
// and cuBLAS's included) attributed to the op that launched them, kernel launches per step, and
// `deepobs profile --device cuda` end to end on a generated problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/conv.h"
#include "core/ops/linear.h"
#include "core/ops/reduce.h"
#include "core/profile_limits.h"
#include "core/profiler.h"
#include "runner/profile_command.h"
#include "twin.h"

namespace deepobs {
namespace {

TEST(CudaProfile, OpsGetEventTimesAndTheirKernels) {
  SKIP_WITHOUT_GPU();
  const Device gpu = Device::cuda();
  Tensor x = twin::random_tensor({8, 3, 16, 16}, 1).to(gpu).set_requires_grad(true);
  Tensor w = twin::random_tensor({4, 3, 3, 3}, 2).to(gpu).set_requires_grad(true);
  Tensor v = twin::random_tensor({4 * 16 * 16, 10}, 3).to(gpu).set_requires_grad(true);
  profile::Session session(gpu);
  session.begin_step();
  {
    Tensor loss;
    {
      profile::PhaseScope phase(profile::Phase::kForward);
      const Tensor y = ops::conv2d(x, w, Tensor(), 1, 1, ops::PaddingMode::kSame);
      loss = ops::sum(ops::matmul(y.view({8, 4 * 16 * 16}), v));
    }
    profile::PhaseScope phase(profile::Phase::kBackward);
    autograd::backward(loss);
  }
  const profile::StepRecord r = session.end_step();
  EXPECT_GT(r.gpu_ns, 0);
  std::set<std::string> names;
  std::uint64_t conv_id = 0;
  for (const auto& e : r.ops) {
    names.insert(e.name);
    EXPECT_GE(e.gpu_begin_ns, 0) << e.name;
    EXPECT_LE(e.gpu_begin_ns, e.gpu_end_ns) << e.name;
    EXPECT_LE(e.gpu_end_ns, r.gpu_ns) << e.name;
    if (e.name == "conv2d" && e.phase == profile::Phase::kForward) conv_id = e.id;
  }
  EXPECT_TRUE(names.count("conv2d") && names.count("matmul") && names.count("sum"));
  if (!session.kernel_tracing_note().empty())
    GTEST_SKIP() << "event times checked; kernels not: " << session.kernel_tracing_note();
  EXPECT_GT(r.kernel_launches, 0);
  bool conv_kernel = false;
  for (const auto& k : r.kernels) {
    EXPECT_LE(k.begin_ns, k.end_ns) << k.name;
    conv_kernel = conv_kernel || (k.is_kernel && k.op_id == conv_id);
  }
  EXPECT_TRUE(conv_kernel) << "no kernel attributed to the forward conv2d (cuDNN's)";
}

TEST(CudaProfile, DeviceLimitsComeFromTheProperties) {
  SKIP_WITHOUT_GPU();
  const profile::Limits l = profile::measure_limits(Device::cuda());
  // Any CUDA GPU this project targets has between 1 TFLOP/s and 1 PFLOP/s of FP32 and between
  // 100 GB/s and 100 TB/s of DRAM bandwidth.
  EXPECT_GT(l.flops_per_second, 1e12);
  EXPECT_LT(l.flops_per_second, 1e15);
  EXPECT_GT(l.bytes_per_second, 1e11);
  EXPECT_LT(l.bytes_per_second, 1e14);
  EXPECT_NE(l.flops_how.find("SMs"), std::string::npos) << l.flops_how;
}

TEST(CudaProfile, ProfileCommandReportsLaunchesAndKernels) {
  SKIP_WITHOUT_GPU();
  const auto dir = std::filesystem::temp_directory_path() / "deepobs_cuda_profile";
  std::filesystem::create_directories(dir);
  const std::string json_path = (dir / "p.json").string(), trace_path = (dir / "t.json").string();
  const char* argv[] = {"profile", "quadratic_deep",  "--device", "cuda",   "--steps",
                        "2",       "--warmup",        "1",        "--json", json_path.c_str(),
                        "--trace", trace_path.c_str()};
  std::ostringstream out, err;
  ASSERT_EQ(runner::profile_command(12, argv, out, err), 0) << err.str();
  std::ifstream in(json_path);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["step_timer"], "CUDA events");
  if (j.contains("kernel_note")) {
    GTEST_SKIP() << j["kernel_note"];
  }
  EXPECT_GT(j["launches_per_step"].get<double>(), 0);
  EXPECT_FALSE(j["kernels"].empty());
  std::ifstream tin(trace_path);
  const auto t = nlohmann::json::parse(tin);
  bool kernel_event = false;
  for (const auto& e : t["traceEvents"])
    kernel_event = kernel_event || (e.contains("cat") && e["cat"] == "kernel");
  EXPECT_TRUE(kernel_event);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace deepobs
