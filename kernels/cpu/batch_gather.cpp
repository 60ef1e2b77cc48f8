#include "kernels/cpu/batch_gather.h"

#include <array>
#include <cstring>

namespace deepobs::kernels::cpu {
namespace {

std::int64_t source_row(const std::int64_t* index, std::int64_t first, std::int64_t i) {
  return index ? index[i] : first + i;
}

}  // namespace

void gather_rows_u8_to_f32(const std::uint8_t* src, const std::int64_t* index, std::int64_t first,
                           std::int64_t count, std::int64_t row, float divisor, float* dst) {
  // One division per byte value, not per pixel; the table holds exactly v / divisor in f32, the
  // value the CUDA kernel computes with __fdiv_rn.
  std::array<float, 256> table{};
  for (int v = 0; v < 256; ++v)
    table[static_cast<std::size_t>(v)] = static_cast<float>(v) / divisor;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint8_t* s = src + source_row(index, first, i) * row;
    float* d = dst + i * row;
    for (std::int64_t j = 0; j < row; ++j)
      d[j] = table[s[j]];
  }
}

void gather_rows_f32(const float* src, const std::int64_t* index, std::int64_t first,
                     std::int64_t count, std::int64_t row, float* dst) {
  for (std::int64_t i = 0; i < count; ++i)
    std::memcpy(dst + i * row, src + source_row(index, first, i) * row,
                static_cast<std::size_t>(row) * sizeof(float));
}

void gather_i64(const std::int64_t* src, const std::int64_t* index, std::int64_t first,
                std::int64_t count, std::int64_t* dst) {
  for (std::int64_t i = 0; i < count; ++i)
    dst[i] = src[source_row(index, first, i)];
}

}  // namespace deepobs::kernels::cpu
