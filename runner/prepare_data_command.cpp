#include "runner/prepare_data_command.h"

#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/closest_name.h"
#include "core/error.h"
#include "datasets/data_dir.h"
#include "datasets/prepare_data.h"

namespace deepobs::runner {
namespace {

constexpr const char* kPrefix = "deepobs prepare-data: ";
// A day: far beyond any real download of these files; a larger value is more likely a typo.
constexpr long long kMaxTimeoutSeconds = 86400;

constexpr const char* kUsage =
    "usage: deepobs prepare-data <name>... [--data_dir DIR] [--force] [--copy]\n"
    "                            [--url_base URL] [--timeout SECONDS]\n"
    "       deepobs prepare-data imagenet --source DIR [--data_dir DIR] [--data_sizes any]\n"
    "\n"
    "Downloads data sets into DIR/<folder>/ and verifies every file completely before it is\n"
    "kept (what DeepOBS's deepobs_prepare_data.sh does). Valid files already there are kept.\n"
    "\n"
    "data sets: mnist, fmnist, cifar10, cifar100, svhn, tolstoi\n"
    "  (cifar10/cifar100: the tarball is checked by size and MD5 and its record files are\n"
    "  extracted; svhn: train_32x32.mat and test_32x32.mat are converted into DeepOBS's records;\n"
    "  tolstoi: War and Peace is downloaded as DIR/tolstoi/war-and-peace.txt and converted as\n"
    "  DeepOBS does (train.npy, test.npy). Offline, copy those downloads by hand into\n"
    "  DIR/<folder>/ and run this again. quadratic and two_d are generated in memory)\n"
    "\n"
    "imagenet cannot be downloaded (its licence needs a registration at image-net.org): download\n"
    "ILSVRC-2012 yourself; prepare-data checks that copy and indexes it into DIR/imagenet/. "
    "--source\n"
    "holds train/<wnid>/*.JPEG and val/<wnid>/*.JPEG (or flat val/*.JPEG with TF's\n"
    "imagenet_2012_validation_synset_labels.txt or Kaggle's LOC_val_solution.csv), or TF's\n"
    "build_imagenet_data.py shards train-* and validation-* (default --source: DIR/imagenet).\n"
    "\n"
    "options:\n"
    "  --data_dir DIR      data root (default: $DEEPOBS_DATA_DIR, else data_deepobs)\n"
    "  --force             download again even when valid files are present\n"
    "  --copy              fmnist: copy the files of the Debian package dataset-fashion-mnist\n"
    "                      (/usr/share/datasets/fashion-mnist) into the data root; without it\n"
    "                      nothing is done when that package is installed, as deepobs reads it\n"
    "  --url_base URL      fetch each file from URL<file name> instead of the official addresses\n"
    "                      (a mirror, or file:///some/dir/ for local copies); repeat it to\n"
    "                      give fallbacks, tried in order\n"
    "  --timeout SECONDS   time limit for one file (default 600)\n"
    "  --source DIR        imagenet: the folder holding your ILSVRC-2012 copy\n"
    "  --data_sizes any    imagenet: index any number of images and classes (default official:\n"
    "                      exactly ILSVRC-2012's 1000 classes, 1,281,167 + 50,000 images)\n"
    "  -h, --help          this text\n"
    "\n"
    "Needs curl or wget (apt-get install curl). Exit code 0 ready, 1 failed, 2 usage error.\n";

const std::vector<std::string> kOptionNames = {"--data_dir",   "--force",   "--copy",
                                               "--url_base",   "--timeout", "--source",
                                               "--data_sizes", "--help"};

struct Parsed {
  std::vector<std::string> names;
  std::string data_dir;
  datasets::PrepareOptions options;
};

std::string supported_list() {
  std::string s;
  for (const auto& n : datasets::downloadable_data_sets())
    s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Parses the command line; nullopt after printing the usage for --help. Throws deepobs::Error
// with the one-line usage problem.
std::optional<Parsed> parse(int argc, const char* const* argv, std::ostream& out) {
  Parsed p;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      out << kUsage;
      return std::nullopt;
    }
    if (!arg.starts_with("-")) {
      p.names.emplace_back(arg);
      continue;
    }
    // "--name value" or "--name=value" (the form of DeepOBS's script).
    const std::size_t eq = arg.find('=');
    const std::string name(arg.substr(0, eq));
    std::optional<std::string> inline_value;
    if (eq != std::string_view::npos) inline_value = std::string(arg.substr(eq + 1));
    const auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      DEEPOBS_CHECK(i + 1 < argc, name, " needs a value");
      return argv[++i];
    };
    if (name == "--force" || name == "--copy") {
      DEEPOBS_CHECK(!inline_value, name, " takes no value");
      (name == "--force" ? p.options.force : p.options.copy) = true;
    } else if (name == "--data_dir") {
      p.data_dir = value();
      DEEPOBS_CHECK(!p.data_dir.empty(), "--data_dir needs a non-empty folder");
    } else if (name == "--url_base") {
      p.options.url_bases.push_back(value());
      DEEPOBS_CHECK(!p.options.url_bases.back().empty(), "--url_base needs a non-empty URL");
    } else if (name == "--source") {
      p.options.source = value();
      DEEPOBS_CHECK(!p.options.source.empty(), "--source needs a non-empty folder");
    } else if (name == "--data_sizes") {
      const std::string v = value();
      DEEPOBS_CHECK(v == "official" || v == "any", "--data_sizes: unknown choice '", v,
                    "' (official or any)");
      p.options.official_sizes = v == "official";
    } else if (name == "--timeout") {
      const std::string v = value();
      long long secs = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
      DEEPOBS_CHECK(
          ec == std::errc() && end == v.data() + v.size() && secs > 0 && secs <= kMaxTimeoutSeconds,
          "--timeout needs a whole number of seconds from 1 to ", kMaxTimeoutSeconds, ", got '", v,
          "'");
      p.options.fetch.time_limit = std::chrono::seconds(secs);
    } else {
      const auto guess = closest_name(name, kOptionNames);
      throw Error(cat("unknown option '", name, "'",
                      guess ? cat(" (did you mean ", *guess, "?)") : std::string(),
                      "; see 'deepobs prepare-data --help'"));
    }
  }
  DEEPOBS_CHECK(!p.names.empty(), "no data set named (supported: ", supported_list(),
                "); see 'deepobs prepare-data --help'");
  for (const auto& n : p.names) {
    datasets::require_known_data_set(n);
    DEEPOBS_CHECK((p.options.source.empty() && p.options.official_sizes) || n == "imagenet",
                  "--source and --data_sizes apply to imagenet only (not ", n, ")");
    if (p.options.copy && datasets::prepare_support(n) == datasets::PrepareSupport::Download) {
      const datasets::DataSetFiles* spec = datasets::data_set_files(n);
      DEEPOBS_CHECK(spec != nullptr && !spec->system_dirs.empty(),
                    "--copy applies to fmnist only (", n, " has no system folder to copy from)");
    }
  }
  return p;
}

}  // namespace

int prepare_data_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::optional<Parsed> parsed;
  try {
    parsed = parse(argc, argv, out);
  } catch (const std::exception& e) {
    err << kPrefix << e.what() << "\n";
    return 2;
  }
  if (!parsed) return 0;

  const datasets::DataRoot root = datasets::resolve_data_root(parsed->data_dir);
  parsed->options.log = [&out](const std::string& line) { out << kPrefix << line << std::endl; };
  int status = 0;
  for (const auto& name : parsed->names) {
    try {
      datasets::prepare_data_set(name, root, parsed->options);
    } catch (const std::exception& e) {
      out.flush();
      err << kPrefix << e.what() << std::endl;
      status = 1;
    }
  }
  return status;
}

}  // namespace deepobs::runner
