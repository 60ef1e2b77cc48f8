// Getting DeepOBS's data sets onto disk: the job of DeepOBS's deepobs_prepare_data.sh (SPEC
// §4.10), for the data sets that are plain downloads of finished files (MNIST and Fashion-MNIST)
// and for Tolstoi, whose text is converted here (datasets/tolstoi.h). The others need unpacking
// or a conversion step (CIFAR tarballs, SVHN .mat files) or cannot be downloaded at all
// (ImageNet); for those a clear "not supported yet" error says how to get them another way.
//
// Every file is verified completely before it counts (see verify_mnist_file): a download that is
// truncated, an HTML error page, or a different data set never lands under the names the loaders
// read. Files are written into <root>/<folder>/ under the names of data_dir.h's table, so that
// find_data_set() and make_mnist_data_set() find them afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/data_dir.h"
#include "datasets/download.h"

namespace deepobs::datasets {

// What `prepare_data_set` can do for a name.
enum class PrepareSupport {
  Download,  // mnist, fmnist, tolstoi
  InMemory,  // quadratic, two_d: generated from fixed seeds, nothing to prepare
  NotYet,    // cifar10, cifar100, svhn, imagenet: known, not downloadable yet
  Unknown,   // anything else
};
PrepareSupport prepare_support(std::string_view name);

// Throws deepobs::Error for a PrepareSupport::Unknown name: "unknown data set 'x' (did you mean
// 'y'?); prepare-data supports mnist, fmnist (not yet: cifar10, …)". Returns for any other name.
void require_known_data_set(std::string_view name);

// The names of each group, in a fixed order (for usage texts and error messages).
std::vector<std::string> downloadable_data_sets();          // mnist, fmnist, tolstoi
std::vector<std::string> not_yet_downloadable_data_sets();  // cifar10, …, imagenet

// The official addresses of a downloadable data set's files, most preferred first: the address
// DeepOBS's script uses, then mirrors (for MNIST the widely used copy at
// https://ossci-datasets.s3.amazonaws.com/mnist/, since yann.lecun.com often refuses downloads).
// Each entry ends in '/'; a file's URL is base + file name. Throws deepobs::Error for other names.
std::vector<std::string> official_url_bases(std::string_view name);

// Which of the four MNIST-format files a path is meant to be.
enum class MnistFileKind { Images, Labels };

// Parses the IDX file completely (read_idx: gzip or raw, every byte checked) and checks that it is
// what DeepOBS expects: images [expected_count, 28, 28], or labels [expected_count] with every
// label in 0..9 (equal counts in the two files of a split make the images and labels agree).
// Returns "60000 images of 28x28" / "60000 labels in 0..9"; throws deepobs::Error with one line
// that starts with the path.
std::string verify_mnist_file(const std::filesystem::path& path, MnistFileKind kind,
                              std::int64_t expected_count);

struct PrepareOptions {
  // Fetch (or copy) every file even when a valid one is present, and for fmnist even when the
  // Debian package's copy would be used.
  bool force = false;
  // fmnist: copy the files from the system folder (/usr/share/datasets/fashion-mnist) into the
  // data root instead of downloading them. An error for data sets without a system folder.
  bool copy = false;
  // Non-empty: fetch every file from base + file name for these bases, tried in order like the
  // official address and its mirrors, instead of those (a private mirror, or file:///some/dir/
  // for local copies and for the tests). A missing final '/' is added.
  std::vector<std::string> url_bases;
  FetchOptions fetch;
  // Replaces DataSetFiles::system_dirs (the tests use it to control what "installed" means).
  std::optional<std::vector<std::filesystem::path>> system_dirs;
  // Receives one progress line at a time (no trailing newline), each starting with the data set's
  // name: "mnist: downloading <url>", "…already present…", "mnist: ready in <dir>". May be empty.
  std::function<void(const std::string&)> log;
};

// Makes the data set `name` usable from `root`:
//  - a file present in <root>/<folder> (as "x.gz" or decompressed as "x") that verifies is kept
//    ("already present"); a present file that fails verification is reported and fetched again;
//  - fmnist, when <root>/fmnist does not hold all four files, the system folder holds verified
//    ones and neither `force` nor `copy` is set: nothing is done ("no download needed"), since the
//    loader reads the system folder;
//  - otherwise each missing or invalid file (every file with `force`) is downloaded from the
//    official address (or options.url_bases), then from the mirrors in turn when one fails or
//    gives an invalid file, and
//    renamed into place only after verification (download_verified); with `copy` it is copied
//    from the system folder instead.
// tolstoi is downloaded and converted by prepare_tolstoi (datasets/tolstoi.h), with the same
// options. For InMemory names it only logs that there is nothing to prepare. Throws DownloadError
// for download, disk and verification failures (one line; with mirrors, "<first failure>; mirror:
// <next failure>"), and deepobs::Error for Unknown names (require_known_data_set's message) and
// NotYet names ("cifar10: not supported yet (prepare-data can download mnist, …); get …").
// Every message but the Unknown one starts with "<name>: ". Files finished before a failure stay
// (they are verified).
void prepare_data_set(std::string_view name, const DataRoot& root, const PrepareOptions& options);

}  // namespace deepobs::datasets
