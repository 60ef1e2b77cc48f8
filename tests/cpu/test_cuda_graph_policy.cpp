// The CUDA-graph training step's decisions that need no GPU: --cuda_graph parsing, which optimizers
// and devices keep a run eager and the reason given, refuse_capture inside and outside a capture,
// and the "cuda_graph" object of the result file. Replay against eager on a GPU is in
// tests/gpu/test_cuda_graph.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/backend.h"
#include "core/cuda_graph.h"
#include "core/tensor.h"
#include "optimizers/registry.h"
#include "runner/cuda_graph_policy.h"
#include "runner/step_graph.h"
#include "tests/common/run_in_process.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

TEST(CudaGraphMode, ParsesAutoAndOffAndNamesTheChoicesOtherwise) {
  EXPECT_EQ(parse_cuda_graph_mode("auto"), CudaGraphMode::Auto);
  EXPECT_EQ(parse_cuda_graph_mode("off"), CudaGraphMode::Off);
  EXPECT_EQ(cuda_graph_mode_name(CudaGraphMode::Auto), "auto");
  EXPECT_EQ(cuda_graph_mode_name(CudaGraphMode::Off), "off");
  for (const char* bad : {"on", "", "AUTO", "true"}) {
    try {
      parse_cuda_graph_mode(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("--cuda_graph: unknown choice '") + bad + "' (auto or off)");
    }
  }
}

// A CUDA build's built-ins declare CUDA and capture safety together (a CPU-only build neither).
TEST(CudaGraphBlocker, BuiltInOptimizersMayBeCapturedOnACudaDevice) {
  for (const char* name : {"sgd", "momentum", "adam"}) {
    const OptimizerInfo& info = find_optimizer(name);
    const bool cuda = info.has_capability(DEEPOBS_CAP_CUDA);
    EXPECT_EQ(cuda, backend::kCuda) << name;
    EXPECT_EQ(info.has_capability(DEEPOBS_CAP_CUDA_GRAPH_SAFE), cuda) << name;
    EXPECT_EQ(cuda_graph_blocker(CudaGraphMode::Auto, Device::cuda(0), info).has_value(), !cuda)
        << name;
  }
}

TEST(CudaGraphBlocker, OffAndTheCpuComeFirst) {
  const OptimizerInfo& sgd = find_optimizer("sgd");
  EXPECT_EQ(cuda_graph_blocker(CudaGraphMode::Off, Device::cuda(0), sgd), "--cuda_graph off");
  EXPECT_EQ(cuda_graph_blocker(CudaGraphMode::Off, Device::cpu(), sgd), "--cuda_graph off");
  EXPECT_EQ(cuda_graph_blocker(CudaGraphMode::Auto, Device::cpu(), sgd),
            "the CPU runs every step eagerly (CUDA graphs need a CUDA device)");
}

// A copy of a built-in's info with other capability bits or ABI version: the decision reads only
// those.
OptimizerInfo with(std::uint64_t caps, std::uint32_t abi = DEEPOBS_OPTIMIZER_ABI_VERSION) {
  OptimizerInfo info = find_optimizer("momentum");
  info.capabilities = caps;
  info.abi_version = abi;
  return info;
}

TEST(CudaGraphBlocker, NamesTheCapabilityThatKeepsAPluginEager) {
  const std::uint64_t safe = DEEPOBS_CAP_CUDA | DEEPOBS_CAP_CUDA_GRAPH_SAFE;
  const std::string who = "optimizer MomentumOptimizer (org.deepobs.builtin.momentum)";
  const auto blocker = [](const OptimizerInfo& info) {
    return cuda_graph_blocker(CudaGraphMode::Auto, Device::cuda(0), info).value_or("none");
  };
  EXPECT_EQ(blocker(with(DEEPOBS_CAP_CUDA)), who + " does not declare DEEPOBS_CAP_CUDA_GRAPH_SAFE");
  EXPECT_EQ(blocker(with(safe | DEEPOBS_CAP_NEEDS_LOSS_CLOSURE)),
            who +
                " evaluates the loss closure on the host every step "
                "(DEEPOBS_CAP_NEEDS_LOSS_CLOSURE)");
  EXPECT_EQ(blocker(with(safe | DEEPOBS_CAP_NEEDS_HVP)),
            who +
                " computes Hessian-vector products on the host every step "
                "(DEEPOBS_CAP_NEEDS_HVP)");
  EXPECT_EQ(blocker(with(safe | DEEPOBS_CAP_NEEDS_LOSS_VALUE)),
            who +
                " reads the loss value on the host before every step "
                "(DEEPOBS_CAP_NEEDS_LOSS_VALUE)");
  EXPECT_EQ(blocker(with(safe, DEEPOBS_ABI_VERSION(1, 0))),
            who +
                " is built against optimizer ABI 1.0, which has no learning rate in device "
                "memory: rebuild it against 1.1 and declare DEEPOBS_CAP_CUDA_GRAPH_SAFE");
  EXPECT_EQ(blocker(with(safe | DEEPOBS_CAP_EVAL_PARAMS | DEEPOBS_CAP_SCHEDULES_OWN_LR)), "none");
}

// A real plugin without the flag (the CUDA Adam example declares none) keeps the run eager.
TEST(CudaGraphBlocker, APluginWithoutTheFlagStaysEager) {
  const OptimizerInfo& info = find_optimizer(DEEPOBS_EXAMPLE_PLUGIN_ADAM_CUDA);
  ASSERT_FALSE(info.has_capability(DEEPOBS_CAP_CUDA_GRAPH_SAFE));
  TrainingStepGraph graph(CudaGraphMode::Auto, Device::cuda(0), info);
  EXPECT_FALSE(graph.should_capture(TrainingStepGraph::kWarmupSteps));
  EXPECT_FALSE(graph.replaying());
  EXPECT_EQ(graph.report().reason,
            "optimizer ExampleAdam (" + info.id + ") does not declare DEEPOBS_CAP_CUDA_GRAPH_SAFE");
  EXPECT_EQ(cuda_graph_log_line(graph.report()), "CUDA graph: off (" + graph.report().reason + ")");
}

TEST(TrainingStepGraph, CapturesOnlyAfterTheWarmUpAndOnlyOnce) {
  TrainingStepGraph graph(CudaGraphMode::Auto, Device::cuda(0),
                          with(DEEPOBS_CAP_CUDA | DEEPOBS_CAP_CUDA_GRAPH_SAFE));
  EXPECT_EQ(graph.report().reason, "");
  for (std::int64_t step = 0; step < TrainingStepGraph::kWarmupSteps; ++step)
    EXPECT_FALSE(graph.should_capture(step)) << step;
  EXPECT_TRUE(graph.should_capture(TrainingStepGraph::kWarmupSteps));
  // On this machine the capture itself fails (no CUDA device, or no CUDA build): the step falls
  // back to eager with the reason, nothing of the step function runs, and no second try follows.
  if (Device::cuda_available()) GTEST_SKIP() << "a GPU is present: tests/gpu covers the capture";
  datasets::Batch batch;
  batch.inputs = Tensor::zeros({2, 3}, DType::F32, Device::cpu());
  bool ran = false;
  EXPECT_FALSE(graph.capture(2, batch, [&](const datasets::Batch&) {
    ran = true;
    return Tensor();
  }));
  EXPECT_FALSE(ran);
  EXPECT_FALSE(graph.replaying());
  EXPECT_EQ(graph.report().reason.rfind("capturing step 2 failed: ", 0), 0u)
      << graph.report().reason;
  EXPECT_FALSE(graph.should_capture(3));
  EXPECT_FALSE(capture_active());
}

TEST(TrainingStepGraph, ARunTooShortToCaptureSaysSo) {
  TrainingStepGraph graph(CudaGraphMode::Auto, Device::cuda(0),
                          with(DEEPOBS_CAP_CUDA | DEEPOBS_CAP_CUDA_GRAPH_SAFE));
  graph.finish(1);
  EXPECT_FALSE(graph.report().enabled);
  EXPECT_EQ(graph.report().reason,
            "the run ended after 1 training step(s), before the capture (after 2 eager warm-up "
            "steps)");
  EXPECT_FALSE(graph.should_capture(5));
  // A decision made earlier is kept.
  TrainingStepGraph off(CudaGraphMode::Off, Device::cuda(0), find_optimizer("adam"));
  off.finish(100);
  EXPECT_EQ(off.report().reason, "--cuda_graph off");
}

TEST(CaptureSafety, RefusesOnlyInsideACapture) {
  EXPECT_FALSE(capture_active());
  EXPECT_NO_THROW(refuse_capture("an op", "a reason"));
  {
    CaptureScope outer;
    {
      CaptureScope inner;
      EXPECT_TRUE(capture_active());
    }
    EXPECT_TRUE(capture_active());
    try {
      refuse_capture("lstm", "host-side sizes");
      ADD_FAILURE() << "no refusal inside a capture";
    } catch (const NotCaptureSafe& e) {
      EXPECT_EQ(std::string(e.what()), "lstm is not CUDA-graph capture-safe: host-side sizes");
    }
  }
  EXPECT_FALSE(capture_active());
  EXPECT_NO_THROW(refuse_capture("an op", "a reason"));
}

TEST(CaptureSafety, ACaptureNeedsACudaDevice) {
  try {
    CudaGraphCapture capture(Device::cpu());
    ADD_FAILURE() << "a capture began on the CPU";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "a CUDA graph records work of a CUDA device, not cpu");
  }
  EXPECT_FALSE(capture_active());  // the scope did not outlive the failed constructor
  CudaGraph empty;
  EXPECT_FALSE(empty.defined());
  EXPECT_EQ(empty.nodes(), 0);
  EXPECT_THROW(empty.replay(), Error);
}

class CudaGraphRunTest : public testing_support::ScratchDirTest {
 protected:
  CudaGraphRunTest() : ScratchDirTest("deepobs_cuda_graph") {}

  nlohmann::json run_and_read(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "two_d_beale", "--optimizer", "sgd",      "--lr", "0.01",         "-N",         "1",
        "--bs",        "256",         "--device", "cpu",  "--output_dir", dir_.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = testing_support::run_deepobs_run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    std::ifstream in(r.out.substr(0, r.out.find('\n')));
    return nlohmann::json::parse(in);
  }
};

TEST_F(CudaGraphRunTest, TheResultFileSaysWhetherAndWhyNot) {
  const nlohmann::json a = run_and_read({})["cuda_graph"];
  EXPECT_EQ(a["mode"], "auto");
  EXPECT_EQ(a["enabled"], false);
  EXPECT_EQ(a["reason"], "the CPU runs every step eagerly (CUDA graphs need a CUDA device)");
  EXPECT_TRUE(a["captured_step"].is_null());
  EXPECT_EQ(a["graph_steps"], 0);
  EXPECT_EQ(a["nodes_per_step"], 0);
  EXPECT_EQ(a["kernel_nodes_per_step"], 0);
  const nlohmann::json b = run_and_read({"--cuda_graph", "off"})["cuda_graph"];
  EXPECT_EQ(b["mode"], "off");
  EXPECT_EQ(b["reason"], "--cuda_graph off");
}

TEST_F(CudaGraphRunTest, AnUnknownChoiceIsAUsageError) {
  const auto r =
      testing_support::run_deepobs_run({"two_d_beale", "--optimizer", "sgd", "--lr", "0.01",
                                        "--cuda_graph", "on", "--output_dir", dir_.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--cuda_graph: unknown choice 'on' (auto or off)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "two_d_beale"));
}

}  // namespace
}  // namespace deepobs::runner
