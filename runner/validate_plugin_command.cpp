#include "runner/validate_plugin_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "runner/child_process.h"
#include "runner/plugin_checks.h"

namespace deepobs::runner {
namespace {

constexpr const char* kUsage =
    "usage: deepobs validate-plugin <lib.so> [options]\n"
    "\n"
    "Checks an optimizer plugin, each check in its own child process (a crash or a hang is\n"
    "reported as a failed check). Exit status 0 when no check fails, 1 otherwise.\n"
    "\n"
    "options:\n"
    "  --device cpu|cuda       the device to validate on (default cpu)\n"
    "  --hp name=value         a hyperparameter (repeatable; needed for ones without default)\n"
    "  --learning_rate X       learning rate of every training check (default per problem)\n"
    "  --steps N               training steps per check (default 30)\n"
    "  --timeout SECONDS       time limit per check (default 60)\n"
    "  --only a,b,...          run only these checks\n"
    "  --json                  print one JSON object instead of the report\n"
    "\n"
    "checks:\n";

struct Parsed {
  ValidateOptions options;
  bool json = false;
  std::set<std::string> only;
};

double parse_number(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  DEEPOBS_CHECK(!text.empty() && end == text.c_str() + text.size() && std::isfinite(value), flag,
                " expects a number, got '", text, "'");
  return value;
}

Parsed parse(int argc, const char* const* argv) {
  Parsed p;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      DEEPOBS_CHECK(i + 1 < argc, arg, " needs a value");
      return argv[++i];
    };
    if (arg == "--json") {
      p.json = true;
    } else if (arg == "--device") {
      p.options.device = value();
    } else if (arg == "--hp") {
      const std::string kv = value();
      const auto eq = kv.find('=');
      DEEPOBS_CHECK(eq != std::string::npos && eq > 0, "--hp expects name=value, got '", kv, "'");
      p.options.hyperparameters[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (arg == "--learning_rate" || arg == "--lr") {
      p.options.learning_rate = parse_number(arg, value());
      DEEPOBS_CHECK(*p.options.learning_rate > 0, arg, " must be positive");
    } else if (arg == "--steps") {
      const double steps = parse_number(arg, value());
      DEEPOBS_CHECK(steps >= 2 && steps <= 100000 && steps == std::floor(steps),
                    "--steps must be an integer from 2 to 100000, got ", steps);
      p.options.steps = static_cast<int>(steps);
    } else if (arg == "--timeout") {
      p.options.timeout_seconds = parse_number(arg, value());
      DEEPOBS_CHECK(p.options.timeout_seconds > 0, "--timeout must be positive");
    } else if (arg == "--only") {
      std::string list = value();
      for (std::size_t start = 0; start <= list.size();) {
        const auto comma = std::min(list.find(',', start), list.size());
        if (comma > start) p.only.insert(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (arg.rfind("--", 0) == 0) {
      throw Error(cat("unknown option '", arg, "'; run 'deepobs validate-plugin --help'"));
    } else {
      positional.push_back(arg);
    }
  }
  DEEPOBS_CHECK(
      positional.size() == 1,
      "expected exactly one plugin library, e.g. 'deepobs validate-plugin ./libmy_opt.so'");
  p.options.plugin = positional[0];
  DEEPOBS_CHECK(p.options.device == "cpu" || p.options.device.rfind("cuda", 0) == 0,
                "--device must be cpu or cuda[:N], got '", p.options.device, "'");
  for (const auto& name : p.only) {
    bool known = false;
    for (const auto& c : plugin_checks())
      known = known || c.name == name;
    DEEPOBS_CHECK(known, "--only: unknown check '", name,
                  "'; run 'deepobs validate-plugin --help'");
  }
  return p;
}

struct Row {
  std::string name;
  CheckResult result;
  double seconds;
};

}  // namespace

int validate_plugin_command(int argc, const char* const* argv, std::ostream& out,
                            std::ostream& err) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      out << kUsage;
      for (const auto& c : plugin_checks())
        out << "  " << std::left << std::setw(24) << c.name << c.what << "\n";
      return 0;
    }
  }
  Parsed p;
  try {
    p = parse(argc, argv);
  } catch (const Error& e) {
    err << "deepobs validate-plugin: " << e.what() << "\n";
    return 2;
  }
  // Absolute, so that the children and the report name the same file whatever they do.
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(p.options.plugin, ec);
  if (!std::filesystem::is_regular_file(absolute, ec)) {
    err << "deepobs validate-plugin: " << p.options.plugin << ": no such file\n";
    return 2;
  }
  p.options.plugin = absolute.lexically_normal().string();

  std::vector<Row> rows;
  if (!p.json) out << "validating " << p.options.plugin << " on " << p.options.device << "\n";
  for (const auto& check : plugin_checks()) {
    if (!p.only.empty() && !p.only.count(check.name)) continue;
    const ValidateOptions& options = p.options;
    const ChildOutcome child = run_in_child([&] { return encode_check_result(check.run(options)); },
                                            options.timeout_seconds);
    Row row{check.name, {}, child.seconds};
    if (child.completed)
      row.result = decode_check_result(child.result);
    else
      row.result = {CheckStatus::Fail, child.failure};
    if (!p.json) {
      static const char* const labels[] = {"PASS", "FAIL", "skip"};
      out << "  " << labels[static_cast<int>(row.result.status)] << "  " << std::left
          << std::setw(24) << row.name << row.result.message << "\n";
      out.flush();
    }
    rows.push_back(std::move(row));
  }
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& r : rows) {
    passed += r.result.status == CheckStatus::Pass;
    failed += r.result.status == CheckStatus::Fail;
    skipped += r.result.status == CheckStatus::Skip;
  }
  if (p.json) {
    nlohmann::ordered_json j;
    j["plugin"] = p.options.plugin;
    j["device"] = p.options.device;
    j["valid"] = failed == 0;
    j["passed"] = passed;
    j["failed"] = failed;
    j["skipped"] = skipped;
    j["checks"] = nlohmann::ordered_json::array();
    for (const auto& r : rows)
      j["checks"].push_back({{"name", r.name},
                             {"status", check_status_name(r.result.status)},
                             {"message", r.result.message},
                             {"seconds", r.seconds}});
    out << j.dump(2) << "\n";
  } else {
    out << rows.size() << " checks: " << passed << " passed, " << failed << " failed, " << skipped
        << " skipped: " << (failed == 0 ? "the plugin is valid" : "the plugin is NOT valid")
        << "\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace deepobs::runner
