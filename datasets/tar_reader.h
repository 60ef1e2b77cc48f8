// A small reader for tar archives, gzip-compressed or plain (zlib reads both), enough for the CIFAR
// tarballs: POSIX ustar, GNU and pax headers, regular files, long names.
//
// Why our own instead of running `tar`: zlib is already a dependency; the reader streams the few
// members we want straight into temporary files that are verified before they are renamed into
// place (`tar -x` would write every member, under names and paths the archive chooses, into the
// data folder); member names are only reported, never used as paths, so an archive cannot write
// outside the folder; and every failure becomes our one-line error naming the archive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace deepobs::datasets {

class TarReader {
 public:
  // Opens the archive; throws deepobs::Error naming it when it cannot be opened.
  explicit TarReader(const std::filesystem::path& archive);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // Moves to the next regular file, skipping directories, links and metadata entries (whose long
  // names and pax paths it applies). Returns false at the end of the archive. Throws
  // deepobs::Error naming the archive for a header with a wrong checksum (not a tar archive, or
  // corrupt), a truncated archive, or a corrupt gzip stream.
  bool next();
  // The current member's path inside the archive ("cifar-10-batches-bin/data_batch_1.bin").
  const std::string& name() const { return name_; }
  std::uint64_t size() const { return size_; }
  // Writes the current member's contents to `dest` (created or truncated). Throws for a write
  // error (naming dest) or a truncated archive; callable once per member.
  void extract(const std::filesystem::path& dest);

 private:
  // Reads exactly `bytes` bytes (throws when the archive ends first).
  void read_exactly(void* out, std::size_t bytes);
  // Reads up to `bytes`; returns how many (fewer only at the end of the archive).
  std::size_t read_some(void* out, std::size_t bytes);
  void skip(std::uint64_t bytes);

  std::filesystem::path path_;
  void* gz_ = nullptr;  // gzFile (zlib.h stays out of this header)
  std::string name_;
  std::uint64_t size_ = 0;
  std::uint64_t unread_ = 0;  // data and padding bytes of the current member not read yet
  bool extracted_ = false;
};

}  // namespace deepobs::datasets
