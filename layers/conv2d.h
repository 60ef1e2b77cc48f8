// 2-D convolution and transposed convolution layers with TF's 'same'/'valid' padding, NCHW.
#pragma once

#include <optional>

#include "core/module.h"
#include "core/ops/padding.h"
#include "layers/initializer.h"

namespace deepobs::layers {

struct ConvOptions {
  int kernel_h = 3, kernel_w = 3;
  int stride_h = 1, stride_w = 1;
  ops::PaddingMode padding = ops::PaddingMode::kSame;
  Initializer kernel_init = Initializer::glorot_uniform();            // TF default
  std::optional<Initializer> bias_init = Initializer::constant(0.0);  // nullopt: no bias
  bool regularised = false;                                           // kernel in the L2 term
  int layer_index = -1;
  DType dtype = DType::F32;
};

// tf.layers.conv2d: weight [C_out, C_in, kh, kw].
class Conv2d : public Module {
 public:
  // Draws the kernel, then the bias, from `gen`.
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, const ConvOptions& options,
         PhiloxGenerator& gen);
  // x [N, C_in, H, W] → [N, C_out, H', W'] with H' = ceil(H/s) ('same') or floor((H−k)/s)+1.
  Tensor forward(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  ConvOptions options_;
  Tensor weight_, bias_;
};

// tf.layers.conv2d_transpose: weight [C_in, C_out, kh, kw] (the adjoint conv's filter).
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels, const ConvOptions& options,
                  PhiloxGenerator& gen);
  // x [N, C_in, H, W] → [N, C_out, H·s, W·s] ('same').
  Tensor forward(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  ConvOptions options_;
  Tensor weight_, bias_;
};

}  // namespace deepobs::layers
