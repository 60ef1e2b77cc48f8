// Philox-4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw ("Parallel random
// numbers: as easy as 1, 2, 3", SC 2011): a keyed bijection of a 128-bit counter. Any random word
// can be computed directly from its address, with no state carried between elements, so a CPU
// loop, a CUDA thread grid and a captured CUDA graph all produce the same numbers for the same
// address, whatever the order or parallelism.
//
// How deepobs-cpp addresses the words (PhiloxDraw below):
//   key     = the 64-bit seed, low 32 bits in key[0], high 32 bits in key[1];
//   counter = {block index, attempt (or sub-index), stream id, call index}.
// The stream id separates purposes (init, shuffle, dropout, ...; core/random/philox_generator.h),
// the call index separates successive draws of one generator, the block index walks through the
// elements of one draw and the attempt index gives rejection sampling (truncated normal) fresh
// words for the same element. Word k of a draw is lane k % 4 of block k / 4; so element i of a draw
// that needs one 32-bit word per element uses block i / 4, lane i % 4. Draws that need more words
// per element map them in kernels/random_draws.h. The block index is 32 bits wide: one draw reads
// at most 2^32 blocks (2^34 words).
//
// Header-only and free of CUDA headers: every function is DEEPOBS_HD.
#pragma once

#include <cstdint>

#include "kernels/hd.h"

namespace deepobs::kernels {

// Four 32-bit words: a Philox counter or one output block.
struct PhiloxWords {
  std::uint32_t v[4];
};

namespace philox_detail {

// Round multipliers and the Weyl increments of the key schedule (golden ratio and sqrt(3) - 1 in
// 0.32 fixed point), as the Philox-4x32 definition prescribes.
inline constexpr std::uint32_t kMul0 = 0xD2511F53u;
inline constexpr std::uint32_t kMul1 = 0xCD9E8D57u;
inline constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;
inline constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;

// One Philox S-box round: two 32×32→64 products, their high halves mixed with the other two
// words and the round key.
DEEPOBS_HD inline PhiloxWords round(const PhiloxWords& x, std::uint32_t k0, std::uint32_t k1) {
  const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * x.v[0];
  const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * x.v[2];
  const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
  const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
  return PhiloxWords{{hi1 ^ x.v[1] ^ k0, lo1, hi0 ^ x.v[3] ^ k1, lo0}};
}

}  // namespace philox_detail

// Philox-4x32 with 10 rounds: maps (counter, key) to four uniformly distributed 32-bit words.
DEEPOBS_HD inline PhiloxWords philox4x32_10(PhiloxWords counter, std::uint32_t key0,
                                            std::uint32_t key1) {
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      key0 += philox_detail::kWeyl0;
      key1 += philox_detail::kWeyl1;
    }
    counter = philox_detail::round(counter, key0, key1);
  }
  return counter;
}

// The fixed part of the address of one draw: the seed (key), the stream id and the call index.
// Plain data, cheap to pass by value to a CUDA kernel.
struct PhiloxDraw {
  std::uint32_t key[2];
  std::uint32_t stream;
  std::uint32_t call;

  // Block `index` of this draw at attempt `attempt` (see the layout at the top of this file).
  DEEPOBS_HD PhiloxWords block(std::uint32_t index, std::uint32_t attempt) const {
    return philox4x32_10(PhiloxWords{{index, attempt, stream, call}}, key[0], key[1]);
  }
};

DEEPOBS_HD inline PhiloxDraw make_philox_draw(std::uint64_t seed, std::uint32_t stream,
                                              std::uint32_t call) {
  return PhiloxDraw{
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}, stream, call};
}

}  // namespace deepobs::kernels
