#include "datasets/prepare_data.h"

#include <algorithm>
#include <array>
#include <system_error>

#include "core/closest_name.h"
#include "core/error.h"
#include "datasets/idx_reader.h"
#include "datasets/imagenet_prepare.h"
#include "datasets/mnist.h"
#include "datasets/prepare_detail.h"
#include "datasets/tolstoi.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;
using prepare_detail::join;
using prepare_detail::say;

struct MnistFile {
  const char* name;
  MnistFileKind kind;
  std::int64_t count;
};

// The four files of an MNIST-format data set, in the order of data_dir.h's table (checked by
// check_table_agrees, so the two lists cannot drift apart).
constexpr std::array<MnistFile, 4> kMnistFiles = {{
    {"train-images-idx3-ubyte.gz", MnistFileKind::Images, kMnistTrainSize},
    {"train-labels-idx1-ubyte.gz", MnistFileKind::Labels, kMnistTrainSize},
    {"t10k-images-idx3-ubyte.gz", MnistFileKind::Images, kMnistTestSize},
    {"t10k-labels-idx1-ubyte.gz", MnistFileKind::Labels, kMnistTestSize},
}};

// The same rule as find_data_set: "x.gz" is also satisfied by the decompressed "x".
std::optional<fs::path> locate(const fs::path& dir, const std::string& file) {
  std::error_code ec;
  if (fs::is_regular_file(dir / file, ec)) return dir / file;
  constexpr std::string_view kGz = ".gz";
  if (file.ends_with(kGz)) {
    const fs::path plain = dir / file.substr(0, file.size() - kGz.size());
    if (fs::is_regular_file(plain, ec)) return plain;
  }
  return std::nullopt;
}

FileVerifier verifier_for(const MnistFile& f) {
  return [f](const fs::path& p) { return verify_mnist_file(p, f.kind, f.count); };
}

void check_table_agrees(const DataSetFiles& spec) {
  bool same = spec.files.size() == kMnistFiles.size();
  for (std::size_t i = 0; same && i < kMnistFiles.size(); ++i)
    same = spec.files[i] == kMnistFiles[i].name;
  DEEPOBS_CHECK(same, "prepare-data: internal error: the file list of '", spec.name,
                "' in data_dir.cpp differs from the one in prepare_data.cpp");
}

// The first folder among `dirs` whose four files all verify; reports rejected files.
std::optional<fs::path> verified_system_dir(std::string_view name,
                                            const std::vector<fs::path>& dirs,
                                            const PrepareOptions& options) {
  for (const auto& dir : dirs) {
    bool all = true;
    for (const auto& f : kMnistFiles) {
      const auto p = locate(dir, f.name);
      if (!p) {
        all = false;
        break;
      }
      try {
        verify_mnist_file(*p, f.kind, f.count);
      } catch (const Error& e) {
        say(options, cat(name, ": ", e.what(), " (not used)"));
        all = false;
        break;
      }
    }
    if (all) return dir;
  }
  return std::nullopt;
}

}  // namespace

void require_known_data_set(std::string_view name) {
  if (prepare_support(name) != PrepareSupport::Unknown) return;
  std::vector<std::string> all = downloadable_data_sets();
  for (const auto& n : not_yet_downloadable_data_sets())
    all.push_back(n);
  const auto guess = closest_name(name, all);
  throw Error(cat("unknown data set '", name, "'",
                  guess ? cat(" (did you mean '", *guess, "'?)") : std::string(),
                  "; prepare-data supports ", join(downloadable_data_sets()),
                  " (from your own copy: ", join(not_yet_downloadable_data_sets()), ")"));
}

PrepareSupport prepare_support(std::string_view name) {
  for (const auto& n : downloadable_data_sets())
    if (n == name) return PrepareSupport::Download;
  for (const auto& n : not_yet_downloadable_data_sets())
    if (n == name) return PrepareSupport::NotYet;
  if (name == "quadratic" || name == "two_d") return PrepareSupport::InMemory;
  return PrepareSupport::Unknown;
}

std::vector<std::string> downloadable_data_sets() {
  return {"mnist", "fmnist", "cifar10", "cifar100", "svhn", "tolstoi"};
}

std::vector<std::string> not_yet_downloadable_data_sets() {
  return {"imagenet"};
}

std::vector<std::string> official_url_bases(std::string_view name) {
  // SPEC §4.1, §4.2: the addresses in DeepOBS's deepobs_prepare_data.sh.
  if (name == "mnist")
    return {"http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"};
  if (name == "fmnist") return {"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"};
  if (name == "tolstoi") return {std::string(kTolstoiUrlBase)};  // SPEC §4.7
  // SPEC §4.3–4.5: DeepOBS's script fetches CIFAR-10 over http and CIFAR-100 over https from the
  // same folder, SVHN over http; https first, the script's own address as the fallback.
  if (name == "cifar10" || name == "cifar100")
    return {"https://www.cs.toronto.edu/~kriz/", "http://www.cs.toronto.edu/~kriz/"};
  if (name == "svhn")
    return {"http://ufldl.stanford.edu/housenumbers/", "https://ufldl.stanford.edu/housenumbers/"};
  throw Error(cat("official_url_bases: '", name, "' is not a downloadable data set (",
                  join(downloadable_data_sets()), ")"));
}

std::string verify_mnist_file(const fs::path& path, MnistFileKind kind,
                              std::int64_t expected_count) {
  const Tensor t = read_idx(path);
  if (kind == MnistFileKind::Images) {
    DEEPOBS_CHECK(t.dim() == 3 && t.size(0) == expected_count && t.size(1) == kMnistSide &&
                      t.size(2) == kMnistSide,
                  path.string(), ": expected ", expected_count, " images of 28x28 (IDX shape [",
                  expected_count, ",28,28]), the IDX header says ", shape_str(t.shape()));
    return cat(expected_count, " images of 28x28");
  }
  DEEPOBS_CHECK(t.dim() == 1 && t.size(0) == expected_count, path.string(), ": expected ",
                expected_count, " labels (IDX shape [", expected_count, "]), the IDX header says ",
                shape_str(t.shape()));
  const std::uint8_t* labels = t.data<std::uint8_t>();
  for (std::int64_t i = 0; i < expected_count; ++i)
    DEEPOBS_CHECK(labels[i] < kMnistClasses, path.string(), ": label ", int{labels[i]},
                  " of example ", i, " is not a class index 0..", kMnistClasses - 1);
  return cat(expected_count, " labels in 0..", kMnistClasses - 1);
}

void prepare_data_set(std::string_view name, const DataRoot& root, const PrepareOptions& options) {
  switch (prepare_support(name)) {
    case PrepareSupport::Unknown:
      require_known_data_set(name);
      break;
    case PrepareSupport::InMemory:
      say(options, cat(name, ": generated in memory from fixed seeds; nothing to prepare"));
      return;
    case PrepareSupport::NotYet:
      // ImageNet (the only such name) cannot be downloaded; a copy the user downloaded is
      // checked and indexed instead.
      prepare_imagenet(root, options);
      return;
    case PrepareSupport::Download:
      break;
  }
  if (name == "tolstoi") {
    const prepare_detail::RemoveIfCreatedEmpty cleanup({root.path / "tolstoi", root.path});
    prepare_tolstoi(root, options);
    return;
  }
  if (name == "cifar10" || name == "cifar100" || name == "svhn") {
    prepare_image_data_set(name, root, options);
    return;
  }
  const DataSetFiles* spec = data_set_files(name);
  DEEPOBS_CHECK(spec != nullptr, "prepare-data: internal error: no file table entry for ", name);
  check_table_agrees(*spec);
  const fs::path dir = root.path / spec->subdir;
  const std::vector<fs::path> system_dirs = options.system_dirs.value_or(spec->system_dirs);
  DEEPOBS_CHECK(!options.copy || !system_dirs.empty(), name,
                ": --copy copies from a system folder, and ", name,
                " has none (only fmnist has one: the Debian package dataset-fashion-mnist)");

  // What is there already. A present file is only trusted after a full verification.
  std::array<bool, kMnistFiles.size()> needed{};
  std::size_t present = 0;
  for (std::size_t i = 0; i < kMnistFiles.size(); ++i) {
    needed[i] = true;
    const auto p = locate(dir, kMnistFiles[i].name);
    if (!p) continue;
    ++present;
    if (options.force) continue;
    needed[i] = !prepare_detail::already_valid(name, *p, verifier_for(kMnistFiles[i]), options,
                                               "fetching it again");
  }
  const auto ready = [&] { say(options, cat(name, ": ready in ", dir.string())); };
  if (std::find(needed.begin(), needed.end(), true) == needed.end()) {
    ready();
    return;
  }

  const prepare_detail::RemoveIfCreatedEmpty cleanup({dir, root.path});
  if (options.copy) {
    const auto source = verified_system_dir(name, system_dirs, options);
    DEEPOBS_CHECK(source.has_value(), name, ": --copy: no complete, valid set of files in ",
                  join(system_dirs),
                  spec->extra_hint.empty() ? std::string() : cat(" (", spec->extra_hint, ")"));
    for (std::size_t i = 0; i < kMnistFiles.size(); ++i) {
      if (!needed[i]) continue;
      const auto from = *locate(*source, kMnistFiles[i].name);
      const fs::path dest = dir / kMnistFiles[i].name;
      std::string what;
      try {
        what = copy_verified(from, dest, verifier_for(kMnistFiles[i]));
      } catch (const DownloadError& e) {
        throw DownloadError(e.kind(), cat(name, ": ", e.what()));
      }
      say(options, cat(name, ": copied ", from.string(), " to ", dest.string(), " (", what, ")"));
    }
    ready();
    return;
  }

  // fmnist from the Debian package: the loader reads the system folder whenever the data root
  // does not hold all four files, so a download would only duplicate 30 MB.
  if (!options.force && present < kMnistFiles.size() && !system_dirs.empty()) {
    if (const auto source = verified_system_dir(name, system_dirs, options)) {
      const std::string origin = spec->extra_hint.empty()
                                     ? std::string()
                                     : cat(" (as installed by ", spec->extra_hint, ")");
      say(options,
          cat(name, ": no download needed: ", source->string(), " holds all four files, valid",
              origin, ", and deepobs reads them when ", dir.string(),
              " lacks them; --copy copies them there, --force downloads anyway"));
      return;
    }
  }

  // Found once, before the first "downloading" line, so that a machine without curl or wget
  // hears about that alone.
  const FetchOptions fetch = prepare_detail::fetch_options(name, options);
  const std::vector<std::string> bases = prepare_detail::url_bases(name, options);
  for (std::size_t i = 0; i < kMnistFiles.size(); ++i) {
    if (!needed[i]) continue;
    prepare_detail::download_from_mirrors(name, kMnistFiles[i].name, dir / kMnistFiles[i].name,
                                          bases, fetch, verifier_for(kMnistFiles[i]), options);
  }
  ready();
}

}  // namespace deepobs::datasets
