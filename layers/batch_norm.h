// Batch normalisation as a layer: tf.layers.batch_normalization(axis = channels, momentum,
// epsilon, training = phase == "train") on its fused path (SPEC §1.3, §3.8, §3.9).
//
// Parameters: gamma (ones, ParamKind::NormScale) and beta (zeros, ParamKind::NormShift), [C],
// trainable and never L2-regularised. Model state: moving_mean (zeros) and moving_variance (ones),
// [C] buffers (Module::register_buffer): Module::to moves them with the model, they stay out of
// the flat parameter buffer and the optimizer plugin ABI, and only this layer writes them.
//
// By the mode the problem set (Module::mode):
//   Train   — normalise with the batch statistics, then update the moving averages from them
//             (ops::update_moving_statistics_: TF's convention and arithmetic);
//   Closure — normalise with the batch statistics, update nothing: an optimizer's loss closure
//             evaluates the function the step differentiates, however often it calls it;
//   Eval    — normalise with the moving statistics, update nothing.
#pragma once

#include <cstdint>

#include "core/module.h"

namespace deepobs::layers {

struct BatchNormOptions {
  double momentum = 0.99;  // TF's default; weight of the old moving value
  double epsilon = 1e-3;   // TF's default
  int layer_index = -1;
  DType dtype = DType::F32;
};

class BatchNorm : public Module {
 public:
  // TF's fused batch norm raises epsilon to at least this (tf.nn.fused_batch_norm: "a
  // requirement by CUDNN"), so WRN's requested 1e-5 runs as 1.001e-5.
  static constexpr double kMinEpsilon = 1.001e-5;

  // channels ≥ 1; momentum in [0, 1]; epsilon > 0.
  BatchNorm(std::int64_t channels, const BatchNormOptions& options);
  // x [N, C, ...] → same shape.
  Tensor forward(const Tensor& x);

  const Tensor& gamma() const { return gamma_; }
  const Tensor& beta() const { return beta_; }
  const Tensor& moving_mean() const { return moving_mean_; }
  const Tensor& moving_variance() const { return moving_variance_; }
  double momentum() const { return momentum_; }
  // The epsilon the op uses: max(requested, kMinEpsilon).
  double epsilon() const { return epsilon_; }

 private:
  double momentum_, epsilon_;
  Tensor gamma_, beta_, moving_mean_, moving_variance_;
};

}  // namespace deepobs::layers
