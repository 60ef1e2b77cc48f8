#include "kernels/cpu/broadcast.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace deepobs::kernels::cpu {
namespace {

// The output shape after merging dimensions, with each operand's stride per merged dimension
// (0 where the operand is repeated). Operand k's strides are in stride[k].
template <std::size_t K>
struct Plan {
  std::vector<std::int64_t> extent;
  std::array<std::vector<std::int64_t>, K> stride;
};

// Merges neighbouring output dimensions in which every operand is either repeated in both or
// present in both: in both cases one index runs over the pair with a single stride. Output
// dimensions of extent 1 are dropped. A one-element output yields one dimension of extent 1.
template <std::size_t K>
Plan<K> make_plan(std::span<const std::int64_t> out_shape,
                  const std::array<std::span<const std::int64_t>, K>& in_shape) {
  Plan<K> plan;
  std::vector<std::array<bool, K>> present;  // per merged dimension: is operand k non-repeated?
  for (std::size_t d = 0; d < out_shape.size(); ++d) {
    if (out_shape[d] == 1) continue;
    std::array<bool, K> p{};
    for (std::size_t k = 0; k < K; ++k)
      p[k] = in_shape[k][d] != 1;
    if (!present.empty() && present.back() == p) {
      plan.extent.back() *= out_shape[d];
    } else {
      plan.extent.push_back(out_shape[d]);
      present.push_back(p);
    }
  }
  if (plan.extent.empty()) {
    plan.extent.push_back(1);
    present.push_back({});
    present.back().fill(true);
  }
  // Operands are contiguous, so the stride of a present dimension is the product of the present
  // extents to its right.
  const std::size_t g = plan.extent.size();
  for (std::size_t k = 0; k < K; ++k) {
    plan.stride[k].assign(g, 0);
    std::int64_t s = 1;
    for (std::size_t i = g; i-- > 0;) {
      if (present[i][k]) {
        plan.stride[k][i] = s;
        s *= plan.extent[i];
      }
    }
  }
  return plan;
}

// Calls row(offsets, length) for every innermost row of the plan in row-major order; offsets[k] is
// operand k's element offset of the row start, and the output row starts at row_index · length.
template <std::size_t K, class F>
void for_each_row(const Plan<K>& plan, F&& row) {
  const std::size_t g = plan.extent.size();
  const std::int64_t len = plan.extent[g - 1];
  std::vector<std::int64_t> index(g - 1, 0);
  std::array<std::int64_t, K> offset{};
  std::int64_t rows = 1;
  for (std::size_t i = 0; i + 1 < g; ++i)
    rows *= plan.extent[i];
  for (std::int64_t r = 0; r < rows; ++r) {
    row(offset, r * len);
    // Odometer increment of the outer index, moving every operand's offset along.
    for (std::size_t i = g - 1; i-- > 0;) {
      for (std::size_t k = 0; k < K; ++k)
        offset[k] += plan.stride[k][i];
      if (++index[i] < plan.extent[i]) break;
      for (std::size_t k = 0; k < K; ++k)
        offset[k] -= plan.stride[k][i] * plan.extent[i];
      index[i] = 0;
    }
  }
}

std::int64_t numel(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (auto e : shape)
    n *= e;
  return n;
}

}  // namespace

template <class T>
void binary_broadcast(BinaryOp op, std::span<const std::int64_t> out_shape,
                      std::span<const std::int64_t> a_shape, const T* a,
                      std::span<const std::int64_t> b_shape, const T* b, T* out) {
  if (numel(out_shape) == 0) return;
  const auto plan = make_plan<2>(out_shape, {a_shape, b_shape});
  const std::size_t last = plan.extent.size() - 1;
  const bool a_row = plan.stride[0][last] != 0, b_row = plan.stride[1][last] != 0;
  for_each_row(plan, [&](const std::array<std::int64_t, 2>& off, std::int64_t o) {
    const std::int64_t len = plan.extent[last];
    if (a_row && b_row) {
      binary_same(op, a + off[0], b + off[1], out + o, len);
    } else if (a_row) {
      binary_scalar_right(op, a + off[0], b[off[1]], out + o, len);
    } else if (b_row) {
      binary_scalar_left(op, a[off[0]], b + off[1], out + o, len);
    } else {
      // Both repeated along the row: only possible for a one-element output, but cheap to cover.
      binary_scalar_right(op, a + off[0], b[off[1]], out + o, 1);
      std::fill(out + o + 1, out + o + len, out[o]);
    }
  });
}

template <class T>
void broadcast_copy(std::span<const std::int64_t> x_shape, const T* x,
                    std::span<const std::int64_t> out_shape, T* out) {
  if (numel(out_shape) == 0) return;
  const auto plan = make_plan<1>(out_shape, {x_shape});
  const std::size_t last = plan.extent.size() - 1;
  const bool x_row = plan.stride[0][last] != 0;
  for_each_row(plan, [&](const std::array<std::int64_t, 1>& off, std::int64_t o) {
    const std::int64_t len = plan.extent[last];
    if (x_row) {
      std::copy(x + off[0], x + off[0] + len, out + o);
    } else {
      std::fill(out + o, out + o + len, x[off[0]]);
    }
  });
}

#define DEEPOBS_INSTANTIATE(T)                                                    \
  template void binary_broadcast<T>(BinaryOp, std::span<const std::int64_t>,      \
                                    std::span<const std::int64_t>, const T*,      \
                                    std::span<const std::int64_t>, const T*, T*); \
  template void broadcast_copy<T>(std::span<const std::int64_t>, const T*,        \
                                  std::span<const std::int64_t>, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
