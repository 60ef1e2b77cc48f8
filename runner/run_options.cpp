// Parsing of `deepobs run`'s command line (declared in runner/run_command.h).
#include <algorithm>
#include <cstdlib>
#include <cxxopts.hpp>
#include <string_view>

#include "core/closest_name.h"
#include "core/error.h"
#include "datasets/dataset.h"
#include "optimizers/plugin_loader.h"
#include "optimizers/registry.h"
#include "runner/parse_integer.h"
#include "runner/run_command.h"

namespace deepobs::runner {
namespace {

// The --optimizer value, found before the full parse because it decides which hyperparameter
// flags exist.
std::string find_optimizer_arg(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--optimizer" || a == "-o") {
      DEEPOBS_CHECK(i + 1 < argc, "--optimizer needs a value");
      return argv[i + 1];
    }
    if (a.rfind("--optimizer=", 0) == 0) return std::string(a.substr(12));
  }
  return "";
}

std::string known_optimizers() {
  std::string s;
  for (const auto* info : builtin_optimizers()) {
    if (!s.empty()) s += ", ";
    s += info->name;
    for (const auto& a : info->aliases)
      s += "|" + a;
  }
  return s;
}

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

template <class T>
T parse_number(const std::string& flag, const std::string& text) {
  if constexpr (std::is_same_v<T, double>) {
    try {
      std::size_t used = 0;
      const double v = std::stod(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
  } else if (const std::optional<long long> v = parse_integer(text)) {
    return static_cast<T>(*v);
  }
  throw Error(cat("--", flag, ": '", text, "' is not ",
                  std::is_same_v<T, double> ? "a number" : "an integer"));
}

}  // namespace

std::optional<RunOptions> parse_run_options(int argc, const char* const* argv, std::ostream& out) {
  RunOptions o;
  o.optimizer = find_optimizer_arg(argc, argv);
  const OptimizerInfo* info = o.optimizer.empty() ? nullptr : &find_optimizer(o.optimizer);

  cxxopts::Options cli("deepobs run",
                       "Train an optimizer on a DeepOBS test problem and write the "
                       "DeepOBS result file.");
  cli.positional_help("<test_problem>").show_positional_help();
  // Every value is read as text and converted here, so errors name the flag in our words.
  const auto text = [] { return cxxopts::value<std::string>(); };
  cli.add_options()("test_problem", "DeepOBS test problem, e.g. fmnist_2c2d (see 'deepobs list')",
                    text())("o,optimizer",
                            "optimizer: " + known_optimizers() + ", or the path of a plugin .so",
                            text())("lr,learning_rate", "base learning rate", text())(
      "batch_size", "mini-batch size (default: the problem's)", text())(
      "bs", "alias of --batch_size", text())("N,num_epochs",
                                             "number of epochs (default: the problem's)", text())(
      "r,random_seed", "random seed", text()->default_value("42"))(
      "weight_decay", "L2 factor of the regularised tensors (default: the problem's)", text())(
      "wd", "alias of --weight_decay", text())("lr_sched_epochs",
                                               "epochs at which the learning rate changes",
                                               cxxopts::value<std::vector<std::string>>())(
      "lr_sched_factors", "absolute factors of the base lr from those epochs on",
      cxxopts::value<std::vector<std::string>>())(
      "train_log_interval", "log the mini-batch loss every k steps", text()->default_value("10"))(
      "print_train_iter", "print the logged mini-batch losses")(
      "data_dir", "data directory (default: $DEEPOBS_DATA_DIR, else ./data_deepobs)", text())(
      "output_dir", "where result folders go", text()->default_value("results"))(
      "no_logs", "do not write the result file")("validation",
                                                 "carve out the DeepOBS 1.2 validation split")(
      "device", "auto (CUDA when a GPU is usable, else cpu), cpu, cuda or cuda:N",
      text()->default_value("auto"))("deterministic",
                                     "GPU: deterministic algorithms only (bit-identical reruns)")(
      "tf32", "GPU: allow TF32 tensor cores (default: strict FP32)")(
      "cuda_graph",
      "GPU: auto (record one training step into a CUDA graph after two warm-up steps and replay "
      "it; eager, with the reason logged, when the optimizer or an op is not capture-safe) or "
      "off. No effect on the CPU",
      text()->default_value("auto"))("hp", "optimizer hyperparameter as name=value (repeatable)",
                                     cxxopts::value<std::vector<std::string>>())(
      "q,quiet", "print only errors and the result path")("h,help", "print this help");
  cli.add_options()("resume",
                    "checkpoint at every epoch end next to the result file and continue from "
                    "that checkpoint when it exists (SIGTERM/SIGINT then exit with status 75)")(
      "discard_corrupt_checkpoint",
      "with --resume: move a corrupt checkpoint aside (.corrupt) and start fresh instead of "
      "refusing")("keep_checkpoint", "with --resume: keep the last checkpoint when the run ends");
  if (info) {
    for (const auto& spec : info->hyperparameters) {
      std::string doc = spec.doc + " (" + std::string(hyperparameter_type_name(spec.type)) + ", " +
                        range_string(spec) + ")";
      if (spec.type == HyperparameterType::Bool)
        cli.add_options(info->name)(spec.name, doc, text()->implicit_value("true"));
      else
        cli.add_options(info->name)(spec.name, doc, text());
    }
  }
  cli.add_options()("data_order",
                    "tf1 (one shuffle order and one set of augmentation draws per run, replayed "
                    "every epoch; train_eval = its first batches; as DeepOBS 1.1's baselines) or "
                    "reshuffle (fresh every epoch)",
                    text()->default_value("tf1"));
  cli.add_options()("cifar100_offset",
                    "CIFAR-100 problems: legacy (the image read from byte 1 of each record, "
                    "misaligned by one byte, as DeepOBS 1.1 and its baselines) or fixed (from "
                    "byte 2, the images as stored)",
                    text())("svhn_train",
                            "SVHN problems: 64000 (the first 64,000 training images, as DeepOBS "
                            "1.1 and its baselines) or full (all 73,257)",
                            text())("data_sizes",
                                    "MNIST/Fashion-MNIST/CIFAR/SVHN problems: official (every "
                                    "file must hold DeepOBS's count: a truncated download fails) "
                                    "or any (any whole number of examples: fixtures, subsets; "
                                    "recorded as sizes=any in data_variant)",
                                    text()->default_value("official"));
  cli.parse_positional({"test_problem"});

  // DeepOBS takes the schedule lists space-separated (nargs='+'); cxxopts wants one token per
  // flag, so "--lr_sched_epochs 50 100" becomes "--lr_sched_epochs=50,100" before parsing.
  std::vector<std::string> args_vec;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a != "--lr_sched_epochs" && a != "--lr_sched_factors") {
      args_vec.push_back(a);
      continue;
    }
    std::string values;
    while (i + 1 < argc && is_number(argv[i + 1]))
      values += (values.empty() ? "" : ",") + std::string(argv[++i]);
    DEEPOBS_CHECK(!values.empty(), a, " needs one or more numbers");
    args_vec.push_back(a + "=" + values);
  }
  std::vector<const char*> args_ptr;
  for (const auto& a : args_vec)
    args_ptr.push_back(a.c_str());

  cxxopts::ParseResult args;
  try {
    args = cli.parse(static_cast<int>(args_ptr.size()), args_ptr.data());
  } catch (const cxxopts::exceptions::no_such_option& e) {
    std::vector<std::string> names;
    std::string short_names;
    for (const auto& group : cli.groups())
      for (const auto& opt : cli.group_help(group).options) {
        for (const auto& l : opt.l)
          names.push_back(l);
        short_names += opt.s;
      }
    // The offending flag: the first "--name" / "-x" of argv that the parser does not know.
    std::string flag = e.what();
    for (const auto& a : args_vec) {
      if (a.size() < 2 || a[0] != '-' || is_number(a)) continue;
      std::string name = a.substr(a.find_first_not_of('-'));
      name = name.substr(0, name.find('='));
      if (std::find(names.begin(), names.end(), name) == names.end() &&
          !(name.size() == 1 && short_names.find(name[0]) != std::string::npos)) {
        flag = name;
        break;
      }
    }
    const auto near = closest_name(flag, names);
    throw Error(cat("unknown option '", flag.size() == 1 ? "-" : "--", flag, "'",
                    near ? " (did you mean '--" + *near + "'?)" : std::string(),
                    info ? "" : "; hyperparameter flags appear once --optimizer is given",
                    "; see 'deepobs run --help'"));
  } catch (const cxxopts::exceptions::exception& e) {
    throw Error(cat(e.what(), "; see 'deepobs run --help'"));
  }
  if (args.count("help")) {
    // The hyperparameter group exists only once an optimizer is known; naming the default group
    // twice would print every option twice.
    std::vector<std::string> groups{""};
    if (info) groups.push_back(info->name);
    out << cli.help(groups) << "\n";
    return std::nullopt;
  }

  DEEPOBS_CHECK(args.count("test_problem"),
                "missing the test problem, e.g. 'deepobs run fmnist_2c2d --optimizer momentum "
                "--lr 0.01 --momentum 0.99'; run 'deepobs list' for all problems");
  o.problem = args["test_problem"].as<std::string>();
  DEEPOBS_CHECK(info, "missing --optimizer (one of ", known_optimizers(),
                ", or the path of a plugin .so)");
  // A plugin is found again by its path; a built-in by its canonical name.
  o.optimizer = looks_like_plugin_path(o.optimizer) ? o.optimizer : info->name;
  DEEPOBS_CHECK(args.count("learning_rate"), "missing --lr (the base learning rate)");
  o.learning_rate = parse_number<double>("lr", args["learning_rate"].as<std::string>());
  DEEPOBS_CHECK(!(args.count("batch_size") && args.count("bs")),
                "give either --batch_size or --bs, not both");
  DEEPOBS_CHECK(!(args.count("weight_decay") && args.count("wd")),
                "give either --weight_decay or --wd, not both");
  for (const char* f : {"batch_size", "bs"})
    if (args.count(f)) o.batch_size = parse_number<int>("batch_size", args[f].as<std::string>());
  if (args.count("num_epochs"))
    o.num_epochs = parse_number<int>("num_epochs", args["num_epochs"].as<std::string>());
  o.random_seed = parse_number<int>("random_seed", args["random_seed"].as<std::string>());
  for (const char* f : {"weight_decay", "wd"})
    if (args.count(f))
      o.weight_decay = parse_number<double>("weight_decay", args[f].as<std::string>());
  if (args.count("lr_sched_epochs"))
    for (const auto& e : args["lr_sched_epochs"].as<std::vector<std::string>>())
      o.lr_sched_epochs.push_back(parse_number<int>("lr_sched_epochs", e));
  if (args.count("lr_sched_factors"))
    for (const auto& f : args["lr_sched_factors"].as<std::vector<std::string>>())
      o.lr_sched_factors.push_back(parse_number<double>("lr_sched_factors", f));
  o.train_log_interval =
      parse_number<int>("train_log_interval", args["train_log_interval"].as<std::string>());
  o.print_train_iter = args.count("print_train_iter") > 0;
  if (args.count("data_dir")) o.data_dir = args["data_dir"].as<std::string>();
  o.output_dir = args["output_dir"].as<std::string>();
  // An empty folder would put the result tree into the current directory, which is how result
  // files once ended up committed at the top of this repository.
  DEEPOBS_CHECK(!o.output_dir.empty(),
                "--output_dir is empty; name a folder for the result tree (default: results)");
  o.no_logs = args.count("no_logs") > 0;
  o.validation = args.count("validation") > 0;
  o.device = args["device"].as<std::string>();
  o.deterministic = args.count("deterministic") > 0;
  o.tf32 = args.count("tf32") > 0;
  o.cuda_graph = parse_cuda_graph_mode(args["cuda_graph"].as<std::string>());
  o.quiet = args.count("quiet") > 0;
  o.resume = args.count("resume") > 0;
  o.discard_corrupt_checkpoint = args.count("discard_corrupt_checkpoint") > 0;
  o.keep_checkpoint = args.count("keep_checkpoint") > 0;
  DEEPOBS_CHECK(o.resume || !(o.discard_corrupt_checkpoint || o.keep_checkpoint),
                o.keep_checkpoint ? "--keep_checkpoint" : "--discard_corrupt_checkpoint",
                " applies to --resume runs only; add --resume");
  DEEPOBS_CHECK(!(o.resume && o.no_logs),
                "--resume keeps its checkpoint in the result folder, which --no_logs does not "
                "write; drop one of them");
  try {
    o.data_order = datasets::parse_data_order(args["data_order"].as<std::string>());
  } catch (const Error& e) {
    throw Error(cat("--data_order: ", e.what()));
  }
  try {
    if (args.count("cifar100_offset"))
      o.cifar100_offset =
          datasets::parse_cifar100_offset(args["cifar100_offset"].as<std::string>());
  } catch (const Error& e) {
    throw Error(cat("--cifar100_offset: ", e.what()));
  }
  try {
    if (args.count("svhn_train"))
      o.svhn_train = datasets::parse_svhn_train(args["svhn_train"].as<std::string>());
  } catch (const Error& e) {
    throw Error(cat("--svhn_train: ", e.what()));
  }
  const std::string sizes = args["data_sizes"].as<std::string>();
  DEEPOBS_CHECK(sizes == "official" || sizes == "any", "--data_sizes: unknown choice '", sizes,
                "' (official or any)");
  o.any_data_sizes = sizes == "any";
  for (const auto& spec : info->hyperparameters)
    if (args.count(spec.name)) o.hyperparameters[spec.name] = args[spec.name].as<std::string>();
  if (args.count("hp")) {
    for (const auto& kv : args["hp"].as<std::vector<std::string>>()) {
      const auto eq = kv.find('=');
      DEEPOBS_CHECK(eq != std::string::npos && eq > 0, "--hp expects name=value, got '", kv, "'");
      const std::string name = kv.substr(0, eq);
      DEEPOBS_CHECK(!o.hyperparameters.count(name), "hyperparameter '", name, "' is given twice");
      o.hyperparameters[name] = kv.substr(eq + 1);
    }
  }
  if (!args.unmatched().empty())
    throw Error(cat("unexpected argument '", args.unmatched().front(),
                    "' (only one test problem per run)"));
  return o;
}

}  // namespace deepobs::runner
