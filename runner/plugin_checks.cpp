#include "runner/plugin_checks.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "optimizers/descriptor.h"
#include "optimizers/include/deepobs/optimizer_plugin.h"
#include "optimizers/plugin_loader.h"
#include "runner/elf_symbols.h"
#include "runner/validation_session.h"

namespace deepobs::runner {
namespace {

CheckResult pass(std::string message) {
  return {CheckStatus::Pass, std::move(message)};
}
CheckResult fail(std::string message) {
  return {CheckStatus::Fail, std::move(message)};
}
CheckResult skip(std::string message) {
  return {CheckStatus::Skip, std::move(message)};
}

std::string num(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

// The host's validated view of the plugin, and its hyperparameters (defaults plus --hp).
struct Loaded {
  const OptimizerInfo* info;
  Hyperparameters hyperparameters;
};

Loaded load(const ValidateOptions& o) {
  const OptimizerInfo& info = load_plugin(o.plugin);
  return {&info, resolve_hyperparameters(info, o.hyperparameters)};
}

// ---- exported_symbols ------------------------------------------------------------------------

CheckResult check_exported_symbols(const ValidateOptions& o) {
  const auto names = exported_dynamic_symbols(o.plugin);
  std::vector<std::string> extra;
  bool has_entry = false;
  for (const auto& n : names) {
    if (n == DEEPOBS_OPTIMIZER_ENTRY_NAME)
      has_entry = true;
    else
      extra.push_back(n);
  }
  if (!has_entry) return fail("does not export deepobs_optimizer_entry (not an optimizer plugin)");
  if (!extra.empty()) {
    std::string list;
    for (std::size_t i = 0; i < extra.size() && i < 8; ++i)
      list += (i ? ", " : "") + extra[i];
    if (extra.size() > 8) list += cat(", ... (", extra.size(), " in all)");
    return fail(cat("exports ", extra.size(), " symbol(s) besides deepobs_optimizer_entry: ", list,
                    "; build with hidden visibility (deepobs_add_optimizer_plugin does)"));
  }
  return pass("exports exactly deepobs_optimizer_entry");
}

// ---- negotiation ------------------------------------------------------------------------------

// A host table that records what the plugin reports. `padding` bytes are appended after the
// struct (a newer host's longer table, whose extra fields this plugin cannot know).
struct RecordingHost {
  explicit RecordingHost(std::uint32_t abi_version, std::size_t padding = 0)
      : storage(sizeof(deepobs_host) + padding, 0) {
    deepobs_host h{};
    h.struct_size = static_cast<std::uint32_t>(storage.size());
    h.abi_version = abi_version;
    h.host_data = this;
    h.report_error = [](void* self, deepobs_status, const char* message) {
      static_cast<RecordingHost*>(self)->reported = message ? message : "(null message)";
    };
    h.log = [](void*, std::int32_t, const char*) {};
    h.allocate = [](void*, std::size_t, void** out) -> deepobs_status {
      *out = nullptr;
      return DEEPOBS_STATUS_OUT_OF_MEMORY;
    };
    h.deallocate = [](void*, void*) {};
    std::memcpy(storage.data(), &h, sizeof h);
  }
  const deepobs_host* host() const { return reinterpret_cast<const deepobs_host*>(storage.data()); }
  std::vector<unsigned char> storage;  // operator new aligns it for any fundamental type
  std::string reported;
};

CheckResult check_negotiation(const ValidateOptions& o) {
  void* library = ::dlopen(o.plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return fail(cat("dlopen failed: ", ::dlerror()));
  const auto entry =
      reinterpret_cast<deepobs_optimizer_entry_fn>(::dlsym(library, DEEPOBS_OPTIMIZER_ENTRY_NAME));
  if (entry == nullptr) return fail("no deepobs_optimizer_entry symbol");
  const std::uint32_t major = DEEPOBS_OPTIMIZER_ABI_MAJOR, minor = DEEPOBS_OPTIMIZER_ABI_MINOR;

  RecordingHost current(kHostAbiMax);
  const deepobs_optimizer_descriptor* d = entry(kHostAbiMin, kHostAbiMax, current.host());
  if (d == nullptr)
    return fail(cat("refuses this host (ABI ", abi_version_string(kHostAbiMin), " to ",
                    abi_version_string(kHostAbiMax),
                    "): ", current.reported.empty() ? "no reason reported" : current.reported));
  if (DEEPOBS_ABI_MAJOR_OF(d->abi_version) != major)
    return fail(cat("descriptor says ABI ", abi_version_string(d->abi_version), ", host speaks ",
                    major, ".x"));
  if (entry(kHostAbiMin, kHostAbiMax, current.host()) != d)
    return fail("a second call of the entry returns another descriptor (it must be static)");

  std::vector<std::string> notes;
  // An older host of the same major (only minor 0): a plugin needing a newer minor may refuse,
  // but must say why.
  RecordingHost older(DEEPOBS_ABI_VERSION(major, 0));
  if (entry(DEEPOBS_ABI_VERSION(major, 0), DEEPOBS_ABI_VERSION(major, 0), older.host()) ==
      nullptr) {
    if (older.reported.empty())
      return fail(cat("refuses a ", major, ".0 host without reporting a reason"));
    notes.push_back(cat("refuses a ", major, ".0 host (", older.reported, ")"));
  } else {
    notes.push_back(cat("accepts a ", major, ".0 host"));
  }
  // A newer minor host with a longer host table must be accepted.
  const std::uint32_t newer_version = DEEPOBS_ABI_VERSION(major, minor + 7);
  RecordingHost newer(newer_version, 64);
  if (entry(kHostAbiMin, newer_version, newer.host()) == nullptr)
    return fail(cat("refuses a newer-minor host (", abi_version_string(newer_version),
                    "): ", newer.reported.empty() ? "no reason reported" : newer.reported,
                    "; a newer minor only appends fields and must be accepted"));
  notes.push_back(cat("accepts a ", abi_version_string(newer_version), " host"));
  // A host of the next major only must be refused, with a reason.
  const std::uint32_t next_min = DEEPOBS_ABI_VERSION(major + 1, 0);
  const std::uint32_t next_max = DEEPOBS_ABI_VERSION(major + 1, 3);
  RecordingHost next(next_max);
  if (entry(next_min, next_max, next.host()) != nullptr)
    return fail(cat("returns a descriptor to a host that speaks only ABI ", major + 1,
                    ".x; it must return NULL and report why"));
  if (next.reported.empty())
    return fail(cat("refuses an ABI ", major + 1, ".x host without reporting a reason"));
  notes.push_back(cat("refuses an ABI ", major + 1, ".x host with a reason"));
  std::string text = cat("built against ABI ", abi_version_string(d->abi_version));
  for (const auto& n : notes)
    text += "; " + n;
  return pass(text);
}

// ---- descriptor -------------------------------------------------------------------------------

std::string capability_list(std::uint64_t caps) {
  static const std::pair<std::uint64_t, const char*> names[] = {
      {DEEPOBS_CAP_CPU, "cpu"},
      {DEEPOBS_CAP_CUDA, "cuda"},
      {DEEPOBS_CAP_NEEDS_LOSS_CLOSURE, "loss-closure"},
      {DEEPOBS_CAP_NEEDS_HVP, "hvp"},
      {DEEPOBS_CAP_SCHEDULES_OWN_LR, "own-lr"},
      {DEEPOBS_CAP_DETERMINISTIC, "deterministic"},
      {DEEPOBS_CAP_CUDA_GRAPH_SAFE, "cuda-graph-safe"},
      {DEEPOBS_CAP_EVAL_PARAMS, "eval-params"},
      {DEEPOBS_CAP_F64, "f64"}};
  std::string text;
  for (const auto& [bit, name] : names)
    if (caps & bit) text += text.empty() ? name : std::string(", ") + name;
  return text;
}

CheckResult check_descriptor(const ValidateOptions& o) {
  const OptimizerInfo& info = load_plugin(o.plugin);
  const Device device = o.device == "cpu" ? Device::cpu() : Device::parse(o.device);
  if (const auto refusal = fingerprint_refusal(info, device_facts(device)))
    return fail(cat("cannot run on ", device.str(), ": ", *refusal));
  resolve_hyperparameters(info, o.hyperparameters);
  return pass(cat(info.id, " ", info.name, " ", info.version, "; capabilities: ",
                  capability_list(info.capabilities), "; ", info.hyperparameters.size(),
                  " hyperparameter(s), ", info.state_slots.size(), " state slot(s)"));
}

// The device the stepping checks run on (--device).
Device run_device(const ValidateOptions& o) {
  return o.device == "cpu" ? Device::cpu() : Device::parse(o.device);
}

// ---- create_destroy ---------------------------------------------------------------------------

// Resident memory of this process in bytes (from /proc/self/statm).
std::int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

CheckResult check_create_destroy(const ValidateOptions& o) {
  const Loaded l = load(o);
  ValidationSession session(*l.info, l.hyperparameters, "quadratic_deep", run_device(o));
  constexpr int kWarmup = 20, kCycles = 300;
  constexpr std::int64_t kAllowedGrowth = 8 << 20;  // allocator noise stays far below this
  for (int i = 0; i < kWarmup; ++i)
    session.recreate_optimizer();
  const std::int64_t before = resident_bytes();
  for (int i = 0; i < kCycles; ++i)
    session.recreate_optimizer();
  const std::int64_t growth = resident_bytes() - before;
  if (growth > kAllowedGrowth)
    return fail(cat("resident memory grew by ", growth >> 10, " KiB over ", kCycles,
                    " create/destroy cycles (", growth / kCycles,
                    " bytes per cycle): destroy leaks what create allocated"));
  return pass(cat(kCycles, " create/destroy cycles, resident memory ", growth >= 0 ? "+" : "",
                  growth >> 10, " KiB"));
}

// ---- train_<problem> --------------------------------------------------------------------------

std::function<CheckResult(const ValidateOptions&)> train_check(std::string problem) {
  return [problem](const ValidateOptions& o) -> CheckResult {
    const Loaded l = load(o);
    const double lr = o.learning_rate.value_or(validation_learning_rate(problem));
    ValidationSession session(*l.info, l.hyperparameters, problem, run_device(o));
    const double before = session.test_loss();
    for (int s = 0; s < o.steps; ++s)
      session.step(lr);
    const double after = session.test_loss();
    const std::string what = cat("test loss ", num(before), " -> ", num(after), " after ", o.steps,
                                 " steps at learning rate ", num(lr));
    if (!std::isfinite(after)) return fail(what + " (diverged)");
    if (!(after < before)) return fail(what + " (did not decrease)");
    return pass(what);
  };
}

// ---- cpu_cuda_agreement -----------------------------------------------------------------------

CheckResult check_cpu_cuda_agreement(const ValidateOptions& o) {
  const OptimizerInfo& info = load_plugin(o.plugin);
  if (!info.has_capability(DEEPOBS_CAP_CPU) || !info.has_capability(DEEPOBS_CAP_CUDA))
    return skip("the plugin offers only one device");
  if (!Device::cuda_built()) return skip("this deepobs was built without CUDA");
  if (!Device::cuda_available()) return skip("no usable CUDA device here");
  const Loaded l = load(o);
  const double lr = o.learning_rate.value_or(validation_learning_rate("quadratic_deep"));
  const Device gpu = o.device == "cpu" ? Device::cuda(0) : Device::parse(o.device);
  ValidationSession cpu(*l.info, l.hyperparameters, "quadratic_deep", Device::cpu());
  ValidationSession cuda(*l.info, l.hyperparameters, "quadratic_deep", gpu);
  for (int s = 0; s < o.steps; ++s) {
    cpu.step(lr);
    cuda.step(lr);
  }
  // Both devices start from the same weights and see the same batches; f32 forward/backward
  // passes differ by summation order (cuBLAS/cuDNN vs Eigen), so the trajectories drift by
  // rounding only: a relative 1e-3 of the largest parameter is far above that drift and far
  // below what a wrong update rule produces.
  const Tensor a = cpu.flat().params().to(DType::F64);
  const Tensor b = cuda.flat().params().to(Device::cpu()).to(DType::F64);
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double max_abs = 0, max_diff = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    max_abs = std::max(max_abs, std::abs(va[i]));
    max_diff = std::max(max_diff, std::abs(va[i] - vb[i]));
  }
  const std::string what =
      cat("after ", o.steps,
          " steps on quadratic_deep the largest parameter "
          "difference CPU vs ",
          gpu.str(), " is ", num(max_diff), " (largest parameter ", num(max_abs), ")");
  if (!(max_diff <= 1e-3 * std::max(1.0, max_abs))) return fail(what);
  return pass(what);
}

// ---- determinism ------------------------------------------------------------------------------

std::string compare_parameters(const std::vector<std::uint8_t>& a,
                               const std::vector<std::uint8_t>& b, const FlatParameters& flat) {
  if (a == b) return {};
  const std::size_t element = a.size() / static_cast<std::size_t>(flat.size());
  std::int64_t differ = 0;
  double max_diff = 0;
  for (std::int64_t i = 0; i < flat.size(); ++i) {
    const auto* x = a.data() + static_cast<std::size_t>(i) * element;
    const auto* y = b.data() + static_cast<std::size_t>(i) * element;
    if (std::memcmp(x, y, element) == 0) continue;
    ++differ;
    double u, v;
    if (element == sizeof(double)) {
      std::memcpy(&u, x, sizeof u);
      std::memcpy(&v, y, sizeof v);
    } else {
      float fu, fv;
      std::memcpy(&fu, x, sizeof fu);
      std::memcpy(&fv, y, sizeof fv);
      u = fu;
      v = fv;
    }
    max_diff = std::max(max_diff, std::fabs(u - v));
  }
  return cat(differ, " of ", flat.size(), " parameters differ (max |difference| ", num(max_diff),
             ")");
}

CheckResult check_determinism(const ValidateOptions& o) {
  const Loaded l = load(o);
  if (!l.info->has_capability(DEEPOBS_CAP_DETERMINISTIC))
    return skip("the plugin does not claim DEEPOBS_CAP_DETERMINISTIC");
  const double lr = o.learning_rate.value_or(validation_learning_rate("quadratic_deep"));
  std::vector<std::uint8_t> runs[2];
  for (auto& bytes : runs) {
    ValidationSession session(*l.info, l.hyperparameters, "quadratic_deep", run_device(o));
    for (int s = 0; s < o.steps; ++s)
      session.step(lr);
    bytes = session.parameter_bytes();
  }
  ValidationSession shape(*l.info, l.hyperparameters, "quadratic_deep", run_device(o));
  const std::string diff = compare_parameters(runs[0], runs[1], shape.flat());
  if (!diff.empty())
    return fail(cat("claims DEEPOBS_CAP_DETERMINISTIC, but two identical runs of ", o.steps,
                    " steps differ: ", diff));
  return pass(cat("two identical runs of ", o.steps, " steps agree bit for bit"));
}

// ---- checkpoint -------------------------------------------------------------------------------

CheckResult check_checkpoint(const ValidateOptions& o) {
  const Loaded l = load(o);
  const double lr = o.learning_rate.value_or(validation_learning_rate("quadratic_deep"));
  const int half = std::max(1, o.steps / 2);
  ValidationSession straight(*l.info, l.hyperparameters, "quadratic_deep", run_device(o));
  for (int s = 0; s < 2 * half; ++s)
    straight.step(lr);

  ValidationSession resumed(*l.info, l.hyperparameters, "quadratic_deep", run_device(o));
  for (int s = 0; s < half; ++s)
    resumed.step(lr);
  const std::vector<std::uint8_t> state = resumed.optimizer().save_state();
  const std::vector<std::uint8_t> params = resumed.parameter_bytes();
  resumed.recreate_optimizer();         // a fresh instance: create + init_state
  resumed.set_parameter_bytes(params);  // as a resumed run restores its checkpoint
  resumed.optimizer().load_state(state);
  for (int s = 0; s < half; ++s)
    resumed.step(lr);

  const std::string diff =
      compare_parameters(straight.parameter_bytes(), resumed.parameter_bytes(), straight.flat());
  if (!diff.empty())
    return fail(cat("save -> load -> continue differs from an uninterrupted run after ", 2 * half,
                    " steps: ", diff, "; keep everything that must survive in state slots"));
  return pass(cat("save after ", half, " steps (", state.size(),
                  " bytes of state) -> load into a new instance -> continue equals ", 2 * half,
                  " uninterrupted steps bit for bit"));
}

// ---- nan_gradients ----------------------------------------------------------------------------

CheckResult check_nan_gradients(const ValidateOptions& o) {
  const Loaded l = load(o);
  const double lr = o.learning_rate.value_or(validation_learning_rate("quadratic_deep"));
  ValidationSession session(*l.info, l.hyperparameters, "quadratic_deep", run_device(o));
  session.step(lr);
  std::string outcome;
  for (const double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    session.flat().grads().fill(bad);
    try {
      session.step_with_current_gradients(lr);
      outcome += cat(outcome.empty() ? "" : "; ", std::isnan(bad) ? "NaN" : "Inf",
                     " gradients: step returned OK");
    } catch (const OptimizerStepError& e) {
      outcome += cat(outcome.empty() ? "" : "; ", std::isnan(bad) ? "NaN" : "Inf",
                     " gradients: step refused with '", status_name(e.status()), "'");
    }
  }
  return pass(outcome + "; the host survived");
}

// ---- callbacks --------------------------------------------------------------------------------

CheckResult check_callbacks(const ValidateOptions& o) {
  const Loaded l = load(o);
  const double lr = o.learning_rate.value_or(validation_learning_rate("quadratic_deep"));
  constexpr int kSteps = 5;
  ValidationSession session(*l.info, l.hyperparameters, "quadratic_deep", run_device(o));
  for (int s = 0; s < kSteps; ++s)
    session.step(lr);
  const OptimizerCost cost = session.optimizer().cost();
  const std::string counts = cat(cost.evaluate_calls, " evaluate and ", cost.hvp_calls,
                                 " hvp call(s) in ", kSteps, " steps, counted by the host");
  if (cost.steps != kSteps)
    return fail(cat("the host counted ", cost.steps, " steps for ", kSteps, " taken"));
  if (!l.info->has_capability(DEEPOBS_CAP_NEEDS_LOSS_CLOSURE) && cost.evaluate_calls > 0)
    return fail(counts + ", but the plugin does not declare DEEPOBS_CAP_NEEDS_LOSS_CLOSURE");
  if (!l.info->has_capability(DEEPOBS_CAP_NEEDS_HVP) && cost.hvp_calls > 0)
    return fail(counts + ", but the plugin does not declare DEEPOBS_CAP_NEEDS_HVP");
  if (l.info->has_capability(DEEPOBS_CAP_NEEDS_LOSS_CLOSURE) && cost.evaluate_calls == 0)
    return pass(counts + " (declares the loss closure but did not use it)");
  return pass(counts);
}

}  // namespace

const char* check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::Pass:
      return "pass";
    case CheckStatus::Fail:
      return "fail";
    case CheckStatus::Skip:
      return "skip";
  }
  return "fail";
}

std::string encode_check_result(const CheckResult& result) {
  return std::string(check_status_name(result.status)) + "\n" + result.message;
}

CheckResult decode_check_result(const std::string& text) {
  const auto newline = text.find('\n');
  const std::string status = text.substr(0, newline);
  const std::string message = newline == std::string::npos ? "" : text.substr(newline + 1);
  if (status == "pass") return pass(message);
  if (status == "skip") return skip(message);
  return fail(message);
}

double validation_learning_rate(const std::string& problem) {
  // Measured with plain SGD (example sgd_c) over 30 steps from each problem's starting point:
  // Beale starts on a steep wall (loss ~1.7e5) where 1e-4 already diverges.
  if (problem == "quadratic_deep") return 0.01;
  if (problem == "two_d_beale") return 1e-5;
  return 1e-3;
}

const std::vector<PluginCheck>& plugin_checks() {
  static const std::vector<PluginCheck> checks = [] {
    std::vector<PluginCheck> c = {
        {"exported_symbols", "the library exports deepobs_optimizer_entry and nothing else",
         check_exported_symbols},
        {"negotiation",
         "ABI negotiation with this host, an older, a newer-minor and a newer-major host",
         check_negotiation},
        {"descriptor", "the host accepts the descriptor and the fingerprint fits the device",
         check_descriptor},
        {"create_destroy", "300 create/destroy cycles do not grow memory", check_create_destroy}};
    for (const char* problem :
         {"quadratic_deep", "two_d_rosenbrock", "two_d_beale", "two_d_branin"})
      c.push_back({cat("train_", problem), cat("steps on ", problem, " decrease the test loss"),
                   train_check(problem)});
    c.push_back({"cpu_cuda_agreement", "CPU and CUDA runs agree (when both are offered)",
                 check_cpu_cuda_agreement});
    c.push_back(
        {"determinism", "identical runs are bit-identical (when claimed)", check_determinism});
    c.push_back(
        {"checkpoint", "save -> load -> continue equals an uninterrupted run", check_checkpoint});
    c.push_back(
        {"nan_gradients", "NaN and Inf gradients do not crash the host", check_nan_gradients});
    c.push_back({"callbacks", "evaluate/hvp calls are counted and match the capabilities",
                 check_callbacks});
    return c;
  }();
  return checks;
}

}  // namespace deepobs::runner
