#include "problems/registry.h"

#include "core/closest_name.h"
#include "datasets/data_dir.h"
#include "datasets/mnist.h"
#include "datasets/synthetic.h"
#include "problems/image_classifiers.h"
#include "problems/placement.h"
#include "problems/synthetic_problems.h"

namespace deepobs::problems {
namespace {

datasets::DataSetOptions data_options(const ProblemConfig& c) {
  return {c.batch_size, c.seed, c.validation, c.device, c.data_order};
}

std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> mnist_like(
    std::string name) {
  return [name](const ProblemConfig& c) -> std::unique_ptr<datasets::DataSet> {
    return datasets::make_mnist_data_set(name, datasets::resolve_data_root(c.data_dir),
                                         data_options(c));
  };
}

std::unique_ptr<datasets::DataSet> quadratic_data(const ProblemConfig& c) {
  return datasets::make_quadratic_data_set(data_options(c));
}

std::unique_ptr<datasets::DataSet> two_d_data(const ProblemConfig& c) {
  return datasets::make_two_d_data_set(data_options(c));
}

ProblemInfo classifier(std::string name, std::string dataset, std::string description,
                       int batch_size, int epochs) {
  ProblemInfo i;
  i.name = std::move(name);
  i.dataset = dataset;
  i.description = std::move(description);
  i.default_batch_size = batch_size;
  i.default_num_epochs = epochs;
  i.data_variant = std::move(dataset);
  return i;
}

ProblemInfo loss_only(std::string name, std::string dataset, std::string description,
                      int batch_size, int epochs) {
  ProblemInfo i =
      classifier(std::move(name), std::move(dataset), std::move(description), batch_size, epochs);
  i.has_accuracy = false;
  i.metric = "test_losses";
  return i;
}

std::vector<ProblemEntry> make_registry() {
  std::vector<ProblemEntry> r;
  for (const std::string data : {"mnist", "fmnist"}) {
    // fmnist_logreg has no DeepOBS default; 128/50 as for mnist_logreg (SPEC A.2 recipe).
    r.push_back(
        {classifier(data + "_logreg", data, "logistic regression (7,850 parameters)", 128, 50),
         [](PhiloxGenerator& g) { return make_logreg(g); }, mnist_like(data)});
    r.push_back({classifier(data + "_mlp", data, "4-layer MLP 1000-500-100 (1,336,610 parameters)",
                            128, 100),
                 [](PhiloxGenerator& g) { return make_mlp(g); }, mnist_like(data)});
    r.push_back({classifier(data + "_2c2d", data, "2 conv + 2 dense layers (3,274,634 parameters)",
                            128, 100),
                 [](PhiloxGenerator& g) { return make_2c2d(g); }, mnist_like(data)});
  }
  r.push_back({loss_only("quadratic_deep", "quadratic",
                         "100-D noisy quadratic with a deep-learning eigenspectrum", 128, 100),
               [](PhiloxGenerator&) { return make_quadratic_deep(); }, quadratic_data});
  // The 2-D problems have no DeepOBS default; 128/100 (SPEC A.2).
  for (const std::string f : {"rosenbrock", "beale", "branin"}) {
    r.push_back({loss_only("two_d_" + f, "two_d", "stochastic 2-D " + f + " function", 128, 100),
                 [f](PhiloxGenerator&) { return make_two_d(f); }, two_d_data});
  }
  return r;
}

}  // namespace

const std::vector<ProblemEntry>& problem_registry() {
  static const std::vector<ProblemEntry> registry = make_registry();
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
  move_model_to(*model, config.device);
  auto data = e.make_data(config);
  const double wd = config.weight_decay.value_or(e.info.default_weight_decay);
  return std::make_unique<Problem>(e.info, std::move(model), std::move(data), wd);
}

}  // namespace deepobs::problems
