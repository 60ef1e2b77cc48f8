// Dropout as a layer (tf.layers.dropout(rate)): inverted dropout in the Train and Closure modes,
// the identity in Eval.
#pragma once

#include <cstdint>

#include "core/module.h"
#include "core/random/philox_generator.h"

namespace deepobs::layers {

class Dropout : public Module {
 public:
  // The mask of training step s is the Philox draw (seed, rng_stream(Dropout, stream_index), s),
  // s read from `step` (the model's step counter, ProblemModel::step: an i64 one-element tensor
  // that moves with the model), so a Closure pass redraws its step's mask exactly and a captured
  // CUDA graph replays fresh masks. Give every dropout layer of a model its own stream_index.
  Dropout(double rate, std::uint64_t seed, std::uint32_t stream_index, const Tensor& step);
  Tensor forward(const Tensor& x);

 private:
  double rate_;
  PhiloxGenerator gen_;
  Tensor step_;
};

}  // namespace deepobs::layers
