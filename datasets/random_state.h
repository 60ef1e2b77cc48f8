// A re-implementation of numpy's legacy numpy.random.RandomState, for the few places where DeepOBS
// data must be reproduced bit for bit (SPEC Part A.6): quadratic_deep's Hessian and data sets
// (§3.11, §4.8) and the two_d data sets (§4.9).
//
// Matches numpy's RandomState(seed) for an integer seed: the MT19937 state is seeded with the
// reference generator's init_genrand(seed); doubles take 53 bits from two outputs; normals use the
// polar (Marsaglia) method and cache the second value of each pair, as numpy's legacy gauss does.
// Every draw of a vector form is the same as the same number of scalar draws in a row.
//
// Not used for anything else: the engine's own randomness comes from PhiloxGenerator.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace deepobs {

class RandomState {
 public:
  // numpy.random.RandomState(seed) for 0 <= seed < 2^32.
  explicit RandomState(std::uint32_t seed);

  // The next raw 32-bit MT19937 output.
  std::uint32_t next_uint32();
  // A double in [0, 1): (a >> 5, b >> 6) of two outputs a, b, i.e. 53 random bits
  // (numpy's random_sample()).
  double random_sample();
  // low + (high - low)·random_sample() (numpy's uniform(low, high)).
  double uniform(double low, double high);
  // loc + scale·z with z from the legacy polar method (numpy's normal(loc, scale)). The second
  // normal of each pair is cached and returned by the next normal call, also across calls with
  // other loc/scale and across the vector form.
  double normal(double loc, double scale);

  // n draws of uniform(low, high) / normal(loc, scale) in order (numpy's size=n forms; a 2-D size
  // (r, c) is the same n = r·c values in row-major order).
  std::vector<double> uniform(double low, double high, std::size_t n);
  std::vector<double> normal(double loc, double scale, std::size_t n);

 private:
  static constexpr int kN = 624;
  void twist();
  double gauss();

  std::array<std::uint32_t, kN> mt_{};
  int index_ = kN;
  bool has_gauss_ = false;
  double cached_gauss_ = 0.0;
};

}  // namespace deepobs
