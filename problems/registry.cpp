#include "problems/registry.h"

#include "core/closest_name.h"

namespace deepobs::problems {

const std::vector<ProblemEntry>& problem_registry() {
  static const std::vector<ProblemEntry> registry = [] {
    std::vector<ProblemEntry> r;
    for (auto add : {
             add_logreg_problems,
             add_mlp_problems,
             add_2c2d_problems,
             add_vae_problems,
             add_quadratic_deep_problems,
             add_two_d_problems,
             add_3c3d_problems,
             add_allcnnc_problems,
             add_vgg_problems,
             add_wrn_problems,
             add_char_rnn_problems,
             add_inception_v3_problems,
         })
      add(r);
    return r;
  }();
  return registry;
}

const ProblemEntry& find_problem(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& e : problem_registry()) {
    if (e.info.name == name) return e;
    names.push_back(e.info.name);
  }
  const auto near = closest_name(name, names);
  throw Error(cat("unknown test problem '", name, "'",
                  near ? " (did you mean '" + *near + "'?)" : std::string(),
                  "; run 'deepobs list' for all problems"));
}

std::unique_ptr<Problem> build_problem(std::string_view name, const ProblemConfig& config) {
  const ProblemEntry& e = find_problem(name);
  DEEPOBS_CHECK(config.batch_size >= 1, name, ": batch size must be >= 1, got ", config.batch_size);
  PhiloxGenerator init(config.seed, RngPurpose::Init);
  auto model = e.make_model(init);
  model->to(config.device);
  auto data = e.make_data(config);
  const double wd = config.weight_decay.value_or(e.info.default_weight_decay);
  return std::make_unique<Problem>(e.info, std::move(model), std::move(data), wd);
}

}  // namespace deepobs::problems
