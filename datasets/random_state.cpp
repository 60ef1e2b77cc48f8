#include "datasets/random_state.h"

#include <cmath>

namespace deepobs {
namespace {

// MT19937 parameters (Matsumoto & Nishimura 1998): degree n = 624, middle offset m = 397, the
// twist matrix's last row, and the tempering masks.
constexpr int kM = 397;
constexpr std::uint32_t kMatrixA = 0x9908b0dfu;
constexpr std::uint32_t kUpperMask = 0x80000000u;
constexpr std::uint32_t kLowerMask = 0x7fffffffu;
constexpr std::uint32_t kTemperB = 0x9d2c5680u;
constexpr std::uint32_t kTemperC = 0xefc60000u;

}  // namespace

RandomState::RandomState(std::uint32_t seed) {
  // init_genrand: a linear-congruential-like recurrence with Knuth's multiplier 1812433253.
  mt_[0] = seed;
  for (int i = 1; i < kN; ++i) {
    const std::uint32_t prev = mt_[static_cast<std::size_t>(i - 1)];
    mt_[static_cast<std::size_t>(i)] =
        1812433253u * (prev ^ (prev >> 30)) + static_cast<std::uint32_t>(i);
  }
  index_ = kN;
}

void RandomState::twist() {
  // In place and in order: the last kM words already see the new values of the first ones, as in
  // the reference generator.
  const auto at = [this](int k) -> std::uint32_t& { return mt_[static_cast<std::size_t>(k % kN)]; };
  for (int i = 0; i < kN; ++i) {
    const std::uint32_t y = (at(i) & kUpperMask) | (at(i + 1) & kLowerMask);
    at(i) = at(i + kM) ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
  }
  index_ = 0;
}

std::uint32_t RandomState::next_uint32() {
  if (index_ >= kN) twist();
  std::uint32_t y = mt_[static_cast<std::size_t>(index_++)];
  y ^= y >> 11;
  y ^= (y << 7) & kTemperB;
  y ^= (y << 15) & kTemperC;
  y ^= y >> 18;
  return y;
}

double RandomState::random_sample() {
  const std::uint32_t a = next_uint32() >> 5, b = next_uint32() >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;  // (a·2^26 + b) / 2^53
}

double RandomState::uniform(double low, double high) {
  return low + (high - low) * random_sample();
}

double RandomState::gauss() {
  if (has_gauss_) {
    has_gauss_ = false;
    return cached_gauss_;
  }
  // Polar method: a point uniform in the unit disc (excluding the origin) yields two independent
  // normals x1·f and x2·f. numpy returns the second and caches the first; so do we.
  double x1 = 0.0, x2 = 0.0, r2 = 0.0;
  do {
    x1 = 2.0 * random_sample() - 1.0;
    x2 = 2.0 * random_sample() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  cached_gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

double RandomState::normal(double loc, double scale) {
  return loc + scale * gauss();
}

std::vector<double> RandomState::uniform(double low, double high, std::size_t n) {
  std::vector<double> out(n);
  for (double& v : out)
    v = uniform(low, high);
  return out;
}

std::vector<double> RandomState::normal(double loc, double scale, std::size_t n) {
  std::vector<double> out(n);
  for (double& v : out)
    v = normal(loc, scale);
  return out;
}

}  // namespace deepobs
