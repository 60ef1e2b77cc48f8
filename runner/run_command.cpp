#include "runner/run_command.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "core/allocator.h"
#include "core/device.h"
#include "datasets/image_data_set.h"
#include "optimizers/descriptor.h"
#include "optimizers/registry.h"
#include "problems/registry.h"
#include "runner/atomic_file.h"
#include "runner/checkpoint.h"
#include "runner/device_policy.h"
#include "runner/fingerprint.h"
#include "runner/python_json.h"
#include "runner/trainer.h"

namespace deepobs::runner {
namespace {

// Set by the handler, polled by the trainer between steps: a lock-free atomic and a sig_atomic_t
// are all a signal handler may touch.
std::atomic<bool> g_stop{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int signal) {
  g_signal = signal;
  g_stop.store(true);
}

// Installs the Ctrl-C handler for the lifetime of a run and restores the previous one after.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_stop.store(false);
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &previous_int_);
    sigaction(SIGTERM, &sa, &previous_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_int_ {
  }, previous_term_{};
};

HyperValue to_hyper_value(const HyperparameterValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* e = std::get_if<std::string>(&v)) return *e;
  return std::get<std::int64_t>(v);
}

// Fails before training when the output directory cannot take the result file.
void check_writable(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  DEEPOBS_CHECK(!ec, "cannot create the output directory ", dir.string(), ": ", ec.message(),
                " (choose another --output_dir)");
  DEEPOBS_CHECK(::access(dir.c_str(), W_OK) == 0, "the output directory ", dir.string(),
                " is not writable (choose another --output_dir)");
}

nlohmann::ordered_json capability_names(std::uint64_t caps) {
  static const std::pair<std::uint64_t, const char*> kNames[] = {
      {DEEPOBS_CAP_CPU, "cpu"},
      {DEEPOBS_CAP_CUDA, "cuda"},
      {DEEPOBS_CAP_NEEDS_LOSS_CLOSURE, "needs_loss_closure"},
      {DEEPOBS_CAP_NEEDS_HVP, "needs_hvp"},
      {DEEPOBS_CAP_SCHEDULES_OWN_LR, "schedules_own_lr"},
      {DEEPOBS_CAP_DETERMINISTIC, "deterministic"},
      {DEEPOBS_CAP_CUDA_GRAPH_SAFE, "cuda_graph_safe"},
      {DEEPOBS_CAP_EVAL_PARAMS, "eval_params"},
      {DEEPOBS_CAP_F64, "f64"},
  };
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& [bit, name] : kNames)
    if (caps & bit) out.push_back(name);
  return out;
}

// Our result keys about the optimizer: what it is, what it cost, what it logged.
void add_optimizer_record(const Optimizer& optimizer, RunRecord& record) {
  const OptimizerInfo& i = optimizer.info();
  const OptimizerCost c = optimizer.cost();
  record.extra["optimizer_state_bytes"] = c.state_bytes;
  record.extra["optimizer_plugin"] = {{"id", i.id},
                                      {"version", i.version},
                                      {"origin", i.origin},
                                      {"abi_version", abi_version_string(i.abi_version)},
                                      {"capabilities", capability_names(i.capabilities)}};
  record.extra["optimizer_cost"] = {
      {"steps", c.steps},
      {"step_seconds",
       {{"mean", c.step_seconds_mean},
        {"median", c.step_seconds_median},
        {"total", c.step_seconds_total}}},
      {"step_timer", record.device == "cpu" ? "host clock" : "CUDA events"},
      {"evaluate_calls", c.evaluate_calls},
      {"hvp_calls", c.hvp_calls},
      {"hvp_method", "finite_difference"},
      {"state_bytes", c.state_bytes},
      {"scratch_bytes_peak", c.scratch_bytes_peak}};
  if (!optimizer.logged_scalars().empty()) {
    nlohmann::ordered_json log = nlohmann::ordered_json::object();
    for (const auto& [name, series] : optimizer.logged_scalars()) {
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (const auto& [step, value] : series)
        rows.push_back({step, value});
      log[name] = rows;
    }
    record.extra["optimizer_log"] = log;
    if (optimizer.dropped_scalars() > 0)
      record.extra["optimizer_log_dropped"] = optimizer.dropped_scalars();
  }
}

void print_summary(std::ostream& out, const RunRecord& r, const problems::ProblemInfo& info) {
  const bool acc = r.has_accuracy;
  const auto& curve = acc ? r.test_accuracies : r.test_losses;
  double best = curve.front();
  for (double v : curve)
    best = acc ? std::max(best, v) : std::min(best, v);
  out << "\n"
      << std::left << std::setw(18) << "problem" << info.name << "\n"
      << std::setw(18) << "optimizer" << r.optimizer << "\n"
      << std::setw(18) << (acc ? "final test acc" : "final test loss") << curve.back() << "\n"
      << std::setw(18) << (acc ? "best test acc" : "best test loss") << best << "\n"
      << (acc ? "final test loss   " + std::to_string(r.test_losses.back()) + "\n" : "")
      << std::setw(18) << "time" << std::fixed << std::setprecision(1) << r.total_seconds << " s ("
      << r.step_time.steps << " steps, median " << std::setprecision(2) << r.step_time.median * 1e3
      << " ms/step)\n"
      << std::defaultfloat;
}

// What --cifar100_offset, --svhn_train and --data_sizes chose (DeepOBS 1.1's defaults when not
// given).
datasets::ImageDataOptions image_data_options(const RunOptions& o) {
  datasets::ImageDataOptions image;
  if (o.cifar100_offset) image.cifar100_offset = *o.cifar100_offset;
  if (o.svhn_train) image.svhn_train = *o.svhn_train;
  image.official_sizes = !o.any_data_sizes;
  return image;
}

// What a checkpoint must agree on with the run that resumes it: everything that changes the
// curves (settings, data, device kind and policies, the build's code and CPU kernels). The
// machine itself may differ (a requeued Slurm job lands on another node).
nlohmann::ordered_json checkpoint_settings(const RunOptions& o, const RunRecord& record,
                                           const Optimizer& optimizer, double weight_decay) {
  nlohmann::ordered_json hps = nlohmann::ordered_json::object();
  for (const auto& [name, value] : optimizer.hyperparameters().values())
    std::visit([&, n = name](const auto& v) { hps[n] = v; }, value);
  const nlohmann::ordered_json build = run_fingerprint();
  nlohmann::ordered_json code = nlohmann::ordered_json::object();
  for (const char* key :
       {"deepobs_cpp_version", "git_commit", "build_type", "compiler", "cpu_kernels_isa"})
    if (build.contains(key)) code[key] = build[key];
  return {{"testproblem", record.testproblem},
          {"optimizer", record.optimizer},
          {"optimizer_id", optimizer.info().id},
          {"optimizer_version", optimizer.info().version},
          {"hyperparameters", hps},
          {"learning_rate", record.setting.learning_rate},
          {"lr_sched_epochs", record.setting.lr_sched_epochs},
          {"lr_sched_factors", record.setting.lr_sched_factors},
          {"batch_size", record.setting.batch_size},
          {"num_epochs", record.setting.num_epochs},
          {"weight_decay", weight_decay},
          {"random_seed", record.random_seed},
          {"train_log_interval", record.train_log_interval},
          {"data_variant", record.data_variant},
          {"validation", record.has_validation},
          {"device", record.device == "cpu" ? "cpu" : "cuda"},
          {"deterministic", o.deterministic},
          {"tf32", o.tf32},
          {"build", code}};
}

int execute(const RunOptions& o, std::ostream& out, std::ostream& err) {
  const problems::ProblemEntry& entry = problems::find_problem(o.problem);
  const problems::ProblemInfo& info = entry.info;
  const OptimizerInfo& opt_info = find_optimizer(o.optimizer);
  const Hyperparameters hps = resolve_hyperparameters(opt_info, o.hyperparameters);
  const LrSchedule schedule(*o.learning_rate, o.lr_sched_epochs, o.lr_sched_factors);
  const RunSetting setting = run_setting(o);
  const int batch_size = setting.batch_size;
  const int num_epochs = setting.num_epochs;
  DEEPOBS_CHECK(batch_size >= 1, "--batch_size must be at least 1, got ", batch_size);
  DEEPOBS_CHECK(num_epochs >= 1, "--num_epochs must be at least 1, got ", num_epochs);
  DEEPOBS_CHECK(o.train_log_interval >= 1, "--train_log_interval must be at least 1, got ",
                o.train_log_interval);
  if (o.weight_decay) {
    DEEPOBS_CHECK(*o.weight_decay >= 0, "--weight_decay must be >= 0, got ", *o.weight_decay);
  }
  const Device device = resolve_run_device(o.device);
  const cuda_backend::Policies policies{o.deterministic, o.tf32};
  set_run_policies(device, policies);
  InterruptGuard guard;  // from here on Ctrl-C stops the run cleanly instead of killing it

  RunRecord record;
  record.testproblem = info.name;
  record.optimizer = opt_info.name;
  record.setting = setting;
  record.random_seed = o.random_seed;
  record.train_log_interval = o.train_log_interval;
  record.has_accuracy = info.has_accuracy;
  record.has_validation = o.validation;
  // "<data set>[:<choice>=<value>…]:data_order=<tf1|reshuffle>" (result_record.h).
  record.data_variant = run_data_variant(o, info.data_variant);
  record.device = device.str();

  const std::filesystem::path folder = run_result_folder(o);
  if (!o.no_logs) check_writable(folder);

  const bool live = !o.quiet && ::isatty(STDERR_FILENO);
  Progress progress(err, live, o.quiet);
  if (o.weight_decay && info.default_weight_decay == 0.0)
    progress.message("warning: " + info.name +
                     " has no regularised tensors; --weight_decay is recorded but has no effect");

  auto problem = problems::build_problem(info.name, run_problem_config(o, device, batch_size));
  FlatParameters& flat = problem->flat();
  auto optimizer = std::make_unique<Optimizer>(
      opt_info, flat, hps, run_problem_facts(o, *problem, batch_size, num_epochs));

  TrainerConfig tc;
  tc.num_epochs = num_epochs;
  tc.train_log_interval = o.train_log_interval;
  tc.print_train_iter = o.print_train_iter;
  tc.stop = &g_stop;
  const std::filesystem::path checkpoint_path = folder / checkpoint_file_name(o.random_seed);
  LoopPosition resume_at;
  std::vector<std::int64_t> resumed_at;  // epochs at which this setting's runs were resumed
  double checkpoint_seconds = 0;
  const nlohmann::ordered_json settings =
      checkpoint_settings(o, record, *optimizer, problem->weight_decay());
  if (o.resume && std::filesystem::exists(checkpoint_path)) {
    try {
      const Checkpoint saved = read_checkpoint(checkpoint_path);
      check_same_settings(saved.settings, settings, checkpoint_path);
      resume_at = restore_checkpoint(saved, checkpoint_path, *problem, *optimizer, record);
      resumed_at = saved.resumed_at;
      resumed_at.push_back(resume_at.epoch);
      tc.resume = &resume_at;
      if (!o.quiet)
        progress.message(cat("resuming ", checkpoint_path.string(), " after epoch ",
                             resume_at.epoch, " of ", num_epochs));
    } catch (const CorruptCheckpoint& e) {
      if (!o.discard_corrupt_checkpoint) throw;
      const std::filesystem::path aside = checkpoint_path.string() + ".corrupt";
      std::filesystem::rename(checkpoint_path, aside);
      progress.message(cat("warning: ", e.what(), "; --discard_corrupt_checkpoint: moved it to ",
                           aside.string(), " and starting fresh"));
    }
  }
  if (o.resume) {
    tc.at_epoch_boundary = [&](const LoopPosition& position) {
      const auto t0 = std::chrono::steady_clock::now();
      Checkpoint c = capture_checkpoint(settings.dump(), position, *problem, *optimizer, record);
      c.resumed_at = resumed_at;
      try {
        write_checkpoint(checkpoint_path, c);
      } catch (const Error& e) {  // training goes on; only the protection is missing
        progress.message(
            cat("warning: no checkpoint after epoch ", position.epoch, ": ", e.what()));
      }
      checkpoint_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
  }
  tc.cuda_graph = o.cuda_graph;
  const TrainOutcome outcome = train(*problem, flat, *optimizer, schedule, tc, progress, record);
  add_optimizer_record(*optimizer, record);
  if (o.resume) {
    record.extra["checkpoint_seconds"] = checkpoint_seconds;
    if (!resumed_at.empty()) record.extra["resumed_at_epochs"] = resumed_at;
  }
  const auto remove_checkpoint = [&] {
    std::error_code ec;
    if (o.resume && !o.keep_checkpoint) std::filesystem::remove(checkpoint_path, ec);
  };
  if (outcome == TrainOutcome::Interrupted && o.resume) {
    const bool saved = std::filesystem::exists(checkpoint_path);
    err << "deepobs run: stopped by " << (g_signal == SIGTERM ? "SIGTERM" : "SIGINT")
        << " during epoch " << record.epoch_seconds.size() << "; "
        << (saved ? "the checkpoint " + checkpoint_path.string() + " holds the last epoch end"
                  : std::string("no epoch had ended, so a rerun starts fresh"))
        << "; rerun the same command (with --resume) to continue\n";
    return kExitResumable;
  }
  if (outcome == TrainOutcome::StoppedByOptimizer) {
    err << "deepobs run: " << record.stop_message << "\n";
    record.peak_memory_bytes = cpu_allocator_stats().peak_bytes;
    record.fingerprint = run_fingerprint();
    if (o.no_logs) return kExitStoppedByOptimizer;
    const auto path = folder / partial_result_file_name(o.random_seed, std::time(nullptr));
    write_file_atomically(path, dump_python_json(partial_result_json(record)) + "\n");
    err << "deepobs run: the results so far are in " << path.string()
        << " (not a DeepOBS result file: the analyzers ignore it)\n";
    remove_checkpoint();
    return kExitStoppedByOptimizer;
  }
  if (outcome == TrainOutcome::Interrupted) {
    err << "deepobs run: interrupted after " << record.epoch_seconds.size()
        << " training epoch(s); no result file was written (an incomplete run would not match "
           "DeepOBS's format)\n";
    return 130;
  }
  record.peak_memory_bytes = cpu_allocator_stats().peak_bytes;
  record.fingerprint = run_fingerprint();
  record.extra["num_parameters"] = flat.num_parameters();
  record.extra.update(device_report(device, policies));
  if (!o.quiet) print_summary(err, record, info);
  if (o.no_logs) {
    if (!o.quiet) err << "--no_logs: no result file written\n";
    return 0;
  }
  const auto path = folder / result_file_name(o.random_seed, std::time(nullptr));
  write_file_atomically(path, dump_python_json(result_json(record)) + "\n");
  remove_checkpoint();  // only once the result file is safely in place
  out << path.string() << "\n";
  return 0;
}

}  // namespace

std::string checkpoint_file_name(int random_seed) {
  return cat("random_seed__", random_seed, ".checkpoint");
}

problems::ProblemConfig run_problem_config(const RunOptions& o, Device device, int batch_size) {
  problems::ProblemConfig config;
  config.batch_size = batch_size;
  config.weight_decay = o.weight_decay;
  config.seed = static_cast<std::uint64_t>(o.random_seed);
  config.data_dir = o.data_dir;
  config.validation = o.validation;
  config.device = device;
  config.data_order = o.data_order;
  config.image = image_data_options(o);
  return config;
}

ProblemFacts run_problem_facts(const RunOptions& o, problems::Problem& problem, int batch_size,
                               int num_epochs) {
  ProblemFacts facts;
  facts.name = problem.info().name;
  facts.batch_size = batch_size;
  facts.steps_per_epoch = problem.data().batches(datasets::Phase::Train);
  facts.train_set_size = facts.steps_per_epoch * batch_size;
  facts.num_epochs = num_epochs;
  facts.seed = static_cast<std::uint64_t>(o.random_seed);
  facts.weight_decay = problem.weight_decay();
  return facts;
}

RunSetting run_setting(const RunOptions& o) {
  const problems::ProblemInfo& info = problems::find_problem(o.problem).info;
  const OptimizerInfo& opt_info = find_optimizer(o.optimizer);
  DEEPOBS_CHECK(o.learning_rate, "missing --lr (the base learning rate)");
  RunSetting s;
  s.num_epochs = o.num_epochs.value_or(info.default_num_epochs);
  s.batch_size = o.batch_size.value_or(info.default_batch_size);
  s.weight_decay = o.weight_decay;
  s.learning_rate = *o.learning_rate;
  s.lr_sched_epochs = o.lr_sched_epochs;
  s.lr_sched_factors = o.lr_sched_factors;
  const Hyperparameters hps = resolve_hyperparameters(opt_info, o.hyperparameters);
  for (const auto& [name, value] : hps.values())
    s.hyperparams.emplace_back(name, to_hyper_value(value));
  return s;
}

std::filesystem::path run_result_folder(const RunOptions& o) {
  return std::filesystem::path(o.output_dir) / problems::find_problem(o.problem).info.name /
         find_optimizer(o.optimizer).name / setting_folder_name(run_setting(o));
}

std::string run_data_variant(const RunOptions& o, const std::string& problem_data_variant) {
  // The data set is the first ':'-separated part of the problem's data_variant.
  const std::string data_set = problem_data_variant.substr(0, problem_data_variant.find(':'));
  DEEPOBS_CHECK(!o.cifar100_offset || data_set == "cifar100", "--cifar100_offset applies to ",
                "problems on CIFAR-100 only; ", o.problem, " trains on ", data_set);
  DEEPOBS_CHECK(!o.svhn_train || data_set == "svhn", "--svhn_train applies to problems on SVHN ",
                "only; ", o.problem, " trains on ", data_set);
  const std::string variant = data_set == problem_data_variant
                                  ? datasets::image_data_variant(data_set, image_data_options(o))
                                  : problem_data_variant;
  return cat(variant, ":data_order=", datasets::data_order_name(o.data_order));
}

int run_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::optional<RunOptions> options;
  try {
    options = parse_run_options(argc, argv, out);
  } catch (const std::exception& e) {
    err << "deepobs run: " << e.what() << "\n";
    return 2;
  }
  if (!options) return 0;
  try {
    return execute(*options, out, err);
  } catch (const std::exception& e) {
    err << "deepobs run: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace deepobs::runner
