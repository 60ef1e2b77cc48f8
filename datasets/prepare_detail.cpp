#include "datasets/prepare_detail.h"

#include <system_error>

#include "core/error.h"

namespace deepobs::datasets::prepare_detail {

namespace fs = std::filesystem;

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

FetchOptions fetch_options(std::string_view name, const PrepareOptions& options) {
  FetchOptions fetch = options.fetch;
  if (!fetch.downloader) fetch.downloader = find_downloader();
  if (!fetch.downloader)
    throw DownloadError(DownloadError::Kind::NoDownloader,
                        cat(name, ": cannot download: neither curl nor wget is installed (install ",
                            "one: apt-get install curl)"));
  return fetch;
}

std::vector<std::string> url_bases(std::string_view name, const PrepareOptions& options) {
  std::vector<std::string> bases = options.url_bases;
  if (bases.empty()) bases = official_url_bases(name);
  for (auto& base : bases)
    if (!base.ends_with('/')) base += '/';
  return bases;
}

std::string download_from_mirrors(std::string_view name, const std::string& file,
                                  const fs::path& dest, const std::vector<std::string>& bases,
                                  const FetchOptions& fetch, const FileVerifier& verify,
                                  const PrepareOptions& options, const std::string& offline_hint) {
  std::string failures;
  for (std::size_t k = 0; k < bases.size(); ++k) {
    const std::string url = bases[k] + file;
    say(options, cat(name, ": downloading ", url));
    try {
      const std::string what = download_verified(url, dest, verify, fetch);
      say(options, cat(name, ": ", dest.string(), " verified (", what, ")"));
      return what;
    } catch (const DownloadError& e) {
      // Another mirror cannot help when nothing can be downloaded or written at all.
      if (e.kind() == DownloadError::Kind::NoDownloader || e.kind() == DownloadError::Kind::Disk)
        throw DownloadError(e.kind(), cat(name, ": ", e.what()));
      failures += (failures.empty() ? "" : "; mirror: ") + std::string(e.what());
      if (k + 1 == bases.size()) {
        const bool offline = e.kind() == DownloadError::Kind::Network && !offline_hint.empty();
        throw DownloadError(e.kind(),
                            cat(name, ": ", failures, offline ? "; " + offline_hint : ""));
      }
      say(options, cat(name, ": ", e.what(), "; trying the mirror ", bases[k + 1]));
    }
  }
  throw DownloadError(DownloadError::Kind::Network,
                      cat(name, ": no address to download ", file, " from (give --url_base)"));
}

bool already_valid(std::string_view name, const fs::path& path, const FileVerifier& verify,
                   const PrepareOptions& options, const char* redo) {
  try {
    const std::string what = verify(path);
    say(options, cat(name, ": ", path.string(), " already present (", what, ")"));
    return true;
  } catch (const Error& e) {
    say(options, cat(name, ": ", e.what(), "; ", redo));
    return false;
  }
}

RemoveIfCreatedEmpty::RemoveIfCreatedEmpty(std::vector<fs::path> innermost_first) {
  std::error_code ec;
  for (auto& dir : innermost_first)
    if (!fs::exists(dir, ec)) created_.push_back(std::move(dir));
}

RemoveIfCreatedEmpty::~RemoveIfCreatedEmpty() {
  std::error_code ec;
  for (const auto& dir : created_)
    if (fs::is_directory(dir, ec) && fs::is_empty(dir, ec)) fs::remove(dir, ec);
}

}  // namespace deepobs::datasets::prepare_detail
