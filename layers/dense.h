// Fully connected layer y = x·W + b with W [in, out] (TF's layout), as tf.layers.dense.
#pragma once

#include <optional>

#include "core/module.h"
#include "layers/initializer.h"

namespace deepobs::layers {

struct DenseOptions {
  Initializer kernel_init = Initializer::glorot_uniform();            // TF default
  std::optional<Initializer> bias_init = Initializer::constant(0.0);  // nullopt: no bias
  bool regularised = false;  // kernel in the L2 term (biases never are)
  int layer_index = -1;
  DType dtype = DType::F32;
};

class Dense : public Module {
 public:
  // Draws the kernel, then the bias, from `gen` (in that order). in, out ≥ 1.
  Dense(std::int64_t in, std::int64_t out, const DenseOptions& options, PhiloxGenerator& gen);
  // x [N, in] → [N, out].
  Tensor forward(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias

 private:
  Tensor weight_, bias_;
};

}  // namespace deepobs::layers
