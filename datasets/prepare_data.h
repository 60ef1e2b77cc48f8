// Getting DeepOBS's data sets onto disk: the job of DeepOBS's deepobs_prepare_data.sh (SPEC
// §4.10). MNIST and Fashion-MNIST are plain downloads of finished files; CIFAR-10 and CIFAR-100
// are tarballs whose record files are extracted (datasets/tar_reader.h); SVHN's two MATLAB files
// are converted into DeepOBS's records (datasets/svhn_mat.h); Tolstoi's text is converted into
// DeepOBS's id arrays (datasets/tolstoi.h). ImageNet (needs a registration) is never downloaded:
// a copy the user downloaded is checked and indexed (datasets/imagenet_prepare.h).
//
// Every file is verified completely before it counts: downloads by size and MD5 (CIFAR, SVHN) or
// by parsing (MNIST), every file we write by its record count and labels. A download that is
// truncated, an HTML error page, or a different data set never lands under the names the loaders
// read. Files are written into <root>/<folder>/ under the names of data_dir.h's table, so that
// find_data_set() and the make_*_data_set() functions find them afterwards.
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
  Download,  // mnist, fmnist, cifar10, cifar100, svhn, tolstoi
  InMemory,  // quadratic, two_d: generated from fixed seeds, nothing to prepare
  NotYet,    // imagenet: not downloadable; indexed from the user's copy (--source)
  Unknown,   // anything else
};
PrepareSupport prepare_support(std::string_view name);

// Throws deepobs::Error for a PrepareSupport::Unknown name: "unknown data set 'x' (did you mean
// 'y'?); prepare-data supports mnist, fmnist, … (from your own copy: imagenet)". Returns for any
// other name.
void require_known_data_set(std::string_view name);

// The names of each group, in a fixed order (for usage texts and error messages).
std::vector<std::string>
downloadable_data_sets();  // mnist, fmnist, cifar10, cifar100, svhn, tolstoi
std::vector<std::string> not_yet_downloadable_data_sets();  // imagenet

// The official addresses of a downloadable data set's files, most preferred first: the address
// DeepOBS's script uses, then mirrors (for MNIST the widely used copy at
// https://ossci-datasets.s3.amazonaws.com/mnist/, since yann.lecun.com often refuses downloads;
// for CIFAR and SVHN the same folder over https and http).
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

// A file prepare-data downloads for an image data set, as its publisher lists it.
struct SourceFile {
  std::string name;     // "cifar-10-binary.tar.gz"
  std::uint64_t bytes;  // its exact size
  std::string md5;      // 32 lower-case hex digits
};

// A record file prepare-data writes for an image data set, and how many records it holds.
struct RecordFile {
  std::string name;      // "data_batch_1.bin"
  std::int64_t records;  // 10,000
};

// What prepare-data fetches for cifar10, cifar100 or svhn, and what it makes of it.
//   cifar10/100: downloads = {the tarball}; outputs = the record files of data_dir.h's table,
//                extracted from the tarball's one top folder (tar --strip 1, as DeepOBS).
//   svhn:        downloads = {train_32x32.mat, test_32x32.mat}; outputs = data_batch_0..4.bin
//                (DeepOBS's first 64,000 training images, 12,800 each), test_batch.bin (all
//                26,032 test images) and train_beyond_64000.bin (the other 9,257 training images,
//                for --svhn_train full). The training outputs take the .mat's images in order.
struct ImageSource {
  std::vector<SourceFile> downloads;
  std::vector<RecordFile> outputs;
};
// DeepOBS's sources and files (sizes and MD5 sums of the official downloads: the CIFAR page's
// MD5s; SVHN's as torchvision lists them). Throws deepobs::Error for other names.
const ImageSource& official_image_source(std::string_view name);

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
  // Replaces official_image_source for cifar10/cifar100/svhn (the tests use small fixture
  // archives and .mat files with their own sizes, checksums and record counts).
  std::optional<ImageSource> image_source;
  // imagenet (which cannot be downloaded): the folder the user downloaded ILSVRC-2012 into
  // (datasets/imagenet_prepare.h); empty: <root>/imagenet.
  std::filesystem::path source;
  // imagenet: true checks ILSVRC-2012's exact counts (1000 classes, 1,281,167 + 50,000 images);
  // false (`--data_sizes any`) indexes any subset (small test folders).
  bool official_sizes = true;
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

// prepare_data_set for cifar10, cifar100 and svhn:
//  - an output file present in <root>/<folder> that verifies (record count, labels) is kept;
//    with all of them present nothing is fetched ("already present");
//  - each download that a missing or invalid output needs is taken from <root>/<folder>/<its
//    name> when a file of the right size and MD5 is there (a copy brought by hand, the offline
//    route), else downloaded from the official addresses (or options.url_bases), verified by
//    size and MD5 before it is kept; a network failure's message says how to do it by hand;
//  - the outputs are extracted (CIFAR) or converted (SVHN) into temporary files, verified and
//    renamed into place; downloaded archives are deleted afterwards, as DeepOBS's script does
//    (files brought by hand are kept).
// `force` re-makes every output and downloads even when a valid copy of a source is present.
// Throws as prepare_data_set; every message starts with "<name>: ".
void prepare_image_data_set(std::string_view name, const DataRoot& root,
                            const PrepareOptions& options);

}  // namespace deepobs::datasets
