#include "kernels/cpu/copy.h"

#include <cstddef>
#include <cstring>

namespace deepobs::kernels::cpu {

void copy_rows(const void* src, std::int64_t src_pitch, void* dst, std::int64_t dst_pitch,
               std::int64_t rows, std::int64_t row_bytes) {
  if (rows <= 0 || row_bytes <= 0) return;
  const auto* s = static_cast<const unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  for (std::int64_t r = 0; r < rows; ++r)
    std::memcpy(d + r * dst_pitch, s + r * src_pitch, static_cast<std::size_t>(row_bytes));
}

}  // namespace deepobs::kernels::cpu
