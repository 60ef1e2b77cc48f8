#include "runner/profile_command.h"

#include <unistd.h>

#include <filesystem>
#include <limits>
#include <string_view>
#include <vector>

#include "core/autograd.h"
#include "core/cuda_backend.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "runner/atomic_file.h"
#include "runner/device_policy.h"
#include "runner/parse_integer.h"
#include "runner/profile_report.h"
#include "runner/python_json.h"
#include "runner/run_command.h"
#include "runner/trainer.h"

namespace deepobs::runner {
namespace {

using profile::Phase;
using profile::PhaseScope;

constexpr const char* kUsage =
    "usage: deepobs profile <test_problem> [--optimizer X --lr Y ...] [--device cpu|cuda]\n"
    "                       [--steps N] [--warmup W] [--json FILE] [--trace FILE]\n"
    "\n"
    "Trains W warm-up steps (default 2), then profiles N steps (default 5) and prints one row\n"
    "per op and phase: calls, time, share of the step, FLOPs, bytes, GFLOP/s, GB/s and the\n"
    "fraction of the device's limit. --json FILE writes the table as JSON, --trace FILE a Chrome\n"
    "trace (open it in https://ui.perfetto.dev or chrome://tracing). Every option of\n"
    "'deepobs run' is accepted (optimizer, hyperparameters, plugins, --batch_size, --device, "
    "...);\n"
    "without --optimizer the step is sgd's, without --lr the learning rate is 0.01.\n"
    "\n"
    "The options of 'deepobs run':\n";

int parse_count(std::string_view flag, const std::string& text, int minimum) {
  const std::optional<long long> v = parse_integer(text);
  DEEPOBS_CHECK(v && *v >= minimum && *v <= 1000000, flag, ": '", text,
                "' is not an integer >= ", minimum, " (and at most 1000000)");
  return static_cast<int>(*v);
}

// A file `deepobs profile` will write: its folder must exist and be writable now, so that a bad
// path fails before minutes of profiling.
void check_output_path(std::string_view flag, const std::string& path) {
  DEEPOBS_CHECK(!path.empty(), flag, " needs a file name");
  const auto dir = std::filesystem::absolute(path).parent_path();
  DEEPOBS_CHECK(std::filesystem::is_directory(dir), flag, ": the folder ", dir.string(),
                " does not exist (create it or choose another path)");
  DEEPOBS_CHECK(::access(dir.c_str(), W_OK) == 0, flag, ": the folder ", dir.string(),
                " is not writable (choose another path)");
  DEEPOBS_CHECK(!std::filesystem::is_directory(path), flag, ": ", path,
                " is a folder; name a file");
}

// Takes profile's own flags out of argv; the rest is run's command line.
ProfileOptions take_profile_flags(std::vector<std::string>& args) {
  ProfileOptions p;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    bool ours = false;
    for (const char* flag : {"--steps", "--warmup", "--json", "--trace"}) {
      const std::string f = flag;
      if (a == f) {
        DEEPOBS_CHECK(i + 1 < args.size(), f, " needs a value");
        value = args[++i];
      } else if (a.rfind(f + "=", 0) == 0) {
        value = a.substr(f.size() + 1);
      } else {
        continue;
      }
      ours = true;
      if (f == "--steps") p.steps = parse_count(f, value, 1);
      if (f == "--warmup") p.warmup = parse_count(f, value, 0);
      if (f == "--json") check_output_path(f, p.json_path = value);
      if (f == "--trace") check_output_path(f, p.trace_path = value);
    }
    if (!ours) rest.push_back(a);
  }
  args = rest;
  return p;
}

bool has_flag(const std::vector<std::string>& args, std::initializer_list<const char*> names) {
  for (const auto& a : args)
    for (const char* n : names)
      if (a == n || a.rfind(std::string(n) + "=", 0) == 0) return true;
  return false;
}

// FLOPs per parameter of the built-in optimizers' updates (the profiler's convention): gradient
// descent θ −= lr·g (2); momentum a = m·a + g, θ −= lr·a (4; Nesterov's θ −= lr·(g + m·a): 6);
// Adam m, v moving averages (3 + 4) and θ −= lr_t·m/(√v + ε) (5). A plugin's are unknown (0).
double update_flops_per_parameter(const Optimizer& optimizer) {
  const std::string& id = optimizer.info().id;
  if (id == "org.deepobs.builtin.gradient_descent") return 2;
  if (id == "org.deepobs.builtin.momentum") {
    const auto& hp = optimizer.hyperparameters();
    return hp.contains("use_nesterov") && hp.get_bool("use_nesterov") ? 6 : 4;
  }
  if (id == "org.deepobs.builtin.adam") return 12;
  return 0;
}

// The update's bytes: parameters read and written, gradients read, the state read and written.
profile::OpCost update_cost(const Optimizer& optimizer, const FlatParameters& flat) {
  const double n = static_cast<double>(flat.size());
  const double es = static_cast<double>(dtype_size(flat.params().dtype()));
  return {{update_flops_per_parameter(optimizer) * n,
           3 * n * es + 2 * static_cast<double>(optimizer.state_bytes())},
          {}};
}

// One training step as runner/trainer.cpp takes it, each part inside its phase.
class ProfiledStep {
 public:
  ProfiledStep(problems::Problem& problem, Optimizer& optimizer, double lr)
      : problem_(problem),
        flat_(problem.flat()),
        optimizer_(optimizer),
        lr_(lr),
        device_(flat_.params().device()),
        losses_(device_),
        read_loss_each_step_(device_.is_cpu() ||
                             optimizer.info().has_capability(DEEPOBS_CAP_NEEDS_LOSS_VALUE) ||
                             optimizer.info().has_capability(DEEPOBS_CAP_NEEDS_LOSS_CLOSURE) ||
                             // ABI 1.0 plugins predate the flag and may read ctx->loss.
                             optimizer.info().abi_version == DEEPOBS_ABI_VERSION(1, 0)) {
    update_name_ = optimizer.info().name + " update";
    problem_.start(datasets::Phase::Train);
  }

  void run() {
    {
      PhaseScope phase(Phase::kData);
      if (!problem_.next(batch_)) {  // a new epoch of the (possibly small) training set
        problem_.start(datasets::Phase::Train);
        DEEPOBS_CHECK(problem_.next(batch_), "profile: ", problem_.info().name,
                      " has no training batch");
      }
    }
    problems::BatchResult r;
    {
      PhaseScope phase(Phase::kForward);
      r = problem_.forward(batch_, ForwardMode::Train);
    }
    StepContext ctx;
    {
      PhaseScope phase(Phase::kLossReadback);
      losses_.push(r.loss);
      ctx.loss = read_loss_each_step_ ? r.loss.item() : std::numeric_limits<double>::quiet_NaN();
    }
    {
      PhaseScope phase(Phase::kBackward);
      autograd::backward(r.loss);
    }
    {
      PhaseScope phase(Phase::kUpdate);
      ctx.step = step_++;
      ctx.learning_rate = lr_;
      ctx.evaluate = [this](const void* params, void* grad) {
        return evaluate_same_batch(problem_, flat_, batch_, params, grad);
      };
      {
        profile::OpScope scope(update_name_.c_str(),
                               [&] { return update_cost(optimizer_, flat_); });
        optimizer_.step(ctx);
      }
      profile::OpScope scope("zero_grad", [&] {
        return profile::OpCost{
            {0, profile::bytes_of(flat_.size(), dtype_size(flat_.grads().dtype()))}, {}};
      });
      flat_.zero_grad();  // for the next step (the trainer clears before its forward pass)
    }
    PhaseScope phase(Phase::kLossReadback);
    while (losses_.pending() > 0)
      losses_.pop();
  }

 private:
  problems::Problem& problem_;
  FlatParameters& flat_;
  Optimizer& optimizer_;
  double lr_;
  Device device_;
  cuda_backend::ScalarReadback losses_;
  bool read_loss_each_step_;
  std::string update_name_;
  datasets::Batch batch_;
  std::int64_t step_ = 0;
};

int execute(const RunOptions& o, const ProfileOptions& p, std::ostream& out) {
  const problems::ProblemEntry& entry = problems::find_problem(o.problem);
  const OptimizerInfo& opt_info = find_optimizer(o.optimizer);
  const Hyperparameters hps = resolve_hyperparameters(opt_info, o.hyperparameters);
  const int batch_size = o.batch_size.value_or(entry.info.default_batch_size);
  DEEPOBS_CHECK(batch_size >= 1, "--batch_size must be at least 1, got ", batch_size);
  DEEPOBS_CHECK(!o.weight_decay || *o.weight_decay >= 0, "--weight_decay must be >= 0, got ",
                o.weight_decay.value_or(0));
  const Device device = resolve_run_device(o.device);
  set_run_policies(device, {o.deterministic, o.tf32});
  auto problem =
      problems::build_problem(entry.info.name, run_problem_config(o, device, batch_size));
  Optimizer optimizer(opt_info, problem->flat(), hps,
                      run_problem_facts(o, *problem, batch_size, 1));

  ProfileHeader header;
  header.problem = entry.info.name;
  header.optimizer = opt_info.name;
  header.device = device.str();
  header.batch_size = batch_size;
  header.warmup = p.warmup;
  header.limits = profile::measure_limits(device);

  ProfiledStep step(*problem, optimizer, *o.learning_rate);
  for (int i = 0; i < p.warmup; ++i)
    step.run();
  std::vector<profile::StepRecord> steps;
  {
    profile::Session session(device);
    header.kernel_note = session.kernel_tracing_note();
    cuda_backend::synchronize(device);
    for (int i = 0; i < p.steps; ++i) {
      session.begin_step();
      step.run();
      steps.push_back(session.end_step());
    }
  }
  const bool gpu = device.is_cuda();
  const ProfileSummary summary = summarise_profile(steps, gpu);
  print_profile_table(out, header, summary);
  if (!p.json_path.empty())
    write_file_atomically(p.json_path, dump_python_json(profile_json(header, summary), 1) + "\n");
  if (!p.trace_path.empty())
    write_file_atomically(p.trace_path, chrome_trace(header, steps, gpu).dump() + "\n");
  return 0;
}

}  // namespace

int profile_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::optional<RunOptions> options;
  ProfileOptions p;
  try {
    std::vector<std::string> args(argv, argv + argc);
    p = take_profile_flags(args);
    if (has_flag(args, {"--help", "-h"})) out << kUsage;
    if (!has_flag(args, {"--optimizer", "-o"})) args.insert(args.end(), {"--optimizer", "sgd"});
    if (!has_flag(args, {"--lr", "--learning_rate"})) args.insert(args.end(), {"--lr", "0.01"});
    std::vector<const char*> ptrs;
    for (const auto& a : args)
      ptrs.push_back(a.c_str());
    options = parse_run_options(static_cast<int>(ptrs.size()), ptrs.data(), out);
  } catch (const std::exception& e) {
    err << "deepobs profile: " << e.what() << "\n";
    return 2;
  }
  if (!options) return 0;
  try {
    return execute(*options, p, out);
  } catch (const std::exception& e) {
    err << "deepobs profile: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace deepobs::runner
