#include "kernels/cpu/l2.h"

#include <vector>

#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {

template <class T>
T l2_penalty(const T* x, const std::int64_t* segments, std::int64_t count, T scale) {
  std::vector<T> sums(static_cast<std::size_t>(count));
  parallel_for(count, 1, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t k = first; k < last; ++k) {
      const T* p = x + segments[2 * k];
      const std::int64_t n = segments[2 * k + 1];
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      std::int64_t i = 0;
      for (; i + 4 <= n; i += 4) {
        s0 += static_cast<double>(p[i] * p[i]);
        s1 += static_cast<double>(p[i + 1] * p[i + 1]);
        s2 += static_cast<double>(p[i + 2] * p[i + 2]);
        s3 += static_cast<double>(p[i + 3] * p[i + 3]);
      }
      for (; i < n; ++i)
        s0 += static_cast<double>(p[i] * p[i]);
      sums[static_cast<std::size_t>(k)] = static_cast<T>((s0 + s1) + (s2 + s3));
    }
  });
  T total = sums.empty() ? T(0) : sums[0];
  for (std::size_t k = 1; k < sums.size(); ++k)
    total = total + sums[k];
  return total * scale;
}

template <class T>
void l2_penalty_backward(const T* x, const std::int64_t* segments, std::int64_t count, T g, T scale,
                         T* grad) {
  const T gs = g * scale;
  constexpr std::int64_t kChunk = std::int64_t{1} << 15;  // fixed ranges: thread-count independent
  for (std::int64_t k = 0; k < count; ++k) {
    const std::int64_t offset = segments[2 * k];
    parallel_for(segments[2 * k + 1], kChunk, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t i = offset + first; i < offset + last; ++i)
        grad[i] = grad[i] + (T(2) * x[i]) * gs;
    });
  }
}

template float l2_penalty<float>(const float*, const std::int64_t*, std::int64_t, float);
template double l2_penalty<double>(const double*, const std::int64_t*, std::int64_t, double);
template void l2_penalty_backward<float>(const float*, const std::int64_t*, std::int64_t, float,
                                         float, float*);
template void l2_penalty_backward<double>(const double*, const std::int64_t*, std::int64_t, double,
                                          double, double*);

}  // namespace deepobs::kernels::cpu
