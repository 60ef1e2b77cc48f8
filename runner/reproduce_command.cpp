#include "runner/reproduce_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <sstream>

#include "core/closest_name.h"
#include "core/error.h"
#include "datasets/dataset.h"
#include "problems/registry.h"
#include "runner/analyzer_command.h"
#include "runner/atomic_file.h"
#include "runner/fidelity_stats.h"
#include "runner/parse_integer.h"
#include "runner/python_json.h"
#include "runner/run_command.h"
#include "runner/run_naming.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr const char* kWhat = "deepobs reproduce";
// The DeepOBS protocol: the tuned setting re-run with seeds 42–51.
constexpr int kFirstSeed = 42;
constexpr int kDefaultNumSeeds = 10;

// A usage or input error (exit 2), as opposed to a failure to compute the comparison (exit 3).
struct UsageError : Error {
  using Error::Error;
};
struct FailedError : Error {
  using Error::Error;
};

// The curves compared, in table order, and how the table names them.
const std::vector<std::pair<std::string, std::string>>& curve_names() {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"train_losses", "train_eval loss"},
      {"test_losses", "test loss"},
      {"train_accuracies", "train_eval acc"},
      {"test_accuracies", "test acc"}};
  return names;
}

const std::string& curve_title(const std::string& key) {
  for (const auto& [k, title] : curve_names())
    if (k == key) return title;
  return key;
}

// The optimizers the baselines cover, by our names and DeepOBS's class names.
const std::vector<std::pair<std::string, std::string>>& baseline_optimizers() {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"sgd", "GradientDescentOptimizer"},
      {"momentum", "MomentumOptimizer"},
      {"adam", "AdamOptimizer"}};
  return names;
}

struct Options {
  std::string problem;
  std::vector<std::string> optimizers;  // DeepOBS class names
  std::vector<int> seeds;
  std::optional<int> num_epochs;
  std::string baselines;  // as given; resolved by resolve_baselines
  std::string output_dir = "reproduce";
  std::string device = "auto";
  std::string data_dir;
  datasets::DataOrder data_order = datasets::DataOrder::Tf1;
  bool any_data_sizes = false;  // --data_sizes any (passed to every run)
  double alpha = 0.05;
  bool reuse = false;
  bool figure = true;
  bool quiet = false;
  std::string command_line;
};

std::string seeds_label(const std::vector<int>& seeds) {
  bool consecutive = seeds.size() > 1;
  for (std::size_t i = 1; i < seeds.size(); ++i)
    consecutive = consecutive && seeds[i] == seeds[i - 1] + 1;
  if (consecutive) return cat(seeds.front(), "-", seeds.back());
  std::string s;
  for (int x : seeds)
    s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

int parse_int(const std::string& flag, const std::string& text) {
  const std::optional<long long> v = parse_integer(text);
  if (v && *v >= -2147483647LL && *v <= 2147483647LL) return static_cast<int>(*v);
  throw UsageError(cat("--", flag, ": '", text, "' is not an integer"));
}

std::optional<Options> parse_options(int argc, const char* const* argv, std::ostream& out) {
  cxxopts::Options cli(kWhat,
                       "Run the DeepOBS baselines' tuned setting of a test problem with this "
                       "engine and test, epoch by epoch, whether the curves match the baselines' "
                       "(Welch's t-test per checked epoch, Holm-Bonferroni over all checks). Exit "
                       "0: consistent; 1: significant deviation; 2: usage or input error; 3: "
                       "could not run or compare.");
  cli.positional_help("<test_problem>").show_positional_help();
  const auto text = [] { return cxxopts::value<std::string>(); };
  cli.add_options()("test_problem", "a problem with DeepOBS baselines, e.g. quadratic_deep",
                    text())("o,optimizer",
                            "sgd, momentum, adam, all, or a list such as momentum,adam",
                            text()->default_value("all"))(
      "seeds", "seeds to run, e.g. 42-51 or 42,43,44 (default 42-51, the baselines' protocol)",
      text())("num_seeds", "run seeds 42 … 42+N-1 instead", text())(
      "N,num_epochs",
      "epochs to run (default: the baselines'); fewer compares the epochs both have",
      text())("baselines",
              "DeepOBS baselines folder (default: $DEEPOBS_BASELINES, else ./baselines_deepobs, "
              "where 'deepobs prepare-baselines' puts them)",
              text())("output_dir", "where results, summary and figure go",
                      text()->default_value("reproduce"))(
      "device", "auto, cpu, cuda or cuda:N (passed to every run)", text()->default_value("auto"))(
      "data_dir", "data directory (passed to every run)", text())(
      "data_order", "tf1 (the baselines' order, default) or reshuffle (passed to every run)",
      text()->default_value("tf1"))(
      "data_sizes",
      "official or any: CIFAR/SVHN record files of any size, e.g. fixtures (passed to every run; "
      "such runs are not on DeepOBS's data)",
      text()->default_value("official"))("alpha", "family-wise significance level",
                                         text()->default_value("0.05"))(
      "reuse",
      "use a result file already in <output_dir>/results for a seed (same setting and data order) "
      "instead of training it again")("no_figure", "skip the figure")(
      "q,quiet", "no progress lines")("h,help", "print this help");
  cli.parse_positional({"test_problem"});
  cxxopts::ParseResult args;
  try {
    args = cli.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(cat(e.what(), "; see 'deepobs reproduce --help'"));
  }
  if (args.count("help")) {
    out << cli.help() << "\n";
    return std::nullopt;
  }
  if (!args.unmatched().empty())
    throw UsageError(
        cat("unexpected argument '", args.unmatched().front(), "' (one test problem per call)"));
  Options o;
  for (int i = 0; i < argc; ++i)
    o.command_line += (i ? " " : "deepobs ") + std::string(argv[i]);
  if (!args.count("test_problem"))
    throw UsageError(
        "missing the test problem, e.g. 'deepobs reproduce quadratic_deep'; the DeepOBS baselines "
        "cover quadratic_deep, mnist_vae, fmnist_2c2d, cifar10_3c3d, fmnist_vae, cifar100_allcnnc, "
        "svhn_wrn164 and tolstoi_char_rnn");
  o.problem = args["test_problem"].as<std::string>();

  // One name, "all", or a comma-separated list; kept in the baselines' order (SGD, Momentum, Adam).
  std::vector<std::string> wanted;
  std::stringstream list(args["optimizer"].as<std::string>());
  for (std::string opt; std::getline(list, opt, ',');) {
    std::vector<std::string> known = {"all"};
    bool found = false;
    for (const auto& [alias, name] : baseline_optimizers()) {
      known.push_back(alias);
      if (opt == "all" || opt == alias || opt == name) {
        wanted.push_back(name);
        found = true;
      }
    }
    if (!found) {
      const auto near = closest_name(opt, known);
      throw UsageError(cat("--optimizer: '", opt, "' has no baselines",
                           near ? " (did you mean '" + *near + "'?)" : std::string(),
                           "; choose sgd, momentum, adam, all or a list such as momentum,adam"));
    }
  }
  for (const auto& [alias, name] : baseline_optimizers())
    if (std::find(wanted.begin(), wanted.end(), name) != wanted.end()) o.optimizers.push_back(name);

  if (args.count("seeds") && args.count("num_seeds"))
    throw UsageError("give either --seeds or --num_seeds, not both");
  if (args.count("seeds")) {
    try {
      o.seeds = parse_seeds(args["seeds"].as<std::string>());
    } catch (const Error& e) {
      throw UsageError(cat("--seeds: ", e.what()));
    }
  } else {
    const int n = args.count("num_seeds")
                      ? parse_int("num_seeds", args["num_seeds"].as<std::string>())
                      : kDefaultNumSeeds;
    if (n < 2)
      throw UsageError(cat("--num_seeds must be at least 2 (a t-test needs a spread), got ", n));
    for (int i = 0; i < n; ++i)
      o.seeds.push_back(kFirstSeed + i);
  }
  if (o.seeds.size() < 2)
    throw UsageError("at least 2 seeds are needed (a t-test needs a spread); e.g. --seeds 42-51");

  if (args.count("num_epochs")) {
    o.num_epochs = parse_int("num_epochs", args["num_epochs"].as<std::string>());
    if (*o.num_epochs < 1)
      throw UsageError(cat("--num_epochs must be at least 1, got ", *o.num_epochs));
  }
  if (args.count("baselines")) o.baselines = args["baselines"].as<std::string>();
  o.output_dir = args["output_dir"].as<std::string>();
  if (o.output_dir.empty()) throw UsageError("--output_dir must not be empty");
  o.device = args["device"].as<std::string>();
  if (args.count("data_dir")) o.data_dir = args["data_dir"].as<std::string>();
  try {
    o.data_order = datasets::parse_data_order(args["data_order"].as<std::string>());
  } catch (const Error& e) {
    throw UsageError(cat("--data_order: ", e.what()));
  }
  const std::string sizes = args["data_sizes"].as<std::string>();
  if (sizes != "official" && sizes != "any")
    throw UsageError(cat("--data_sizes: unknown choice '", sizes, "' (official or any)"));
  o.any_data_sizes = sizes == "any";
  const std::string alpha = args["alpha"].as<std::string>();
  try {
    std::size_t used = 0;
    o.alpha = std::stod(alpha, &used);
    if (used != alpha.size()) o.alpha = -1;
  } catch (const std::exception&) {
    o.alpha = -1;
  }
  if (!(o.alpha > 0 && o.alpha < 1))
    throw UsageError(cat("--alpha: '", alpha, "' is not a level in (0, 1)"));
  o.reuse = args.count("reuse") > 0;
  o.figure = args.count("no_figure") == 0;
  o.quiet = args.count("quiet") > 0;
  return o;
}

// --baselines, else $DEEPOBS_BASELINES, else ./baselines_deepobs (prepare-baselines' default).
fs::path resolve_baselines(const Options& o) {
  const char* env = std::getenv("DEEPOBS_BASELINES");
  std::string dir = o.baselines;
  std::string from = "--baselines";
  if (dir.empty() && env && *env) {
    dir = env;
    from = "$DEEPOBS_BASELINES";
  }
  if (dir.empty()) {
    if (fs::is_directory("baselines_deepobs")) return "baselines_deepobs";
    throw UsageError(
        "no baselines: pass --baselines DIR, set $DEEPOBS_BASELINES, or run 'deepobs "
        "prepare-baselines' (it downloads them into ./baselines_deepobs)");
  }
  if (!fs::is_directory(dir))
    throw UsageError(cat(from, " ", dir,
                         ": no such baselines folder (run 'deepobs prepare-baselines --dir ", dir,
                         "' to download them)"));
  return dir;
}

std::vector<std::string> subfolders(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && e.path().filename().string()[0] != '.')
      out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

double number_or_nan(const json& v) {
  return v.is_number() ? v.get<double>() : std::nan("");
}

std::vector<double> curve_of(const json& v) {
  std::vector<double> out;
  if (!v.is_array()) return out;
  for (const auto& x : v)
    out.push_back(number_or_nan(x));
  return out;
}

struct SeedCurves {
  int seed = 0;
  std::string path;
  std::map<std::string, std::vector<double>> curves;
};

struct BaselineSetting {
  std::string optimizer, setting, path, metric;
  int num_settings = 0;
  double learning_rate = 0;
  json hyperparameters, training_params;
  int batch_size = 0, num_epochs = 0;
  std::optional<double> weight_decay;
  std::vector<SeedCurves> runs;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last line the analyzer wrote to stderr, without its "deepobs reproduce: " prefix.
std::string analyzer_message(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  const auto nl = text.rfind('\n');
  if (nl != std::string::npos) text = text.substr(nl + 1);
  const std::string prefix = std::string(kWhat) + ": ";
  if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
  return text;
}

// The analyzer's choice (mode most) for every requested optimizer.
std::vector<BaselineSetting> select_baselines(const Options& o, const fs::path& baselines,
                                              std::ostream& err) {
  std::string optimizers;
  for (const auto& name : o.optimizers) {
    if (!fs::is_directory(baselines / o.problem / name))
      throw UsageError(
          cat("no ", name, " baselines for ", o.problem, " in ", (baselines / o.problem).string()));
    optimizers += (optimizers.empty() ? "" : ",") + name;
  }
  char tmpl[] = "/tmp/deepobs_reproduce_XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd < 0) throw FailedError("cannot create a temporary file in /tmp");
  ::close(fd);
  const fs::path tmp = tmpl;
  std::string message;
  const int rc =
      run_python_analyzer({"reproduce-select", baselines.string(), o.problem, "--optimizers",
                           optimizers, "--mode", "most", "--out", tmp.string()},
                          kWhat, err, &message);
  std::string text = read_text(tmp);
  std::error_code ec;
  fs::remove(tmp, ec);
  message = analyzer_message(message);
  // Exit status 1: the analyzer refused the baseline files (AnalyzerError, naming the file).
  if (rc == 1)
    throw UsageError(message.empty()
                         ? cat("the baselines in ", baselines.string(), " cannot be read")
                         : message);
  if (rc != 0)
    throw FailedError(cat("the analyzer could not select the baseline setting (exit status ", rc,
                          message.empty() ? std::string(")") : "): " + message));
  json sel;
  try {
    sel = json::parse(text);
  } catch (const std::exception& e) {
    throw FailedError(cat("the analyzer's selection is not valid JSON: ", e.what()));
  }
  std::vector<BaselineSetting> out;
  for (const auto& name : o.optimizers) {
    const json& j = sel.at("optimizers").at(name);
    BaselineSetting b;
    b.optimizer = name;
    b.setting = j.at("setting").get<std::string>();
    b.path = j.at("path").get<std::string>();
    b.metric = j.at("selection").at("metric").get<std::string>();
    b.num_settings = j.at("num_settings").get<int>();
    b.learning_rate = j.at("learning_rate").get<double>();
    b.hyperparameters = j.at("hyperparameters");
    b.training_params = j.at("training_params");
    b.batch_size = j.at("batch_size").get<int>();
    b.num_epochs = j.at("num_epochs").get<int>();
    if (j.at("weight_decay").is_number()) b.weight_decay = j.at("weight_decay").get<double>();
    for (const auto& r : j.at("runs")) {
      SeedCurves s;
      s.seed = r.at("seed").is_number_integer() ? r.at("seed").get<int>() : -1;
      s.path = r.at("path").get<std::string>();
      for (const auto& [key, v] : r.at("curves").items())
        s.curves[key] = curve_of(v);
      b.runs.push_back(std::move(s));
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::string number_text(double v) {
  std::ostringstream s;
  s << std::setprecision(17) << v;
  return s.str();
}

std::string hyper_text(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return number_text(v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  throw UsageError(cat("hyperparameter value ", v.dump(), " is neither a number, a bool nor text"));
}

// The setting folder our runs of `b` are written to (DeepOBS's naming, byte for byte).
std::string our_setting_folder(const BaselineSetting& b, int num_epochs) {
  RunSetting s;
  s.num_epochs = num_epochs;
  s.batch_size = b.batch_size;
  s.weight_decay = b.weight_decay;
  s.learning_rate = b.learning_rate;
  for (const auto& [name, v] : b.hyperparameters.items()) {
    if (v.is_boolean())
      s.hyperparams.emplace_back(name, v.get<bool>());
    else if (v.is_number_integer())
      s.hyperparams.emplace_back(name, v.get<std::int64_t>());
    else if (v.is_number())
      s.hyperparams.emplace_back(name, v.get<double>());
    else
      s.hyperparams.emplace_back(name, v.get<std::string>());
  }
  return setting_folder_name(s);
}

std::vector<std::string> run_arguments(const Options& o, const BaselineSetting& b, int seed,
                                       int num_epochs, const fs::path& results) {
  std::vector<std::string> a = {
      "run",           o.problem,
      "--optimizer",   b.optimizer,
      "--lr",          number_text(b.learning_rate),
      "--batch_size",  std::to_string(b.batch_size),
      "--num_epochs",  std::to_string(num_epochs),
      "--random_seed", std::to_string(seed),
      "--output_dir",  results.string(),
      "--device",      o.device,
      "--data_order",  std::string(datasets::data_order_name(o.data_order)),
      "--quiet"};
  if (o.any_data_sizes) a.insert(a.end(), {"--data_sizes", "any"});
  if (!o.data_dir.empty()) a.insert(a.end(), {"--data_dir", o.data_dir});
  if (b.weight_decay) a.insert(a.end(), {"--weight_decay", number_text(*b.weight_decay)});
  for (const char* key : {"lr_sched_epochs", "lr_sched_factors"}) {
    const json& v = b.training_params.contains(key) ? b.training_params.at(key) : json();
    if (!v.is_array() || v.empty()) continue;
    a.push_back(std::string("--") + key);
    for (const auto& x : v)
      a.push_back(x.is_number_integer() ? std::to_string(x.get<std::int64_t>())
                                        : number_text(x.get<double>()));
  }
  for (const auto& [name, v] : b.hyperparameters.items())
    a.insert(a.end(), {"--hp", name + "=" + hyper_text(v)});
  return a;
}

// Our curves and facts from one result file.
SeedCurves load_result(const fs::path& file, json* facts = nullptr) {
  json j;
  try {
    j = parse_python_json(read_text(file));
  } catch (const std::exception& e) {
    throw FailedError(cat(file.string(), ": not a readable result file (", e.what(), ")"));
  }
  SeedCurves s;
  s.path = file.string();
  s.seed = j.value("random_seed", -1);
  for (const auto& [key, title] : curve_names())
    if (j.contains(key)) s.curves[key] = curve_of(j.at(key));
  if (facts) *facts = j;
  return s;
}

std::string data_order_of(const json& j) {
  const std::string v = j.value("data_variant", std::string());
  const auto at = v.find("data_order=");
  return at == std::string::npos ? "" : v.substr(at + 11, v.find(':', at) - at - 11);
}

// The newest result file of `seed` in `folder` with our data order, or empty.
fs::path reusable_result(const fs::path& folder, int seed, const Options& o) {
  std::vector<fs::path> found;
  std::error_code ec;
  const std::string prefix = cat("random_seed__", seed, "__");
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind(prefix, 0) == 0 && e.path().extension() == ".json")
      found.push_back(e.path());
  }
  std::sort(found.rbegin(), found.rend());  // newest time stamp first
  for (const auto& f : found) {
    try {
      json facts;
      load_result(f, &facts);
      const bool any_sizes =
          facts.value("data_variant", std::string()).find(":sizes=any") != std::string::npos;
      if (data_order_of(facts) == datasets::data_order_name(o.data_order) &&
          any_sizes == o.any_data_sizes)
        return f;
    } catch (const Error&) {
    }
  }
  return {};
}

// One check: a curve at an epoch.
struct Check {
  std::string optimizer, curve;
  int epoch = 0;
  stats::WelchResult w;
  double p_holm = 1;
  bool significant = false;
};

struct OptimizerComparison {
  const BaselineSetting* baseline = nullptr;
  std::vector<SeedCurves> ours;
  std::vector<SeedCurves> theirs;  // the baselines' runs of the requested seeds
  std::vector<std::string> curves;
  int last_epoch = 0;               // compared epochs 0…last_epoch
  std::vector<std::size_t> checks;  // indices into the family
};

std::vector<double> values_at(const std::vector<SeedCurves>& runs, const std::string& curve,
                              int epoch) {
  std::vector<double> v;
  for (const auto& r : runs)
    v.push_back(r.curves.at(curve).at(static_cast<std::size_t>(epoch)));
  return v;
}

json clean(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

std::string fmt(double v, int precision) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << s << " s";
  return out.str();
}

std::string p_text(double p) {
  if (p >= 0.001 || p == 0) return fmt(p, 3);
  std::ostringstream s;
  s << std::scientific << std::setprecision(1) << p;
  return s.str();
}

std::string verdict_text(const Check& c) {
  using Kind = stats::WelchResult::Kind;
  if (c.w.kind == Kind::NonFinite) return "DEVIATION (non-finite values)";
  if (c.w.kind == Kind::ZeroVariance) return "DEVIATION (both constant, different)";
  if (c.significant) return "DEVIATION";
  if (c.w.kind == Kind::Equal) return "ok (equal)";
  return "ok";
}

std::string hyper_summary(const BaselineSetting& b) {
  std::string s = "lr " + fmt(b.learning_rate, 6);
  for (const auto& [name, v] : b.hyperparameters.items())
    s += ", " + name + " " + (v.is_number() ? fmt(v.get<double>(), 6) : hyper_text(v));
  return s;
}

void print_table(std::ostream& out, const OptimizerComparison& c,
                 const std::vector<Check>& family) {
  const BaselineSetting& b = *c.baseline;
  out << "\n"
      << b.optimizer << "  (" << hyper_summary(b) << "; baseline setting chosen from "
      << b.num_settings << " by mode most on " << b.metric << ")\n";
  out << std::left << std::setw(16) << "curve" << std::right << std::setw(6) << "epoch"
      << std::setw(24) << "ours mean ± sd" << std::setw(24) << "baselines mean ± sd" << std::setw(9)
      << "t" << std::setw(7) << "dof" << std::setw(10) << "p" << std::setw(10) << "p (Holm)"
      << "  verdict\n";
  for (std::size_t i : c.checks) {
    const Check& k = family[i];
    const std::string ours = fmt(k.w.mean_a, 6) + " ± " + fmt(k.w.std_a, 2);
    const std::string theirs = fmt(k.w.mean_b, 6) + " ± " + fmt(k.w.std_b, 2);
    out << std::left << std::setw(16) << curve_title(k.curve) << std::right << std::setw(6)
        << k.epoch << std::setw(24 + 1) << ours << std::setw(24 + 1) << theirs << std::setw(9)
        << (k.w.kind == stats::WelchResult::Kind::Test ? fmt(k.w.t, 3) : "-") << std::setw(7)
        << (std::isfinite(k.w.dof) ? fmt(k.w.dof, 3) : "-") << std::setw(10) << p_text(k.w.p)
        << std::setw(10) << p_text(k.p_holm) << "  " << verdict_text(k) << "\n";
  }
}

json curve_summary(const std::vector<SeedCurves>& runs, const std::string& key, int last_epoch) {
  json mean = json::array(), sd = json::array();
  for (int e = 0; e <= last_epoch; ++e) {
    const auto v = values_at(runs, key, e);
    mean.push_back(clean(stats::mean(v)));
    sd.push_back(clean(stats::sample_std(v)));
  }
  return {{"mean", mean}, {"std", sd}};
}

}  // namespace

std::vector<int> parse_seeds(const std::string& text) {
  std::vector<int> seeds;
  std::stringstream list(text);
  const auto number = [&](const std::string& t) {
    DEEPOBS_CHECK(
        !t.empty() && t.find_first_not_of("0123456789") == std::string::npos && t.size() <= 9, "'",
        text, "' is not a list of seeds such as 42-51 or 42,43,44");
    return std::stoi(t);
  };
  for (std::string part; std::getline(list, part, ',');) {
    const auto dash = part.find('-');
    if (dash == std::string::npos) {
      seeds.push_back(number(part));
      continue;
    }
    const int lo = number(part.substr(0, dash)), hi = number(part.substr(dash + 1));
    DEEPOBS_CHECK(lo <= hi, "'", part, "' is an empty range");
    DEEPOBS_CHECK(hi - lo < 100000, "'", part, "' is too many seeds");
    for (int s = lo; s <= hi; ++s)
      seeds.push_back(s);
  }
  DEEPOBS_CHECK(!seeds.empty(), "'", text, "' lists no seeds");
  std::vector<int> sorted = seeds;
  std::sort(sorted.begin(), sorted.end());
  DEEPOBS_CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(), "'", text,
                "' lists a seed twice");
  return seeds;
}

std::vector<int> checked_epochs(int last_epoch) {
  std::vector<int> out;
  if (last_epoch <= 10) {
    for (int e = 0; e <= last_epoch; ++e)
      out.push_back(e);
    return out;
  }
  out.push_back(0);
  for (int k = 1; k <= 10; ++k) {
    const int e = static_cast<int>(std::lround(k * static_cast<double>(last_epoch) / 10.0));
    if (e != out.back()) out.push_back(e);
  }
  return out;
}

namespace {

int execute(const Options& o, std::ostream& out, std::ostream& err) {
  // Usage and input errors first, before anything trains.
  try {
    problems::find_problem(o.problem);
  } catch (const Error& e) {
    // The eight problems DeepOBS published baselines for (SPEC §8).
    static const char* const kBaselineProblems[] = {
        "quadratic_deep", "mnist_vae",        "fmnist_2c2d", "cifar10_3c3d",
        "fmnist_vae",     "cifar100_allcnnc", "svhn_wrn164", "tolstoi_char_rnn"};
    for (const char* p : kBaselineProblems)
      if (o.problem == p)
        throw UsageError(cat(o.problem,
                             " has DeepOBS baselines, but deepobs-cpp does not implement it yet "
                             "(see 'deepobs list')"));
    throw UsageError(e.what());
  }
  const fs::path baselines = resolve_baselines(o);
  if (!fs::is_directory(baselines / o.problem)) {
    std::string have;
    for (const auto& p : subfolders(baselines))
      have += (have.empty() ? "" : ", ") + p;
    throw UsageError(cat("no DeepOBS baselines for ", o.problem, " in ", baselines.string(),
                         " (they cover ", have.empty() ? "nothing" : have,
                         "); 'deepobs reproduce' needs a problem with baselines"));
  }
  const std::vector<BaselineSetting> settings = select_baselines(o, baselines, err);

  const fs::path results = fs::path(o.output_dir) / "results";
  std::vector<OptimizerComparison> comps;
  for (const auto& b : settings) {
    OptimizerComparison c;
    c.baseline = &b;
    std::vector<int> have;
    for (const auto& r : b.runs)
      have.push_back(r.seed);
    for (int s : o.seeds) {
      const auto it = std::find_if(b.runs.begin(), b.runs.end(),
                                   [&](const SeedCurves& r) { return r.seed == s; });
      if (it == b.runs.end())
        throw UsageError(cat("the baselines have fewer seeds than requested: ", b.path,
                             " (the setting the analyzer picks) has seeds ", seeds_label(have),
                             ", not ", s, "; choose seeds from those with --seeds"));
      c.theirs.push_back(*it);
    }
    for (const auto& [key, title] : curve_names())
      if (std::all_of(c.theirs.begin(), c.theirs.end(),
                      [&](const SeedCurves& r) { return r.curves.count(key) > 0; }))
        c.curves.push_back(key);
    for (const auto& r : c.theirs)
      for (const auto& key : c.curves)
        if (r.curves.at(key).size() != static_cast<std::size_t>(b.num_epochs) + 1)
          throw UsageError(cat(r.path, ": ", key, " has ", r.curves.at(key).size(),
                               " entries, but num_epochs ", b.num_epochs, " needs ",
                               b.num_epochs + 1, " (curves of unequal length)"));
    comps.push_back(std::move(c));
  }

  // Training (or reusing) every seed.
  const int total = static_cast<int>(comps.size() * o.seeds.size());
  int done = 0;
  json first_facts;
  for (auto& c : comps) {
    const BaselineSetting& b = *c.baseline;
    const int epochs = o.num_epochs.value_or(b.num_epochs);
    const fs::path folder = results / o.problem / b.optimizer / our_setting_folder(b, epochs);
    for (int seed : o.seeds) {
      ++done;
      const auto t0 = std::chrono::steady_clock::now();
      fs::path file = o.reuse ? reusable_result(folder, seed, o) : fs::path();
      const bool reused = !file.empty();
      if (!reused) {
        const auto args = run_arguments(o, b, seed, epochs, results);
        std::vector<const char*> argv;
        for (const auto& a : args)
          argv.push_back(a.c_str());
        std::ostringstream run_out, run_err;
        const int code = run_command(static_cast<int>(argv.size()), argv.data(), run_out, run_err);
        if (code == 130) {
          err << kWhat << ": interrupted during " << b.optimizer << " seed " << seed << "\n";
          return 130;
        }
        std::string message = run_err.str();
        if (!message.empty() && message.back() == '\n') message.pop_back();
        if (code != 0)
          throw FailedError(cat("the run of ", b.optimizer, " with seed ", seed,
                                " failed (exit status ", code, "): ", message));
        file = run_out.str().substr(0, run_out.str().find('\n'));
      }
      json facts;
      SeedCurves s = load_result(file, &facts);
      if (first_facts.is_null()) first_facts = facts;
      for (const auto& key : c.curves) {
        if (!s.curves.count(key) || s.curves.at(key).size() != static_cast<std::size_t>(epochs) + 1)
          throw FailedError(cat(file.string(), ": ", key,
                                " does not have num_epochs + 1 = ", epochs + 1, " entries"));
      }
      if (facts.value("diverged", false))
        err << kWhat << ": warning: " << b.optimizer << " seed " << seed
            << " diverged (its curves repeat the epoch-0 values)\n";
      if (!o.quiet) {
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const std::string& key = c.curves.back();
        err << "[" << done << "/" << total << "] " << b.optimizer << " seed " << seed << ": "
            << (reused ? "reused " + file.filename().string() : seconds_text(secs)) << ", final "
            << curve_title(key) << " " << fmt(s.curves.at(key).back(), 6) << "\n";
      }
      c.ours.push_back(std::move(s));
    }
    c.last_epoch = std::min(epochs, b.num_epochs);
  }

  // The checks, one family for the whole invocation.
  std::vector<Check> family;
  for (auto& c : comps) {
    for (const auto& key : c.curves) {
      for (int e : checked_epochs(c.last_epoch)) {
        Check k;
        k.optimizer = c.baseline->optimizer;
        k.curve = key;
        k.epoch = e;
        k.w = stats::welch_test(values_at(c.ours, key, e), values_at(c.theirs, key, e));
        c.checks.push_back(family.size());
        family.push_back(k);
      }
    }
  }
  std::vector<double> p;
  for (const auto& k : family)
    p.push_back(k.w.p);
  const std::vector<double> adjusted = stats::holm_adjust(p);
  std::size_t significant = 0;
  const Check* worst = nullptr;
  for (std::size_t i = 0; i < family.size(); ++i) {
    family[i].p_holm = adjusted[i];
    family[i].significant = adjusted[i] <= o.alpha;
    if (family[i].significant) {
      ++significant;
      if (!worst || family[i].p_holm < worst->p_holm ||
          (family[i].p_holm == worst->p_holm && std::fabs(family[i].w.t) > std::fabs(worst->w.t)))
        worst = &family[i];
    }
  }

  // The table.
  const std::string order(datasets::data_order_name(o.data_order));
  const std::string device = first_facts.value("device", o.device);
  out << o.problem << ": deepobs-cpp vs the DeepOBS 1.1 baselines in " << baselines.string() << "\n"
      << "ours: seeds " << seeds_label(o.seeds) << ", data_order " << order << ", device " << device
      << ", results in " << results.string() << "\n";
  if (o.any_data_sizes)
    out << "note: --data_sizes any: the runs may not be on DeepOBS's data (see data_variant)\n";
  out << "test: Welch's two-sample t-test (unequal variances, two-sided) of our per-seed values "
         "against the baselines' for the same seeds, at epochs";
  for (int e : checked_epochs(comps.front().last_epoch))
    out << " " << e;
  out << "; Holm-Bonferroni over all " << family.size() << " checks; alpha " << o.alpha
      << "; sd = sample standard deviation (n-1); means equal within " << stats::kEqualRtol
      << " (relative) count as equal\n";
  for (const auto& c : comps) {
    if (o.num_epochs && *o.num_epochs != c.baseline->num_epochs)
      out << "note: " << c.baseline->optimizer << " ran " << *o.num_epochs
          << " epochs, the baselines " << c.baseline->num_epochs << ": epochs 0-" << c.last_epoch
          << " are compared\n";
    print_table(out, c, family);
    std::size_t bad = 0;
    for (std::size_t i : c.checks)
      bad += family[i].significant ? 1 : 0;
    out << c.baseline->optimizer << ": "
        << (bad == 0 ? "consistent" : cat("DEVIATES in ", bad, " of ", c.checks.size(), " checks"))
        << "\n";
  }

  // The summary JSON.
  fs::create_directories(o.output_dir);
  json summary;
  summary["problem"] = o.problem;
  summary["command"] = o.command_line;
  summary["baselines"] = baselines.string();
  summary["seeds"] = o.seeds;
  summary["seeds_label"] = seeds_label(o.seeds);
  summary["data_order"] = order;
  summary["data_sizes"] = o.any_data_sizes ? "any" : "official";
  summary["device"] = device;
  summary["test"] =
      "Welch's two-sample t-test (unequal variances, two-sided), Student t via the regularized "
      "incomplete beta function, Welch-Satterthwaite degrees of freedom";
  summary["correction"] = "Holm-Bonferroni over all checks of this invocation";
  summary["alpha"] = o.alpha;
  summary["equal_rtol"] = stats::kEqualRtol;
  summary["checked_epochs_rule"] =
      "every epoch up to 10 epochs, else 0 and round(k * last / 10) for k = 1..10";
  summary["num_checks"] = family.size();
  summary["num_significant"] = significant;
  summary["verdict"] = significant == 0 ? "consistent" : "deviation";
  json opts = json::array();
  for (const auto& c : comps) {
    const BaselineSetting& b = *c.baseline;
    json j;
    j["optimizer"] = b.optimizer;
    j["baseline_setting"] = b.setting;
    j["baseline_path"] = b.path;
    j["selection"] = {{"mode", "most"}, {"metric", b.metric}, {"num_settings", b.num_settings}};
    j["learning_rate"] = b.learning_rate;
    j["hyperparameters"] = b.hyperparameters;
    j["batch_size"] = b.batch_size;
    j["num_epochs"] = o.num_epochs.value_or(b.num_epochs);
    j["baseline_num_epochs"] = b.num_epochs;
    j["compared_epochs"] = c.last_epoch + 1;
    j["checked_epochs"] = checked_epochs(c.last_epoch);
    json files = json::array(), base_files = json::array();
    for (const auto& r : c.ours)
      files.push_back(r.path);
    for (const auto& r : c.theirs)
      base_files.push_back(r.path);
    j["result_files"] = files;
    j["baseline_files"] = base_files;
    json curves = json::object();
    for (const auto& key : c.curves)
      curves[key] = {{"ours", curve_summary(c.ours, key, c.last_epoch)},
                     {"baselines", curve_summary(c.theirs, key, c.last_epoch)}};
    j["curves"] = curves;
    json checks = json::array();
    std::size_t bad = 0;
    for (std::size_t i : c.checks) {
      const Check& k = family[i];
      bad += k.significant ? 1 : 0;
      checks.push_back({{"curve", k.curve},
                        {"epoch", k.epoch},
                        {"ours_mean", clean(k.w.mean_a)},
                        {"ours_std", clean(k.w.std_a)},
                        {"baselines_mean", clean(k.w.mean_b)},
                        {"baselines_std", clean(k.w.std_b)},
                        {"t", clean(k.w.t)},
                        {"dof", clean(k.w.dof)},
                        {"p", clean(k.w.p)},
                        {"p_holm", clean(k.p_holm)},
                        {"significant", k.significant},
                        {"verdict", verdict_text(k)}});
    }
    j["checks"] = checks;
    j["verdict"] = bad == 0 ? "consistent" : "deviation";
    opts.push_back(j);
  }
  summary["optimizers"] = opts;
  if (first_facts.contains("fingerprint")) summary["fingerprint"] = first_facts.at("fingerprint");
  const fs::path summary_path = fs::path(o.output_dir) / ("reproduce_" + o.problem + ".json");
  write_file_atomically(summary_path, dump_python_json(summary, 1) + "\n");
  out << "\nsummary: " << summary_path.string() << "\n";

  if (o.figure) {
    const fs::path png = fs::path(o.output_dir) / ("reproduce_" + o.problem + ".png");
    std::ostringstream fig_err;
    std::string message;
    const int rc = run_python_analyzer({"reproduce-figure", summary_path.string(), png.string()},
                                       kWhat, fig_err, &message);
    if (rc == 0) {
      out << "figure: " << png.string() << "\n";
    } else {
      std::string why = fig_err.str() + analyzer_message(message);
      while (!why.empty() && why.back() == '\n')
        why.pop_back();
      out << "figure: not drawn (" << (why.empty() ? cat("exit status ", rc) : why)
          << "); the table above is complete\n";
    }
  }

  if (significant == 0) {
    out << "verdict: consistent - no significant deviation in " << family.size()
        << " checks (Welch, Holm-Bonferroni, alpha " << o.alpha << ")\n";
    return kReproduceConsistent;
  }
  out << "verdict: DEVIATION - " << significant << " of " << family.size()
      << " checks significant\n";
  err << kWhat << ": significant deviation: " << worst->optimizer << " "
      << curve_title(worst->curve) << " at epoch " << worst->epoch << ": ours "
      << fmt(worst->w.mean_a, 6) << " ± " << fmt(worst->w.std_a, 2) << " vs baselines "
      << fmt(worst->w.mean_b, 6) << " ± " << fmt(worst->w.std_b, 2) << " (Holm-adjusted p "
      << p_text(worst->p_holm) << "; " << significant << " of " << family.size()
      << " checks significant)\n";
  return kReproduceDeviation;
}

}  // namespace

int reproduce_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    const std::optional<Options> o = parse_options(argc, argv, out);
    if (!o) return 0;
    return execute(*o, out, err);
  } catch (const UsageError& e) {
    err << kWhat << ": " << e.what() << "\n";
    return kReproduceUsage;
  } catch (const std::exception& e) {
    err << kWhat << ": " << e.what() << "\n";
    return kReproduceFailed;
  }
}

}  // namespace deepobs::runner
