// The engine's random-number generator: Philox-4x32-10 addressed by (seed, stream, call, element).
//
// Every draw (one call of a member function below) uses the generator's current call index and
// then advances it by one. Element i of a draw depends only on (seed, stream, call index, i) — see
// kernels/philox.h for the counter layout and kernels/random_draws.h for the element layout — so
// the same seed, stream and sequence of calls give the same numbers on any device, with any
// number of threads, and inside a captured CUDA graph. A draw that throws (bad argument, dtype or
// device) does not advance the call index.
//
// A generator is a small value (seed, stream, counter); copying it forks the sequence. It is not
// thread-safe: give each thread its own.
//
// Draws that belong to a training step (dropout masks, a VAE's noise) pass `call`: an i64
// one-element tensor on the filled tensor's device that holds the call index (a model's step
// counter). Such a draw neither uses nor advances the generator's own index; on a GPU the kernel
// reads the index from device memory, so a captured step that advances the counter on the device
// replays fresh draws, and a second evaluation of the same step redraws the same numbers.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace deepobs {

// Purposes that draw from separate streams, so that e.g. adding a dropout layer leaves the initial
// weights and the shuffling order unchanged.
enum class RngPurpose : std::uint32_t {
  Init = 1,          // parameter initialisation
  Shuffle = 2,       // the per-epoch permutation of a training set
  Dropout = 3,       // dropout masks
  Augmentation = 4,  // random crops, flips, brightness, ...
  Noise = 5,         // noise added by a test problem (e.g. the VAE's sampling)
};

// The stream id for `purpose`, sub-stream `index` (one per layer, per data phase, ...): the purpose
// in the top 8 bits, the index in the low 24. Throws deepobs::Error when index >= 2^24.
std::uint32_t rng_stream(RngPurpose purpose, std::uint32_t index = 0);

class PhiloxGenerator {
 public:
  // The block index of a draw is 32 bits wide (kernels/philox.h); this bounds one draw's size.
  static constexpr std::int64_t kMaxElements = std::int64_t{1} << 33;

  PhiloxGenerator(std::uint64_t seed, std::uint32_t stream) : seed_(seed), stream_(stream) {}
  // Shorthand for PhiloxGenerator(seed, rng_stream(purpose, index)).
  PhiloxGenerator(std::uint64_t seed, RngPurpose purpose, std::uint32_t index = 0)
      : PhiloxGenerator(seed, rng_stream(purpose, index)) {}

  std::uint64_t seed() const { return seed_; }
  std::uint32_t stream() const { return stream_; }
  // The number of draws made so far, which is the call index the next draw uses (< 2^32).
  std::uint64_t calls() const { return calls_; }
  // Resumes the sequence at a saved position (e.g. from a checkpoint); calls < 2^32.
  void set_calls(std::uint64_t calls);
  // Reserves the next call index for a draw computed by the caller's own kernel (e.g. a fused
  // augmentation kernel on the GPU that evaluates kernels/random_draws.h itself). Throws when the
  // 2^32 call indices of this stream are used up.
  std::uint32_t take_call();

  // Fills t (f32 or f64, CPU) with lo + (hi - lo)·u, u uniform in [0, 1) with 24 random bits for
  // f32 and 53 for f64. Needs finite lo <= hi. Rounding to f32 may produce hi itself.
  void uniform_(const Tensor& t, double lo, double hi, const Tensor& call = Tensor());
  // Fills t with mean + stddev·z, z standard normal (Box–Muller in double, then rounded to t's
  // type). Needs finite mean and finite stddev >= 0.
  void normal_(const Tensor& t, double mean, double stddev, const Tensor& call = Tensor());
  // As normal_, but each z is redrawn until |z| <= 2: every value lies within two standard
  // deviations of the mean, without rescaling (TF's truncated_normal).
  void truncated_normal_(const Tensor& t, double mean, double stddev,
                         const Tensor& call = Tensor());
  // Fills t with keep_value where an element is kept — probability 1 - rate, rate in [0, 1] — and
  // 0 where it is dropped. Element i is kept iff its 24-bit uniform u_i >= rate, which a CUDA
  // kernel reproduces exactly.
  void keep_mask_(const Tensor& t, double rate, double keep_value = 1.0,
                  const Tensor& call = Tensor());
  // A uniformly random permutation of 0..n-1 as a new i64 CPU tensor [n] (0 <= n <= kMaxElements):
  // the indices sorted by 64-bit Philox keys, ties by index.
  Tensor permutation(std::int64_t n);

 private:
  // Checks t, reserves the call index (or reads `call`) and runs the draw's kernel.
  template <class F>
  void draw(const char* op, const Tensor& t, const Tensor& call, F&& fill);

  std::uint64_t seed_;
  std::uint32_t stream_;
  std::uint64_t calls_ = 0;
};

}  // namespace deepobs
