#include "layers/init.h"

#include <cmath>

namespace deepobs::init {
namespace {

// Standard deviation of a standard normal truncated to [-2, 2]; dividing σ by it makes the
// truncated draw have the intended variance (the constant TF's VarianceScaling uses).
constexpr double kTruncatedStd = 0.87962566103423978;

void check_shape_rank(const char* op, const Shape& shape, std::size_t rank, const char* layout) {
  DEEPOBS_CHECK(shape.size() == rank, op, ": expected a ", layout, " shape, got ",
                shape_str(shape));
  for (const std::int64_t e : shape) {
    DEEPOBS_CHECK(e >= 0, op, ": negative extent in ", shape_str(shape));
  }
}

double fan_sum(const char* op, const Fans& fans) {
  DEEPOBS_CHECK(fans.fan_in >= 0 && fans.fan_out >= 0 && fans.fan_in + fans.fan_out > 0, op,
                ": needs fan_in, fan_out >= 0 with a positive sum, got fan_in = ", fans.fan_in,
                ", fan_out = ", fans.fan_out);
  return static_cast<double>(fans.fan_in + fans.fan_out);
}

}  // namespace

Fans dense_fans(const Shape& kernel) {
  check_shape_rank("dense_fans", kernel, 2, "[in, out]");
  return {kernel[0], kernel[1]};
}

Fans conv_fans(const Shape& kernel) {
  check_shape_rank("conv_fans", kernel, 4, "[Cout, Cin, kh, kw]");
  const std::int64_t receptive = kernel[2] * kernel[3];
  return {kernel[1] * receptive, kernel[0] * receptive};
}

Fans conv_transpose_fans(const Shape& kernel) {
  check_shape_rank("conv_transpose_fans", kernel, 4, "[Cin_t, Cout_t, kh, kw]");
  const std::int64_t receptive = kernel[2] * kernel[3];
  return {kernel[1] * receptive, kernel[0] * receptive};
}

Fans vector_fans(const Shape& vector) {
  check_shape_rank("vector_fans", vector, 1, "[n]");
  return {vector[0], vector[0]};
}

double glorot_uniform_limit(const Fans& fans) {
  return std::sqrt(6.0 / fan_sum("glorot_uniform", fans));
}

double glorot_normal_stddev(const Fans& fans) {
  return std::sqrt(2.0 / fan_sum("glorot_normal", fans)) / kTruncatedStd;
}

void constant_(const Tensor& t, double value) {
  t.fill(value);
}

void truncated_normal_(const Tensor& t, double stddev, PhiloxGenerator& gen) {
  gen.truncated_normal_(t, 0.0, stddev);
}

void glorot_uniform_(const Tensor& t, const Fans& fans, PhiloxGenerator& gen) {
  const double limit = glorot_uniform_limit(fans);
  gen.uniform_(t, -limit, limit);
}

void glorot_normal_(const Tensor& t, const Fans& fans, PhiloxGenerator& gen) {
  gen.truncated_normal_(t, 0.0, glorot_normal_stddev(fans));
}

}  // namespace deepobs::init
