// Where data sets live on disk, and how to find one data set's files.
//
// The data root is, in this order: the --data_dir the user gave, else $DEEPOBS_DATA_DIR, else
// ./data_deepobs (DeepOBS's default, relative to the working directory). Below it every data set
// has DeepOBS's sub-folder (mnist/, fmnist/, cifar-10/, …, SPEC §4) holding the files DeepOBS's
// preparation script writes. Some data sets are also looked for in system folders after that:
// Fashion-MNIST in /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace deepobs::datasets {

inline constexpr const char* kDataDirEnv = "DEEPOBS_DATA_DIR";
inline constexpr const char* kDefaultDataDir = "data_deepobs";

// The resolved data root and where it came from (for messages).
struct DataRoot {
  enum class Source { Explicit, Environment, Default };
  std::filesystem::path path;
  Source source = Source::Default;

  // "data_deepobs (the default)", "/data (from $DEEPOBS_DATA_DIR)", "/data (from --data_dir)".
  std::string describe() const;
};

// Resolves the data root: `explicit_dir` when non-empty, else $DEEPOBS_DATA_DIR when set and
// non-empty, else "data_deepobs". The path is returned as given (not made absolute, not checked
// for existence: a missing root is reported when a data set is looked up).
DataRoot resolve_data_root(const std::string& explicit_dir = "");

// What a data set stored in files needs, and where it is looked for.
struct DataSetFiles {
  std::string name;                // DeepOBS data-set name: "fmnist"
  std::string subdir;              // folder under the data root: "fmnist"
  std::vector<std::string> files;  // all required, e.g. "train-images-idx3-ubyte.gz"
  std::vector<std::filesystem::path> system_dirs;  // searched after <root>/<subdir>, in order
  std::string extra_hint;                          // another way to get it, or empty
};

// The table entry of a data set kept in files: mnist, fmnist, cifar10, cifar100, svhn, tolstoi,
// imagenet.
// Returns nullptr for the data sets generated in memory (quadratic, two_d) and throws
// deepobs::Error for an unknown name (the message lists the known ones). imagenet's one file is
// the index that `deepobs prepare-data imagenet --source DIR` writes (its images stay in the
// user's copy).
const DataSetFiles* data_set_files(std::string_view name);

// The directory that holds all files of a data set, and the path of each file (parallel to
// DataSetFiles::files). A required name ending in ".gz" is also satisfied by the decompressed file
// without the suffix (the IDX reader detects gzip by content).
struct FoundDataSet {
  std::filesystem::path dir;
  std::vector<std::filesystem::path> files;
};

// Looks for the data set's files in <root>/<subdir>, then in its system folders, and returns the
// first folder that holds all of them. Otherwise throws deepobs::Error with one line that names
// every folder it looked in, what was missing there, and how to get the data
// (`deepobs prepare-data <name>`, plus e.g. `apt-get install dataset-fashion-mnist` for fmnist).
// Throws too for names data_set_files() does not know or that need no files.
FoundDataSet find_data_set(std::string_view name, const DataRoot& root);

// For `deepobs list`: true when find_data_set would succeed, and for data sets generated in memory;
// never throws for a known name (unknown names still throw).
bool data_set_present(std::string_view name, const DataRoot& root);

}  // namespace deepobs::datasets
