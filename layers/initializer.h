// How a layer initialises a tensor: one of the TF initialisers DeepOBS uses (SPEC §1.3), drawn from
// the run's Philox generator in construction order, so a seed fixes the whole model.
#pragma once

#include <string>

#include "core/random/philox_generator.h"
#include "layers/init.h"

namespace deepobs::layers {

struct Initializer {
  enum class Kind { Constant, TruncatedNormal, GlorotUniform, GlorotNormal };
  Kind kind = Kind::GlorotUniform;
  double value = 0.0;  // the constant, or the standard deviation of TruncatedNormal

  static Initializer constant(double v) { return {Kind::Constant, v}; }
  // N(0, stddev²) resampled outside ±2·stddev (tf.truncated_normal_initializer).
  static Initializer truncated_normal(double stddev) { return {Kind::TruncatedNormal, stddev}; }
  // TF's default kernel initialiser (also tf.get_variable's default).
  static Initializer glorot_uniform() { return {Kind::GlorotUniform, 0.0}; }
  // TF 1.x Keras glorot_normal: truncated at ±2σ with σ rescaled so the std is sqrt(2/(in+out)).
  static Initializer glorot_normal() { return {Kind::GlorotNormal, 0.0}; }

  // Fills `t` (f32 or f64, CPU); `fans` matter only for the Glorot kinds.
  void apply(const Tensor& t, const init::Fans& fans, PhiloxGenerator& gen) const;
  // "glorot_uniform", "truncated_normal(0.05)", "constant(0.1)".
  std::string str() const;
};

}  // namespace deepobs::layers
