#include "runner/run_naming.h"

#include <algorithm>

#include "core/error.h"
#include "runner/number_format.h"

namespace deepobs::runner {

std::string hyper_value_str(const HyperValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return float2str(*d);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "True" : "False";
  if (const auto* e = std::get_if<std::string>(&v)) return *e;
  return std::to_string(std::get<std::int64_t>(v));
}

std::string setting_folder_name(const RunSetting& s) {
  DEEPOBS_CHECK(s.lr_sched_epochs.size() == s.lr_sched_factors.size(),
                "lr schedule: ", s.lr_sched_epochs.size(), " epochs but ",
                s.lr_sched_factors.size(), " factors (give one factor per epoch)");
  std::string name = "num_epochs__" + std::to_string(s.num_epochs) + "__batch_size__" +
                     std::to_string(s.batch_size) + "__";
  if (s.weight_decay) name += "weight_decay__" + float2str(*s.weight_decay) + "__";
  auto hps = s.hyperparams;
  std::sort(hps.begin(), hps.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, value] : hps)
    name += key + "__" + hyper_value_str(value) + "__";
  if (s.lr_sched_epochs.empty()) return name + "lr__" + float2str(s.learning_rate);
  name += "lr_schedule__0_" + float2str(s.learning_rate);
  for (std::size_t i = 0; i < s.lr_sched_epochs.size(); ++i)
    name += "_" + std::to_string(s.lr_sched_epochs[i]) + "_" +
            float2str(s.lr_sched_factors[i] * s.learning_rate);
  return name;
}

std::string result_file_name(int random_seed, std::time_t when) {
  std::tm local{};
  localtime_r(&when, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d-%H-%M-%S", &local);
  return "random_seed__" + std::to_string(random_seed) + "__" + stamp + ".json";
}

std::string partial_result_file_name(int random_seed, std::time_t when) {
  return result_file_name(random_seed, when) + ".partial";
}

}  // namespace deepobs::runner
