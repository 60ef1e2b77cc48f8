// The checks of `deepobs validate-plugin` (validate_plugin_command.h). Each check is a function
// that loads the plugin itself and returns a verdict; the command runs every one in its own child
// process (child_process.h), so a check that crashes or hangs the plugin is reported, not suffered.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deepobs::runner {

struct ValidateOptions {
  std::string plugin;  // path of the shared library
  std::string device = "cpu";
  std::map<std::string, std::string> hyperparameters;  // --hp name=value (as text)
  std::optional<double> learning_rate;  // overrides each problem's validation learning rate
  int steps = 30;                       // training steps per problem check
  double timeout_seconds = 60;          // per check
};

enum class CheckStatus { Pass, Fail, Skip };

// "pass", "fail", "skip".
const char* check_status_name(CheckStatus status);

struct CheckResult {
  CheckStatus status = CheckStatus::Fail;
  std::string message;  // one line: what was measured, or why it failed / was skipped
};

// One line of text for the pipe between child and parent, and back.
std::string encode_check_result(const CheckResult& result);
CheckResult decode_check_result(const std::string& text);

struct PluginCheck {
  std::string name;  // e.g. "exported_symbols", "train_quadratic_deep"
  std::string what;  // one line for --help and the report
  std::function<CheckResult(const ValidateOptions&)> run;
};

// Every check, in the order they run: exported_symbols, negotiation, descriptor, create_destroy,
// train_quadratic_deep, train_two_d_rosenbrock, train_two_d_beale, train_two_d_branin,
// cpu_cuda_agreement, determinism, checkpoint, nan_gradients, callbacks.
const std::vector<PluginCheck>& plugin_checks();

// The learning rate each training check uses unless --learning_rate is given: small enough that
// plain SGD decreases the loss of that problem from its DeepOBS starting point.
double validation_learning_rate(const std::string& problem);

}  // namespace deepobs::runner
