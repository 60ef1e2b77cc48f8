// Reader for IDX files, the container of MNIST and Fashion-MNIST.
//
// Layout: a 4-byte magic {0x00, 0x00, type, rank}, then `rank` big-endian uint32 extents, then
// prod(extents) elements in row-major order. MNIST images are 0x00000803 (u8, [N, rows, cols]),
// labels 0x00000801 (u8, [N]). Only the element type 0x08 (unsigned byte) is supported, with any
// rank from 1 to kIdxMaxRank: it is the only one the DeepOBS data sets use.
//
// The file may be gzip-compressed (one or several concatenated gzip members, as `gzip` writes
// them) or raw; which one is decided by the gzip magic bytes 1f 8b, never by the file name, so a
// decompressed copy may keep its ".gz" name and vice versa.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/tensor.h"

namespace deepobs::datasets {

// Largest rank accepted. IDX allows up to 255, but no real data set goes beyond 4; a larger value
// almost certainly means a corrupt header.
inline constexpr int kIdxMaxRank = 8;
// Largest payload accepted (bytes): 4 GiB. MNIST's training images are 47 MB; the cap keeps a
// corrupt header from making us allocate (or inflate) an absurd amount before noticing.
inline constexpr std::uint64_t kIdxMaxDataBytes = std::uint64_t{1} << 32;

// Reads the IDX file at `path` (gzip-compressed or raw) into a new CPU tensor of dtype U8 whose
// shape is the extents from the header (e.g. [60000,28,28] for MNIST training images).
//
// Every bad input throws deepobs::Error with one line that starts with the path and names the
// problem: the file is missing or unreadable; the magic is not an IDX magic; the element type or
// rank is unsupported; the extents overflow or exceed kIdxMaxDataBytes; the data is truncated
// (the message gives the promised and the actual byte counts); bytes follow the promised data
// (trailing garbage, also after the end of a gzip stream); the gzip stream is corrupt (zlib's own
// message is quoted) or ends early. Never reads out of bounds or crashes on any input.
Tensor read_idx(const std::filesystem::path& path);

// The same parser applied to an uncompressed IDX image already in memory; `name` stands in for the
// path in error messages. Used by read_idx for raw files' headers and by the tests.
Tensor parse_idx(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace deepobs::datasets
