#include "runner/list_command.h"

#include <algorithm>
#include <cxxopts.hpp>
#include <iomanip>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>

#include "core/random/philox_generator.h"
#include "datasets/data_dir.h"
#include "optimizers/registry.h"
#include "problems/registry.h"

namespace deepobs::runner {
namespace {

std::string with_commas(std::int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string default_text(const HyperparameterSpec& spec) {
  if (!spec.default_value) return "required";
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) {
          return v ? "= true" : "= false";
        } else if constexpr (std::is_same_v<V, std::string>) {
          return "= " + v;
        } else {
          std::ostringstream o;
          o << "= " << v;
          return o.str();
        }
      },
      *spec.default_value);
}

// One optimizer: names, origin, and its hyperparameter spec (the table behind --hp, validation
// and the result folder names).
void print_optimizer(std::ostream& out, const OptimizerInfo& info) {
  out << "  " << info.name;
  if (!info.aliases.empty()) {
    out << " (";
    for (std::size_t i = 0; i < info.aliases.size(); ++i)
      out << (i ? ", " : "") << info.aliases[i];
    out << ")";
  }
  out << "  " << info.id << " " << info.version
      << (info.is_builtin() ? "" : "  from " + info.origin) << "\n";
  if (!info.description.empty()) out << "      " << info.description << "\n";
  if (info.hyperparameters.empty()) out << "      no hyperparameters besides --lr\n";
  for (const auto& spec : info.hyperparameters) {
    std::string type(hyperparameter_type_name(spec.type));
    if (spec.type != HyperparameterType::Bool) type += " " + range_string(spec);
    if (spec.log_scale) type += " log";
    out << "      " << std::left << std::setw(14) << spec.name << std::setw(24) << type + " "
        << std::setw(12) << default_text(spec) << spec.doc << "\n";
  }
}

std::string data_status(const std::string& dataset, const datasets::DataRoot& root) {
  // A data set whose file layout datasets/data_dir does not describe (ImageNet until its loader
  // registers one) cannot be checked: say so instead of failing the whole listing.
  const datasets::DataSetFiles* files = nullptr;
  try {
    files = datasets::data_set_files(dataset);
  } catch (const Error&) {
    return "not checked";
  }
  if (!files) return "generated";
  return datasets::data_set_present(dataset, root) ? "present" : "missing";
}

}  // namespace

int list_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cxxopts::Options cli("deepobs list", "List the DeepOBS test problems and the optimizers.");
  cli.add_options()("data_dir",
                    "data directory to check (default: $DEEPOBS_DATA_DIR, else "
                    "./data_deepobs)",
                    cxxopts::value<std::string>()->default_value(""))(
      "optimizer", "show only this optimizer: a built-in name or the path of a plugin .so",
      cxxopts::value<std::string>())("h,help", "print this help");
  cxxopts::ParseResult args;
  try {
    args = cli.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    err << "deepobs list: " << e.what() << "; see 'deepobs list --help'\n";
    return 2;
  }
  if (args.count("help")) {
    out << cli.help() << "\n";
    return 0;
  }
  if (args.count("optimizer")) {
    try {
      print_optimizer(out, find_optimizer(args["optimizer"].as<std::string>()));
    } catch (const std::exception& e) {
      err << "deepobs list: " << e.what() << "\n";
      return 1;
    }
    return 0;
  }
  const auto root = datasets::resolve_data_root(args["data_dir"].as<std::string>());
  // The problem column fits the longest name (imagenet_inception_v3) and two spaces.
  std::size_t name_width = 18;
  for (const auto& e : problems::problem_registry())
    name_width = std::max(name_width, e.info.name.size() + 2);
  const int w = static_cast<int>(name_width);
  out << std::left << std::setw(w) << "problem" << std::setw(11) << "data" << std::right
      << std::setw(7) << "batch" << std::setw(8) << "epochs" << std::setw(9) << "wd"
      << std::setw(13) << "parameters"
      << "  " << std::left << std::setw(17) << "metric"
      << "data files\n";
  for (const auto& e : problems::problem_registry()) {
    std::int64_t parameters = 0;
    if (e.info.parameter_count) {
      parameters = *e.info.parameter_count;
    } else {
      PhiloxGenerator gen(42, RngPurpose::Init);
      parameters = e.make_model(gen)->parameter_count();
    }
    std::ostringstream wd;
    wd << e.info.default_weight_decay;
    out << std::left << std::setw(w) << e.info.name << std::setw(11) << e.info.dataset << std::right
        << std::setw(7) << e.info.default_batch_size << std::setw(8) << e.info.default_num_epochs
        << std::setw(9) << wd.str() << std::setw(13) << with_commas(parameters) << "  " << std::left
        << std::setw(17) << e.info.metric << data_status(e.info.dataset, root) << "\n";
  }
  out << "\ndata root: " << root.describe()
      << "; get missing data with 'deepobs prepare-data <data set>'\n";
  out << "\noptimizers (--optimizer NAME or the path of a plugin .so; hyperparameters as --NAME "
         "value "
         "or --hp NAME=value; 'deepobs list --optimizer PATH' describes a plugin):\n";
  for (const OptimizerInfo* info : builtin_optimizers())
    print_optimizer(out, *info);
  return 0;
}

}  // namespace deepobs::runner
