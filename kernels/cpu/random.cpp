#include "kernels/cpu/random.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/random_draws.h"

#include "kernels/cpu/parallel.h"
namespace deepobs::kernels::cpu {
namespace {

// Philox blocks (or normal pairs) per range: a block costs ~30 operations, so 2048 of them carry
// about kMinRangeWork. Every value depends only on its counter, never on the ranges.
constexpr std::int64_t kBlocksPerRange = 2048;

}  // namespace

template <class T>
void random_uniform(const PhiloxDraw& d, T* out, std::int64_t n, double lo, double hi) {
  const double range = hi - lo;
  if constexpr (std::is_same_v<T, float>) {
    const std::int64_t blocks = (n + 3) / 4;
    parallel_for(blocks, kBlocksPerRange, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t b = first; b < last; ++b) {
        const PhiloxWords w = d.block(static_cast<std::uint32_t>(b), 0);
        for (std::int64_t l = 0, i = 4 * b; l < 4 && i < n; ++l, ++i) {
          out[i] = static_cast<T>(affine(lo, range, uniform24(w.v[l])));
        }
      }
    });
  } else {
    const std::int64_t blocks = (n + 1) / 2;
    parallel_for(blocks, kBlocksPerRange, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t b = first; b < last; ++b) {
        const PhiloxWords w = d.block(static_cast<std::uint32_t>(b), 0);
        for (std::int64_t h = 0, i = 2 * b; h < 2 && i < n; ++h, ++i) {
          out[i] = static_cast<T>(affine(lo, range, uniform53(w.v[2 * h], w.v[2 * h + 1])));
        }
      }
    });
  }
}

template <class T>
void random_normal(const PhiloxDraw& d, T* out, std::int64_t n, double mean, double stddev) {
  const std::int64_t pairs = (n + 1) / 2;
  parallel_for(pairs, kBlocksPerRange, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t p = first; p < last; ++p) {
      double z0 = 0.0, z1 = 0.0;
      normal_pair(d, static_cast<std::uint32_t>(p), 0, &z0, &z1);
      out[2 * p] = static_cast<T>(affine(mean, stddev, z0));
      if (2 * p + 1 < n) out[2 * p + 1] = static_cast<T>(affine(mean, stddev, z1));
    }
  });
}

template <class T>
void random_truncated_normal(const PhiloxDraw& d, T* out, std::int64_t n, double mean,
                             double stddev) {
  const std::int64_t pairs = (n + 1) / 2;
  parallel_for(pairs, kBlocksPerRange, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t p = first; p < last; ++p) {
      double z0 = 0.0, z1 = 0.0;
      truncated_normal_pair(d, static_cast<std::uint32_t>(p), &z0, &z1);
      out[2 * p] = static_cast<T>(affine(mean, stddev, z0));
      if (2 * p + 1 < n) out[2 * p + 1] = static_cast<T>(affine(mean, stddev, z1));
    }
  });
}

template <class T>
void random_keep_mask(const PhiloxDraw& d, T* out, std::int64_t n, double rate, T keep_value) {
  const std::int64_t blocks = (n + 3) / 4;
  parallel_for(blocks, kBlocksPerRange, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t b = first; b < last; ++b) {
      const PhiloxWords w = d.block(static_cast<std::uint32_t>(b), 0);
      for (std::int64_t l = 0, i = 4 * b; l < 4 && i < n; ++l, ++i) {
        out[i] = keep_element(w.v[l], rate) ? keep_value : T(0);
      }
    }
  });
}

void random_permutation(const PhiloxDraw& d, std::int64_t* out, std::int64_t n) {
  struct Keyed {
    std::uint64_t key;
    std::int64_t index;
  };
  std::vector<Keyed> keyed(static_cast<std::size_t>(n));
  const std::int64_t blocks = (n + 1) / 2;
  parallel_for(blocks, kBlocksPerRange, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t b = first; b < last; ++b) {
      const PhiloxWords w = d.block(static_cast<std::uint32_t>(b), 0);
      for (std::int64_t h = 0, i = 2 * b; h < 2 && i < n; ++h, ++i) {
        keyed[static_cast<std::size_t>(i)] = {permutation_key(w, static_cast<int>(h)), i};
      }
    }
  });
  // (key, index) is a total order, so any correct sort (a GPU radix sort included) agrees.
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    return a.key != b.key ? a.key < b.key : a.index < b.index;
  });
  for (std::int64_t j = 0; j < n; ++j)
    out[j] = keyed[static_cast<std::size_t>(j)].index;
}

#define DEEPOBS_INSTANTIATE(T)                                                                   \
  template void random_uniform<T>(const PhiloxDraw&, T*, std::int64_t, double, double);          \
  template void random_normal<T>(const PhiloxDraw&, T*, std::int64_t, double, double);           \
  template void random_truncated_normal<T>(const PhiloxDraw&, T*, std::int64_t, double, double); \
  template void random_keep_mask<T>(const PhiloxDraw&, T*, std::int64_t, double, T);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
