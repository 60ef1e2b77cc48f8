// MD5 (RFC 1321), to check downloads against the checksums their publishers list (the CIFAR page
// gives MD5 sums; torchvision and others list the same for SVHN). An integrity check against
// truncation and corruption, not a defence against a malicious server.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace deepobs::datasets {

class Md5 {
 public:
  Md5();
  void update(const void* data, std::size_t bytes);
  // The digest as 32 lower-case hex digits; the object is spent afterwards.
  std::string hex_digest();

 private:
  void block(const std::uint8_t* p);

  std::array<std::uint32_t, 4> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed so far
};

// The MD5 of a whole file; throws deepobs::Error naming it when it cannot be read.
std::string md5_of_file(const std::filesystem::path& path);

}  // namespace deepobs::datasets
