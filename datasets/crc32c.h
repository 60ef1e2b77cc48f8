// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord files, and
// TFRecord's "masked" form of it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace deepobs::datasets {

// The CRC-32C of `size` bytes at `data` (initial value ~0, final xor ~0: crc32c("123456789") =
// 0xE3069283). Table-driven, 8 bytes per step.
std::uint32_t crc32c(const void* data, std::size_t size);

// TFRecord stores ((crc >> 15) | (crc << 17)) + 0xA282EAD8 (mod 2^32), so that a CRC of data that
// itself holds CRCs is not degenerate.
std::uint32_t masked_crc32c(const void* data, std::size_t size);

}  // namespace deepobs::datasets
