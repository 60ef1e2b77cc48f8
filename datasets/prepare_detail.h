// Helpers shared by prepare_data.cpp (MNIST-format downloads) and prepare_images.cpp (CIFAR and
// SVHN). Internal to datasets/.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/prepare_data.h"

namespace deepobs::datasets::prepare_detail {

std::string join(const std::vector<std::string>& items);
std::string join(const std::vector<std::filesystem::path>& items);

// Passes one progress line to options.log, if any.
void say(const PrepareOptions& options, const std::string& line);

// options.fetch with the downloader filled in; throws DownloadError(NoDownloader) "<name>: cannot
// download: neither curl nor wget is installed (…)" when there is none.
FetchOptions fetch_options(std::string_view name, const PrepareOptions& options);

// The URL bases to try for `name`: options.url_bases, else official_url_bases(name); each ends
// in '/'.
std::vector<std::string> url_bases(std::string_view name, const PrepareOptions& options);

// Downloads base + file for each base in turn into `dest` (download_verified with `verify`) until
// one succeeds; logs "downloading <url>" and "<dest> verified (…)". A NoDownloader or Disk error
// ends at once; after the last base fails the error lists every failure, and when the last one
// was a network failure `offline_hint` (if not empty) is appended: what to do without a network.
// Every message starts with "<name>: ".
std::string download_from_mirrors(std::string_view name, const std::string& file,
                                  const std::filesystem::path& dest,
                                  const std::vector<std::string>& bases, const FetchOptions& fetch,
                                  const FileVerifier& verify, const PrepareOptions& options,
                                  const std::string& offline_hint = "");

// Checks a file that is already there: logs "<name>: <path> already present (<what>)" and
// returns true when `verify` accepts it, else logs "<name>: <why>; <redo>" and returns false.
bool already_valid(std::string_view name, const std::filesystem::path& path,
                   const FileVerifier& verify, const PrepareOptions& options, const char* redo);

// Removes, when it goes out of scope, the given folders that did not exist when it was made and
// are empty by then (innermost first): a failed first download leaves no empty data root behind.
class RemoveIfCreatedEmpty {
 public:
  explicit RemoveIfCreatedEmpty(std::vector<std::filesystem::path> innermost_first);
  ~RemoveIfCreatedEmpty();
  RemoveIfCreatedEmpty(const RemoveIfCreatedEmpty&) = delete;
  RemoveIfCreatedEmpty& operator=(const RemoveIfCreatedEmpty&) = delete;

 private:
  std::vector<std::filesystem::path> created_;
};

}  // namespace deepobs::datasets::prepare_detail
