#include "kernels/cpu/reduce.h"

#include <cstddef>
#include <vector>

namespace deepobs::kernels::cpu {
namespace {

template <class T>
double contiguous_sum(const T* x, std::int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += static_cast<double>(x[i]);
    s1 += static_cast<double>(x[i + 1]);
    s2 += static_cast<double>(x[i + 2]);
    s3 += static_cast<double>(x[i + 3]);
  }
  for (; i < n; ++i)
    s0 += static_cast<double>(x[i]);
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

template <class T>
void sum_to_shape(std::span<const std::int64_t> in_shape, const T* x,
                  std::span<const std::int64_t> out_shape, T* out, double scale) {
  std::int64_t out_n = 1;
  for (auto e : out_shape)
    out_n *= e;
  if (out_n == 0) return;
  std::vector<double> acc(static_cast<std::size_t>(out_n), 0.0);

  // Merge neighbouring input dimensions that are both reduced or both kept (dimensions of extent 1
  // are dropped): the walk below then has as few, and as long, inner runs as possible.
  std::vector<std::int64_t> extent;
  std::vector<bool> reduced;
  bool empty = false;
  for (std::size_t d = 0; d < in_shape.size(); ++d) {
    if (in_shape[d] == 0) empty = true;
    if (in_shape[d] == 1) continue;
    const bool r = out_shape[d] == 1;
    if (!extent.empty() && reduced.back() == r) {
      extent.back() *= in_shape[d];
    } else {
      extent.push_back(in_shape[d]);
      reduced.push_back(r);
    }
  }
  if (!empty) {
    if (extent.empty()) {
      extent.push_back(1);
      reduced.push_back(false);
    }
    const std::size_t g = extent.size();
    // Stride of each merged dimension in the output (0 where it is summed away).
    std::vector<std::int64_t> out_stride(g, 0);
    std::int64_t s = 1;
    for (std::size_t i = g; i-- > 0;) {
      if (!reduced[i]) {
        out_stride[i] = s;
        s *= extent[i];
      }
    }
    const std::int64_t len = extent[g - 1];
    std::int64_t rows = 1;
    for (std::size_t i = 0; i + 1 < g; ++i)
      rows *= extent[i];
    std::vector<std::int64_t> index(g - 1, 0);
    std::int64_t o = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* row = x + r * len;
      if (reduced[g - 1]) {
        acc[static_cast<std::size_t>(o)] += contiguous_sum(row, len);
      } else {
        double* a = acc.data() + o;
        for (std::int64_t j = 0; j < len; ++j)
          a[j] += static_cast<double>(row[j]);
      }
      for (std::size_t i = g - 1; i-- > 0;) {
        o += out_stride[i];
        if (++index[i] < extent[i]) break;
        o -= out_stride[i] * extent[i];
        index[i] = 0;
      }
    }
  }
  for (std::int64_t i = 0; i < out_n; ++i)
    out[i] = static_cast<T>(acc[static_cast<std::size_t>(i)] * scale);
}

template void sum_to_shape<float>(std::span<const std::int64_t>, const float*,
                                  std::span<const std::int64_t>, float*, double);
template void sum_to_shape<double>(std::span<const std::int64_t>, const double*,
                                   std::span<const std::int64_t>, double*, double);

}  // namespace deepobs::kernels::cpu
