#include "optimizers/registry.h"

#include <string>

#include "core/error.h"
#include "optimizers/builtin.h"
#include "optimizers/plugin_loader.h"

namespace deepobs {
namespace {

struct Entry {
  const OptimizerInfo* info;
};

// The one list of built-in optimizers, in the order `deepobs list` shows them.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> list = {
      {&gradient_descent_info()},
      {&momentum_info()},
      {&adam_info()},
  };
  return list;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto fold = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

const Entry& find_entry(std::string_view name) {
  for (const auto& e : entries()) {
    if (equal_ignoring_case(name, e.info->name)) return e;
    for (const auto& alias : e.info->aliases)
      if (equal_ignoring_case(name, alias)) return e;
  }
  std::vector<std::string> candidates;
  std::string known;
  for (const auto& e : entries()) {
    candidates.push_back(e.info->name);
    if (!known.empty()) known += ", ";
    known += e.info->name;
    for (std::size_t i = 0; i < e.info->aliases.size(); ++i) {
      candidates.push_back(e.info->aliases[i]);
      known += cat(i == 0 ? " (" : ", ", e.info->aliases[i]);
    }
    if (!e.info->aliases.empty()) known += ")";
  }
  const auto suggestion = closest_name(name, candidates);
  throw Error(cat("unknown optimizer '", name, "'",
                  suggestion ? cat(" (did you mean '", *suggestion, "'?)") : std::string(),
                  "; known: ", known));
}

}  // namespace

const std::vector<const OptimizerInfo*>& builtin_optimizers() {
  static const std::vector<const OptimizerInfo*> infos = [] {
    std::vector<const OptimizerInfo*> out;
    for (const auto& e : entries())
      out.push_back(e.info);
    return out;
  }();
  return infos;
}

const OptimizerInfo& find_optimizer(std::string_view name_or_alias) {
  if (looks_like_plugin_path(name_or_alias)) return load_plugin(std::string(name_or_alias));
  return *find_entry(name_or_alias).info;
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view name_or_alias, FlatParameters& flat,
                                          const Hyperparameters& hyperparameters,
                                          const ProblemFacts& facts) {
  return std::make_unique<Optimizer>(find_optimizer(name_or_alias), flat, hyperparameters, facts);
}

}  // namespace deepobs
