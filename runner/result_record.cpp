#include "runner/result_record.h"

#include "core/error.h"

namespace deepobs::runner {
namespace {

nlohmann::ordered_json hyper_json(const HyperValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* e = std::get_if<std::string>(&v)) return *e;
  return std::get<std::int64_t>(v);
}

void check_length(const char* key, const std::vector<double>& curve, int num_epochs) {
  DEEPOBS_CHECK(static_cast<int>(curve.size()) == num_epochs + 1, "result file: ", key, " has ",
                curve.size(), " entries, expected num_epochs + 1 = ", num_epochs + 1);
}

}  // namespace

nlohmann::ordered_json result_json(const RunRecord& r) {
  const RunSetting& s = r.setting;
  check_length("train_losses", r.train_losses, s.num_epochs);
  check_length("test_losses", r.test_losses, s.num_epochs);
  if (r.has_validation) check_length("valid_losses", r.valid_losses, s.num_epochs);
  if (r.has_accuracy) {
    check_length("train_accuracies", r.train_accuracies, s.num_epochs);
    check_length("test_accuracies", r.test_accuracies, s.num_epochs);
    if (r.has_validation) check_length("valid_accuracies", r.valid_accuracies, s.num_epochs);
  }
  const auto& valid_losses = r.has_validation ? r.valid_losses : r.test_losses;
  const auto& valid_accuracies = r.has_validation ? r.valid_accuracies : r.test_accuracies;
  const nlohmann::ordered_json weight_decay =
      s.weight_decay ? nlohmann::ordered_json(*s.weight_decay) : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json hyperparams = nlohmann::ordered_json::object();
  for (const auto& [name, value] : s.hyperparams)
    hyperparams[name] = hyper_json(value);
  const bool scheduled = !s.lr_sched_epochs.empty();

  nlohmann::ordered_json j;
  // v1.2 meta keys first, as the v1.2 runner writes them.
  j["testproblem"] = r.testproblem;
  j["batch_size"] = s.batch_size;
  j["num_epochs"] = s.num_epochs;
  j["random_seed"] = r.random_seed;
  j["weight_decay"] = weight_decay;
  j["optimizer_name"] = r.optimizer;
  nlohmann::ordered_json optimizer_hyperparams = hyperparams;
  optimizer_hyperparams["learning_rate"] = s.learning_rate;
  j["optimizer_hyperparams"] = optimizer_hyperparams;
  j["training_params"] = nlohmann::ordered_json::object();
  if (scheduled) {
    j["training_params"]["lr_sched_epochs"] = s.lr_sched_epochs;
    j["training_params"]["lr_sched_factors"] = s.lr_sched_factors;
  }
  // Curves (keys shared by v1.1 and v1.2).
  j["train_losses"] = r.train_losses;
  j["valid_losses"] = valid_losses;
  j["test_losses"] = r.test_losses;
  j["minibatch_train_losses"] = r.minibatch_train_losses;
  if (r.has_accuracy) {
    j["train_accuracies"] = r.train_accuracies;
    j["valid_accuracies"] = valid_accuracies;
    j["test_accuracies"] = r.test_accuracies;
  }
  // v1.1 keys.
  j["optimizer"] = r.optimizer;
  j["learning_rate"] = s.learning_rate;
  j["lr_sched_epochs"] =
      scheduled ? nlohmann::ordered_json(s.lr_sched_epochs) : nlohmann::ordered_json(nullptr);
  j["lr_sched_factors"] =
      scheduled ? nlohmann::ordered_json(s.lr_sched_factors) : nlohmann::ordered_json(nullptr);
  j["train_log_interval"] = r.train_log_interval;
  j["hyperparams"] = hyperparams;
  // Ours.
  j["schema_version"] = kResultSchemaVersion;
  j["valid_is_test"] = !r.has_validation;
  j["data_variant"] = r.data_variant;
  j["diverged"] = r.diverged;
  j["device"] = r.device;
  j["epoch_seconds"] = r.epoch_seconds;
  j["total_seconds"] = r.total_seconds;
  j["step_time_seconds"] = {{"steps", r.step_time.steps},   {"mean", r.step_time.mean},
                            {"median", r.step_time.median}, {"p90", r.step_time.p90},
                            {"min", r.step_time.min},       {"max", r.step_time.max}};
  j["peak_memory_bytes"] = r.peak_memory_bytes;
  j["fingerprint"] = r.fingerprint.is_null() ? nlohmann::ordered_json::object() : r.fingerprint;
  for (const auto& [key, value] : r.extra.items())
    j[key] = value;
  return j;
}

nlohmann::ordered_json partial_result_json(const RunRecord& r) {
  const RunSetting& s = r.setting;
  nlohmann::ordered_json hyperparams = nlohmann::ordered_json::object();
  for (const auto& [name, value] : s.hyperparams)
    hyperparams[name] = hyper_json(value);
  nlohmann::ordered_json j;
  j["status"] = "stopped_by_optimizer";
  j["message"] = r.stop_message;
  j["optimizer_status"] = r.stop_status;
  j["testproblem"] = r.testproblem;
  j["optimizer_name"] = r.optimizer;
  j["batch_size"] = s.batch_size;
  j["num_epochs"] = s.num_epochs;
  // One evaluation before training and one after each finished epoch.
  j["epochs_completed"] = r.train_losses.empty() ? 0 : r.train_losses.size() - 1;
  j["random_seed"] = r.random_seed;
  j["weight_decay"] =
      s.weight_decay ? nlohmann::ordered_json(*s.weight_decay) : nlohmann::ordered_json(nullptr);
  j["learning_rate"] = s.learning_rate;
  j["hyperparams"] = hyperparams;
  j["train_losses"] = r.train_losses;
  j["test_losses"] = r.test_losses;
  if (r.has_validation) j["valid_losses"] = r.valid_losses;
  if (r.has_accuracy) {
    j["train_accuracies"] = r.train_accuracies;
    j["test_accuracies"] = r.test_accuracies;
    if (r.has_validation) j["valid_accuracies"] = r.valid_accuracies;
  }
  j["minibatch_train_losses"] = r.minibatch_train_losses;
  j["schema_version"] = kResultSchemaVersion;
  j["device"] = r.device;
  j["epoch_seconds"] = r.epoch_seconds;
  j["total_seconds"] = r.total_seconds;
  j["fingerprint"] = r.fingerprint.is_null() ? nlohmann::ordered_json::object() : r.fingerprint;
  for (const auto& [key, value] : r.extra.items())
    j[key] = value;
  return j;
}

}  // namespace deepobs::runner
