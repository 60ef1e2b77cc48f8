// Fetching data-set files from the internet.
//
// The transfer is done by running `curl` (or `wget` when curl is absent) as a child process rather
// than by linking an HTTP/TLS library: every Linux machine has one of them or gets it with one
// `apt-get install curl`, they honour the usual proxy variables, and the engine keeps no network
// code of its own. The child gets an argument vector (no shell, so no quoting problems), stdin and
// stdout on /dev/null, and its stderr captured: nothing is printed unless it fails, and then its
// last line goes into our one-line error.
//
// A file is never visible under its final name before it has been verified: it is written to a
// temporary file next to the destination and renamed into place only when the caller's verifier
// accepts it; on any failure the temporary file is removed and an existing destination is left as
// it was.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace deepobs::datasets {

// A program that fetches URLs.
struct Downloader {
  enum class Kind { Curl, Wget };
  Kind kind = Kind::Curl;
  std::filesystem::path program;  // the executable that is run

  std::string name() const { return kind == Kind::Curl ? "curl" : "wget"; }
};

// The first executable `curl`, else `wget`, in the folders of $PATH (or in /usr/local/bin,
// /usr/bin, /bin when PATH is unset); nullopt when there is neither.
std::optional<Downloader> find_downloader();

// Why a transfer failed; the kind lets a caller decide whether another mirror is worth trying
// (Network, Invalid) or not (NoDownloader, Disk).
class DownloadError : public Error {
 public:
  enum class Kind {
    NoDownloader,  // neither curl nor wget is installed, or it cannot be started
    Network,       // DNS failure, no connection, HTTP error, time limit, missing file:// file
    Disk,          // the destination folder or file cannot be created or written
    Invalid,       // the transfer worked but the verifier rejected the file
  };
  DownloadError(Kind kind, const std::string& message) : Error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct FetchOptions {
  // The program to run; nullopt means find_downloader() (and a NoDownloader error when it finds
  // none). Tests set it to exercise a particular one.
  std::optional<Downloader> downloader;
  // Limit for one whole transfer. The downloader is told so itself; a child that is still running
  // a few seconds after it (e.g. blocked reading a FIFO) is killed.
  std::chrono::seconds time_limit{600};
};

// Copies `url` (http, https, ftp or file) into the file `dest`, replacing its contents. Follows
// redirects; an HTTP error status counts as failure. Throws DownloadError with one line:
//   NoDownloader "neither curl nor wget is installed (install one: apt-get install curl)";
//   Network      "cannot reach <url>: <what the exit code means> [curl exit code <n>: <curl's own
//                message>]", or "...: no complete transfer within <t> s (raise --timeout ...)";
//   Disk         "cannot write <dest>: <reason>".
// `dest` is left in an unspecified state after a failure (download_verified removes it).
void fetch_url(const std::string& url, const std::filesystem::path& dest,
               const FetchOptions& options = {});

// Checks a candidate file completely; throws deepobs::Error naming the path it was given when the
// file is not acceptable, else returns a short description for messages ("60000 images of 28x28").
using FileVerifier = std::function<std::string(const std::filesystem::path&)>;

// Fetches `url` into a new temporary file in dest's folder (created with its parents when
// missing), runs `verify` on it and renames it to `dest` (replacing an existing file) only when
// it passes. Returns verify's description. On failure the temporary file is removed, `dest` is as
// before, and DownloadError is thrown with every mention of the temporary file replaced by `dest`;
// a rejected file gives Kind::Invalid and "<verifier's message> (downloaded from <url>; deleted)".
std::string download_verified(const std::string& url, const std::filesystem::path& dest,
                              const FileVerifier& verify, const FetchOptions& options = {});

// The same for a local file: copies `source` to a temporary file beside `dest`, verifies, renames.
// Errors as download_verified (Disk when `source` cannot be read; Invalid names `source`).
std::string copy_verified(const std::filesystem::path& source, const std::filesystem::path& dest,
                          const FileVerifier& verify);

// The same for a file we make: `write` fills a new temporary file beside `dest` (its argument),
// then it is verified and renamed to `dest`. A deepobs::Error from `write` is rethrown as
// deepobs::Error with the temporary file's name replaced by `dest`; a rejected file gives
// DownloadError(Invalid) "<verifier's message> (<note>; deleted)". The temporary file never stays.
std::string write_verified(const std::filesystem::path& dest,
                           const std::function<void(const std::filesystem::path&)>& write,
                           const FileVerifier& verify, const std::string& note);
// The same for bytes made here (a converted data set): `bytes` is the whole file. Errors as above
// (a write failure is DownloadError(Disk)).
std::string write_verified(const std::filesystem::path& dest, std::string_view bytes,
                           const FileVerifier& verify);

}  // namespace deepobs::datasets
