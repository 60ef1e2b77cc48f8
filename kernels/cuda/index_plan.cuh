// Index plans for the broadcasting and reduction kernels: a shape with its dimensions merged as
// far as the operands allow, plus each operand's element stride per merged dimension, passed by
// value to a kernel. Internal to kernels/cuda (host code that builds them, device code that walks
// them).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "kernels/cuda/check.cuh"

namespace deepobs::kernels::cuda::detail {

inline constexpr int kMaxPlanRank = 8;

// K operands broadcast against one output: out extent per merged dimension, and per operand the
// element stride (0 where the operand is repeated). Dimension 0 is the outermost.
template <int K>
struct BroadcastPlan {
  int rank = 0;
  std::int64_t extent[kMaxPlanRank] = {};
  std::int64_t stride[K][kMaxPlanRank] = {};
};

// Merges neighbouring output dimensions in which every operand is repeated in both or present in
// both (the same rule as kernels/cpu/broadcast.cpp), drops output extents of 1, and computes the
// contiguous operands' strides. A one-element output gives rank 1, extent 1.
template <int K>
BroadcastPlan<K> make_broadcast_plan(const char* op, std::span<const std::int64_t> out_shape,
                                     const std::array<std::span<const std::int64_t>, K>& in) {
  std::int64_t extent[64];
  bool present[64][K];
  int g = 0;
  for (std::size_t d = 0; d < out_shape.size(); ++d) {
    if (out_shape[d] == 1) continue;
    bool p[K];
    for (int k = 0; k < K; ++k)
      p[k] = in[static_cast<std::size_t>(k)][d] != 1;
    bool same = g > 0;
    for (int k = 0; same && k < K; ++k)
      same = present[g - 1][k] == p[k];
    if (same) {
      extent[g - 1] *= out_shape[d];
    } else {
      if (g == 64) throw CudaError(std::string(op) + ": more than 64 dimensions");
      extent[g] = out_shape[d];
      for (int k = 0; k < K; ++k)
        present[g][k] = p[k];
      ++g;
    }
  }
  if (g == 0) {
    extent[0] = 1;
    for (int k = 0; k < K; ++k)
      present[0][k] = true;
    g = 1;
  }
  if (g > kMaxPlanRank)
    throw CudaError(std::string(op) + ": the broadcast needs " + std::to_string(g) +
                    " dimensions after merging; the CUDA kernels support " +
                    std::to_string(kMaxPlanRank));
  BroadcastPlan<K> plan;
  plan.rank = g;
  for (int i = 0; i < g; ++i)
    plan.extent[i] = extent[i];
  for (int k = 0; k < K; ++k) {
    std::int64_t s = 1;
    for (int i = g - 1; i >= 0; --i) {
      plan.stride[k][i] = present[i][k] ? s : 0;
      if (present[i][k]) s *= extent[i];
    }
  }
  return plan;
}

inline std::int64_t numel_of(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (auto e : shape)
    n *= e;
  return n;
}

}  // namespace deepobs::kernels::cuda::detail
