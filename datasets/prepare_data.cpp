#include "datasets/prepare_data.h"

#include <array>
#include <system_error>

#include "core/closest_name.h"
#include "core/error.h"
#include "datasets/idx_reader.h"
#include "datasets/mnist.h"
#include "datasets/tolstoi.h"

namespace deepobs::datasets {
namespace {

namespace fs = std::filesystem;

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

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string join(const std::vector<fs::path>& items) {
  std::vector<std::string> strings;
  for (const auto& p : items)
    strings.push_back(p.string());
  return join(strings);
}

void say(const PrepareOptions& options, const std::string& line) {
  if (options.log) options.log(line);
}

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

// Removes, when it goes out of scope, the given folders that did not exist when it was made and
// are empty by then (innermost first): a failed first download leaves no empty data root behind.
class RemoveIfCreatedEmpty {
 public:
  explicit RemoveIfCreatedEmpty(std::vector<fs::path> innermost_first) {
    std::error_code ec;
    for (auto& dir : innermost_first)
      if (!fs::exists(dir, ec)) created_.push_back(std::move(dir));
  }
  ~RemoveIfCreatedEmpty() {
    std::error_code ec;
    for (const auto& dir : created_)
      if (fs::is_directory(dir, ec) && fs::is_empty(dir, ec)) fs::remove(dir, ec);
  }
  RemoveIfCreatedEmpty(const RemoveIfCreatedEmpty&) = delete;
  RemoveIfCreatedEmpty& operator=(const RemoveIfCreatedEmpty&) = delete;

 private:
  std::vector<fs::path> created_;
};

// How to get a data set that prepare-data cannot download yet (SPEC §4.3–4.7, §4.10).
std::string not_yet_message(std::string_view name, const DataRoot& root) {
  const std::string head = cat(name, ": not supported yet (prepare-data can download ",
                               join(downloadable_data_sets()), "); ");
  const auto folder = [&](const char* sub) { return (root.path / sub).string(); };
  if (name == "cifar10" || name == "cifar100") {
    const bool ten = name == "cifar10";
    const char* tarball = ten ? "cifar-10-binary.tar.gz" : "cifar-100-binary.tar.gz";
    const std::string dir = folder(ten ? "cifar-10" : "cifar-100");
    return cat(head, "get https://www.cs.toronto.edu/~kriz/", tarball,
               " and unpack it with `mkdir -p ", dir, " && tar -xzf ", tarball,
               " --strip-components 1 -C ", dir, "`");
  }
  if (name == "svhn")
    return cat(head, "its .mat files (http://ufldl.stanford.edu/housenumbers/) need converting; ",
               "DeepOBS's deepobs_prepare_data.sh writes the converted files into ",
               folder("svhn"));
  return cat(head, "ImageNet needs a registration at image-net.org (DeepOBS's script does not ",
             "download it either); put its TFRecord shards train-* and validation-* into ",
             folder("imagenet"));
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
                  " (not yet: ", join(not_yet_downloadable_data_sets()), ")"));
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
  return {"mnist", "fmnist", "tolstoi"};
}

std::vector<std::string> not_yet_downloadable_data_sets() {
  return {"cifar10", "cifar100", "svhn", "imagenet"};
}

std::vector<std::string> official_url_bases(std::string_view name) {
  // SPEC §4.1, §4.2: the addresses in DeepOBS's deepobs_prepare_data.sh.
  if (name == "mnist")
    return {"http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"};
  if (name == "fmnist") return {"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"};
  if (name == "tolstoi") return {std::string(kTolstoiUrlBase)};  // SPEC §4.7
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
      throw Error(not_yet_message(name, root));
    case PrepareSupport::Download:
      break;
  }
  if (name == "tolstoi") {
    const RemoveIfCreatedEmpty cleanup({root.path / "tolstoi", root.path});
    prepare_tolstoi(root, options);
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
    try {
      const std::string what = verify_mnist_file(*p, kMnistFiles[i].kind, kMnistFiles[i].count);
      needed[i] = false;
      say(options, cat(name, ": ", p->string(), " already present (", what, ")"));
    } catch (const Error& e) {
      say(options, cat(name, ": ", e.what(), "; fetching it again"));
    }
  }
  const auto ready = [&] { say(options, cat(name, ": ready in ", dir.string())); };
  bool any_needed = false;
  for (bool n : needed)
    any_needed = any_needed || n;
  if (!any_needed) {
    ready();
    return;
  }

  const RemoveIfCreatedEmpty cleanup({dir, root.path});
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
  FetchOptions fetch = options.fetch;
  if (!fetch.downloader) fetch.downloader = find_downloader();
  if (!fetch.downloader)
    throw DownloadError(DownloadError::Kind::NoDownloader,
                        cat(name, ": cannot download: neither curl nor wget is installed (install ",
                            "one: apt-get install curl)"));
  std::vector<std::string> bases = options.url_bases;
  if (bases.empty()) bases = official_url_bases(name);
  for (auto& base : bases)
    if (!base.ends_with('/')) base += '/';
  for (std::size_t i = 0; i < kMnistFiles.size(); ++i) {
    if (!needed[i]) continue;
    const fs::path dest = dir / kMnistFiles[i].name;
    std::string failures;
    for (std::size_t k = 0; k < bases.size(); ++k) {
      const std::string url = bases[k] + kMnistFiles[i].name;
      say(options, cat(name, ": downloading ", url));
      try {
        const std::string what = download_verified(url, dest, verifier_for(kMnistFiles[i]), fetch);
        say(options, cat(name, ": ", dest.string(), " verified (", what, ")"));
        break;
      } catch (const DownloadError& e) {
        // Another mirror cannot help when nothing can be downloaded or written at all.
        if (e.kind() == DownloadError::Kind::NoDownloader || e.kind() == DownloadError::Kind::Disk)
          throw DownloadError(e.kind(), cat(name, ": ", e.what()));
        failures += (failures.empty() ? "" : "; mirror: ") + std::string(e.what());
        if (k + 1 == bases.size()) throw DownloadError(e.kind(), cat(name, ": ", failures));
        say(options, cat(name, ": ", e.what(), "; trying the mirror ", bases[k + 1]));
      }
    }
  }
  ready();
}

}  // namespace deepobs::datasets
