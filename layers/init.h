// Parameter initialisers with TF 1.x semantics (SPEC §1.3), drawn from a PhiloxGenerator so that
// a model starts from the same weights on every device. Each fills an existing tensor in place
// (f32 or f64 on the CPU; the generator's draw functions reject anything else) and consumes exactly
// one draw of `gen` (constant_ consumes none). Writes are not recorded by autograd.
#pragma once

#include <cstdint>

#include "core/random/philox_generator.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace deepobs::init {

// Fan-in and fan-out of a weight tensor: what the variance-scaling initialisers divide by.
struct Fans {
  std::int64_t fan_in;
  std::int64_t fan_out;
};

// Dense kernel [in, out] (TF's layout): fan_in = in, fan_out = out.
Fans dense_fans(const Shape& kernel);
// Convolution kernel [Cout, Cin, kh, kw] (our NCHW layout): fan_in = Cin·kh·kw,
// fan_out = Cout·kh·kw, as TF computes for its [kh, kw, Cin, Cout] kernel.
Fans conv_fans(const Shape& kernel);
// Transposed-convolution kernel [Cin_t, Cout_t, kh, kw], where Cin_t/Cout_t are the transposed
// convolution's own input/output channels (the layout of the forward convolution it is the
// adjoint of). TF stores this kernel as [kh, kw, Cout_t, Cin_t] and its generic fan rule reads
// fan_in = kh·kw·Cout_t and fan_out = kh·kw·Cin_t; we return exactly those values (not only the
// same sum), i.e. conv_fans of the same tensor.
Fans conv_transpose_fans(const Shape& kernel);
// A 1-D tensor of length n: fan_in = fan_out = n (tf.get_variable's default glorot_uniform on a
// vector).
Fans vector_fans(const Shape& vector);

// Every element = value (any dtype).
void constant_(const Tensor& t, double value);
// TF truncated_normal_initializer(stddev): N(0, stddev²) redrawn outside ±2·stddev, not rescaled
// (the resulting standard deviation is 0.8796·stddev). stddev >= 0.
void truncated_normal_(const Tensor& t, double stddev, PhiloxGenerator& gen);
// glorot_uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).
void glorot_uniform_(const Tensor& t, const Fans& fans, PhiloxGenerator& gen);
// TF 1.x glorot_normal (VarianceScaling(1, fan_avg) with a truncated normal): a normal with
// σ = sqrt(2 / (fan_in + fan_out)) / 0.87962566103423978 truncated at ±2σ, so that the truncated
// distribution's standard deviation is sqrt(2 / (fan_in + fan_out)).
void glorot_normal_(const Tensor& t, const Fans& fans, PhiloxGenerator& gen);

// The bound of glorot_uniform_ and the pre-truncation σ of glorot_normal_ (for tests and
// documentation). Throw deepobs::Error unless fan_in, fan_out >= 0 and fan_in + fan_out > 0.
double glorot_uniform_limit(const Fans& fans);
double glorot_normal_stddev(const Fans& fans);

}  // namespace deepobs::init
