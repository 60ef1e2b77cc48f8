#include "layers/batch_norm.h"

#include <algorithm>
#include <cmath>

#include "core/ops/batch_norm.h"

namespace deepobs::layers {

BatchNorm::BatchNorm(std::int64_t channels, const BatchNormOptions& o)
    : momentum_(o.momentum), epsilon_(std::max(o.epsilon, kMinEpsilon)) {
  DEEPOBS_CHECK(channels >= 1, "BatchNorm: channels must be >= 1, got ", channels);
  DEEPOBS_CHECK(o.momentum >= 0 && o.momentum <= 1, "BatchNorm: momentum must be in [0, 1], got ",
                o.momentum, " (TF's convention: the weight of the old moving value)");
  DEEPOBS_CHECK(std::isfinite(o.epsilon) && o.epsilon > 0, "BatchNorm: epsilon must be > 0, got ",
                o.epsilon);
  // TF's creation order: gamma, beta, moving_mean, moving_variance.
  gamma_ = register_parameter("gamma", Tensor::ones({channels}, o.dtype),
                              {ParamKind::NormScale, false, o.layer_index});
  beta_ = register_parameter("beta", Tensor::zeros({channels}, o.dtype),
                             {ParamKind::NormShift, false, o.layer_index});
  moving_mean_ = register_buffer("moving_mean", Tensor::zeros({channels}, o.dtype));
  moving_variance_ = register_buffer("moving_variance", Tensor::ones({channels}, o.dtype));
}

Tensor BatchNorm::forward(const Tensor& x) {
  switch (mode()) {
    case ForwardMode::Eval:
      return ops::batch_norm_inference(x, gamma_, beta_, moving_mean_, moving_variance_, epsilon_);
    case ForwardMode::Closure:
      return ops::batch_norm_train(x, gamma_, beta_, epsilon_);
    case ForwardMode::Train:
      break;
  }
  ops::BatchStatistics batch;
  Tensor y = ops::batch_norm_train(x, gamma_, beta_, epsilon_, &batch);
  ops::update_moving_statistics_(moving_mean_, moving_variance_, batch, momentum_);
  return y;
}

}  // namespace deepobs::layers
