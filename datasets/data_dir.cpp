#include "datasets/data_dir.h"

#include <array>
#include <cstdlib>
#include <optional>
#include <system_error>

#include "core/error.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

// File layouts as DeepOBS's preparation script leaves them (SPEC §4.1–4.7).
const std::vector<DataSetFiles>& file_table() {
  static const std::vector<DataSetFiles> table = {
      {"mnist",
       "mnist",
       {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz"},
       {},
       ""},
      {"fmnist",
       "fmnist",
       {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz"},
       {"/usr/share/datasets/fashion-mnist"},
       "`apt-get install dataset-fashion-mnist`"},
      {"cifar10",
       "cifar-10",
       {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
        "data_batch_5.bin", "test_batch.bin"},
       {},
       ""},
      {"cifar100", "cifar-100", {"train.bin", "test.bin"}, {}, ""},
      {"svhn",
       "svhn",
       {"data_batch_0.bin", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
        "data_batch_4.bin", "test_batch.bin"},
       {},
       ""},
      {"tolstoi", "tolstoi", {"train.npy", "test.npy"}, {}, ""},
      // The index `deepobs prepare-data imagenet --source DIR` writes (datasets/imagenet_index.h);
      // the images stay in the user's own copy, which cannot be downloaded.
      {"imagenet",
       "imagenet",
       {"deepobs-imagenet-index.txt"},
       {},
       "--source DIR on your own ILSVRC-2012 copy (its licence needs a registration at "
       "image-net.org)"},
  };
  return table;
}

constexpr std::array<std::string_view, 2> kGenerated = {"quadratic", "two_d"};

bool is_generated(std::string_view name) {
  for (auto g : kGenerated)
    if (g == name) return true;
  return false;
}

bool regular_file_exists(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The path that satisfies `required` in `dir`: the name itself, or for "x.gz" also "x".
std::optional<fs::path> locate(const fs::path& dir, const std::string& required) {
  if (regular_file_exists(dir / required)) return dir / required;
  constexpr std::string_view kGz = ".gz";
  if (required.ends_with(kGz)) {
    const fs::path plain = dir / required.substr(0, required.size() - kGz.size());
    if (regular_file_exists(plain)) return plain;
  }
  return std::nullopt;
}

// Tries one folder; on failure appends "<dir> (<why>)" to `looked`.
std::optional<FoundDataSet> try_dir(const DataSetFiles& spec, const fs::path& dir,
                                    std::string& looked) {
  if (!looked.empty()) looked += ", ";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    looked += dir.string() + " (no such directory)";
    return std::nullopt;
  }
  FoundDataSet found{dir, {}};
  std::string missing;
  for (const auto& f : spec.files) {
    if (auto p = locate(dir, f)) {
      found.files.push_back(*p);
    } else {
      missing += (missing.empty() ? "" : ", ") + f;
    }
  }
  if (missing.empty()) return found;
  looked += dir.string() + " (missing " + missing + ")";
  return std::nullopt;
}

std::vector<std::string> known_names() {
  std::vector<std::string> names;
  for (const auto& s : file_table())
    names.push_back(s.name);
  for (auto g : kGenerated)
    names.emplace_back(g);
  return names;
}

}  // namespace

std::string DataRoot::describe() const {
  switch (source) {
    case Source::Explicit:
      return path.string() + " (from --data_dir)";
    case Source::Environment:
      return path.string() + " (from $" + kDataDirEnv + ")";
    case Source::Default:
      break;
  }
  return path.string() + " (the default)";
}

DataRoot resolve_data_root(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) return {explicit_dir, DataRoot::Source::Explicit};
  const char* env = std::getenv(kDataDirEnv);
  if (env != nullptr && *env != '\0') return {env, DataRoot::Source::Environment};
  return {kDefaultDataDir, DataRoot::Source::Default};
}

const DataSetFiles* data_set_files(std::string_view name) {
  for (const auto& s : file_table())
    if (s.name == name) return &s;
  if (is_generated(name)) return nullptr;
  std::string list;
  for (const auto& n : known_names())
    list += (list.empty() ? "" : ", ") + n;
  throw Error(cat("unknown data set '", name, "' (known: ", list, ")"));
}

FoundDataSet find_data_set(std::string_view name, const DataRoot& root) {
  const DataSetFiles* spec = data_set_files(name);
  DEEPOBS_CHECK(spec != nullptr, "data set '", name, "' is generated in memory and has no files");
  std::string looked;
  if (auto found = try_dir(*spec, root.path / spec->subdir, looked)) return *found;
  for (const auto& dir : spec->system_dirs)
    if (auto found = try_dir(*spec, dir, looked)) return *found;
  std::string how = cat("`deepobs prepare-data ", spec->name);
  if (root.source != DataRoot::Source::Default) how += cat(" --data_dir ", root.path.string());
  how += "`";
  if (!spec->extra_hint.empty()) how += " or " + spec->extra_hint;
  throw Error(cat(spec->name, ": data set files not found; data root ", root.describe(),
                  "; looked in ", looked, "; get them with ", how));
}

bool data_set_present(std::string_view name, const DataRoot& root) {
  const DataSetFiles* spec = data_set_files(name);
  if (spec == nullptr) return true;
  std::string looked;
  if (try_dir(*spec, root.path / spec->subdir, looked)) return true;
  for (const auto& dir : spec->system_dirs)
    if (try_dir(*spec, dir, looked)) return true;
  return false;
}

}  // namespace deepobs::datasets
