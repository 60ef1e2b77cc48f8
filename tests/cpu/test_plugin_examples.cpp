// The example plugins of optimizers/examples, built by the SDK's deepobs_add_optimizer_plugin:
// each passes `deepobs validate-plugin` and trains quadratic_deep with `deepobs run`. Both run as
// the real executable (the validator forks; the runner writes result files).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Example {
  const char* name;
  const char* path;
  const char* optimizer_name;  // descriptor name: the result folder
  double lr;
};

const Example kExamples[] = {
    {"sgd_c", DEEPOBS_EXAMPLE_PLUGIN_SGD_C, "ExampleSGD", 0.01},
    {"adam_cuda", DEEPOBS_EXAMPLE_PLUGIN_ADAM_CUDA, "ExampleAdam", 0.01},
    {"armijo_linesearch", DEEPOBS_EXAMPLE_PLUGIN_ARMIJO_LINESEARCH, "ExampleArmijoSGD", 0.1},
    {"ema_momentum", DEEPOBS_EXAMPLE_PLUGIN_EMA_MOMENTUM, "ExampleEmaMomentum", 0.01},
};

// gtest prints parameters; without this it dumps the struct's bytes into every test name line.
void PrintTo(const Example& e, std::ostream* os) {
  *os << e.name;
}

std::pair<int, std::string> run_binary(const std::string& args) {
  const std::string command = std::string("'") + DEEPOBS_BINARY + "' " + args;
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    out.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class PluginExample : public ::testing::TestWithParam<Example> {};

TEST_P(PluginExample, PassesTheValidator) {
  const auto [code, out] =
      run_binary(std::string("validate-plugin '") + GetParam().path + "' --json");
  EXPECT_EQ(code, 0) << out;
  const auto report = nlohmann::json::parse(out);
  EXPECT_TRUE(report["valid"].get<bool>()) << report.dump(2);
  EXPECT_GE(report["passed"].get<int>(), 11) << report.dump(2);
}

TEST_P(PluginExample, TrainsQuadraticDeepWithDeepobsRun) {
  const Example& e = GetParam();
  const fs::path dir = fs::temp_directory_path() /
                       ("deepobs_plugin_example_" + std::to_string(::getpid()) + "_" + e.name);
  fs::remove_all(dir);
  const auto [code, out] = run_binary(
      std::string("run quadratic_deep --optimizer '") + e.path + "' --lr " + std::to_string(e.lr) +
      " --num_epochs 2 --quiet --output_dir '" + dir.string() + "' 2>&1");
  ASSERT_EQ(code, 0) << out;
  std::vector<fs::path> results;
  for (const auto& entry :
       fs::recursive_directory_iterator(dir / "quadratic_deep" / e.optimizer_name))
    if (entry.path().extension() == ".json") results.push_back(entry.path());
  ASSERT_EQ(results.size(), 1u) << "result files under " << dir;
  std::ifstream in(results[0]);
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json["optimizer_name"], e.optimizer_name);
  const auto losses = json["train_losses"].get<std::vector<double>>();
  ASSERT_EQ(losses.size(), 3u);
  EXPECT_LT(losses[2], losses[0]) << json.dump();
  if (std::string(e.name) == "armijo_linesearch") {
    // The line search evaluates trial points through the host's closure, and the host counts it.
    EXPECT_GT(json["optimizer_cost"]["evaluate_calls"].get<std::int64_t>(), 0) << json.dump();
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Examples, PluginExample, ::testing::ValuesIn(kExamples),
                         [](const auto& test_info) { return std::string(test_info.param.name); });

}  // namespace
