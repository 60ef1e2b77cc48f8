// `deepobs validate-plugin` against plugins with known faults (tests/plugins_validator): each
// fault is reported by the right check, and the validator survives (exit status 1, full report).
// The validator runs as the real executable: its checks fork, which must not happen inside the
// multithreaded test process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "runner/child_process.h"

namespace deepobs::runner {
namespace {

struct Validation {
  int exit_code;
  nlohmann::json report;
};

Validation validate(const std::string& plugin, const std::string& extra = "") {
  const std::string command =
      std::string("'") + DEEPOBS_BINARY + "' validate-plugin '" + plugin + "' --json " + extra;
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    out.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status)) << command;
  return {WEXITSTATUS(status), nlohmann::json::parse(out)};
}

const nlohmann::json& check(const nlohmann::json& report, const std::string& name) {
  for (const auto& c : report["checks"])
    if (c["name"] == name) return c;
  static const nlohmann::json missing;
  ADD_FAILURE() << "no check named " << name << " in " << report.dump();
  return missing;
}

TEST(ValidatePlugin, SegfaultingPluginIsReportedAndTheValidatorSurvives) {
  const auto v = validate(DEEPOBS_VALIDATOR_PLUGIN_SEGFAULT);
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_FALSE(v.report["valid"].get<bool>());
  // The library itself is well formed...
  EXPECT_EQ(check(v.report, "exported_symbols")["status"], "pass");
  EXPECT_EQ(check(v.report, "negotiation")["status"], "pass");
  EXPECT_EQ(check(v.report, "descriptor")["status"], "pass");
  // ...but every check that steps crashes, and each crash is named: SIGSEGV, or SIGABRT under
  // AddressSanitizer with abort_on_error (its SEGV handler reports, then aborts).
  for (const char* name :
       {"train_quadratic_deep", "train_two_d_branin", "checkpoint", "callbacks"}) {
    const auto& crashed = check(v.report, name);
    EXPECT_EQ(crashed["status"], "fail") << crashed.dump();
    const std::string message = crashed["message"].get<std::string>();
    EXPECT_TRUE(message.rfind("crashed: SIGSEGV", 0) == 0 ||
                message.rfind("crashed: SIGABRT", 0) == 0)
        << crashed.dump();
  }
  // All checks ran to a verdict: the validator outlived every crash.
  EXPECT_EQ(v.report["checks"].size(), 13u);
}

TEST(ValidatePlugin, LeakIsFoundByCreateDestroyLoop) {
  const auto v =
      validate(DEEPOBS_VALIDATOR_PLUGIN_LEAKY, "--only create_destroy,train_quadratic_deep");
  EXPECT_EQ(v.exit_code, 1);
  const auto& leak = check(v.report, "create_destroy");
  EXPECT_EQ(leak["status"], "fail") << leak.dump();
  EXPECT_NE(leak["message"].get<std::string>().find("leaks"), std::string::npos);
  EXPECT_EQ(check(v.report, "train_quadratic_deep")["status"], "pass");
}

TEST(ValidatePlugin, FalseDeterminismClaimAndHiddenStateAreFound) {
  const auto v = validate(DEEPOBS_VALIDATOR_PLUGIN_NONDETERMINISTIC,
                          "--only determinism,checkpoint,train_quadratic_deep");
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(check(v.report, "determinism")["status"], "fail");
  EXPECT_EQ(check(v.report, "checkpoint")["status"], "fail");
  EXPECT_EQ(check(v.report, "train_quadratic_deep")["status"], "pass");
}

TEST(ValidatePlugin, HangingStepIsKilledAtTheTimeLimit) {
  const auto v = validate(DEEPOBS_VALIDATOR_PLUGIN_HANG, "--only descriptor,callbacks --timeout 2");
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(check(v.report, "descriptor")["status"], "pass");
  const auto& hung = check(v.report, "callbacks");
  EXPECT_EQ(hung["status"], "fail");
  EXPECT_NE(hung["message"].get<std::string>().find("timed out"), std::string::npos);
  EXPECT_LT(hung["seconds"].get<double>(), 10.0);
}

TEST(ValidatePlugin, ExtraExportedSymbolIsFlagged) {
  const auto v =
      validate(DEEPOBS_VALIDATOR_PLUGIN_EXPORTS_EXTRA, "--only exported_symbols,negotiation");
  EXPECT_EQ(v.exit_code, 1);
  const auto& symbols = check(v.report, "exported_symbols");
  EXPECT_EQ(symbols["status"], "fail");
  EXPECT_NE(symbols["message"].get<std::string>().find("faulty_helper"), std::string::npos);
  EXPECT_EQ(check(v.report, "negotiation")["status"], "pass");
}

TEST(ValidatePlugin, BadUsageExitsWithTwo) {
  const std::string command = std::string("'") + DEEPOBS_BINARY +
                              "' validate-plugin /nonexistent/libnothing.so 2>/dev/null";
  EXPECT_EQ(WEXITSTATUS(std::system(command.c_str())), 2);
  const std::string unknown = std::string("'") + DEEPOBS_BINARY + "' validate-plugin '" +
                              DEEPOBS_VALIDATOR_PLUGIN_LEAKY + "' --only nosuch 2>/dev/null";
  EXPECT_EQ(WEXITSTATUS(std::system(unknown.c_str())), 2);
}

TEST(ChildProcess, ReportsSignalsAndResults) {
  const auto ok = run_in_child([] { return std::string("fine"); }, 10);
  EXPECT_TRUE(ok.completed);
  EXPECT_EQ(ok.result, "fine");
  const auto aborted = run_in_child([]() -> std::string { std::abort(); }, 10);
  EXPECT_FALSE(aborted.completed);
  EXPECT_EQ(aborted.failure, "crashed: SIGABRT (Aborted)");
  EXPECT_EQ(signal_description(11), "SIGSEGV (Segmentation fault)");
}

}  // namespace
}  // namespace deepobs::runner
