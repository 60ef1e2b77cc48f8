// Batch normalisation with TF's semantics (tf.layers.batch_normalization on its fused path, i.e.
// tf.nn.fused_batch_norm; SPEC §1.3, §3.8, §3.9): statistics per channel over the batch and all
// spatial positions (dimension 1 of an NCHW tensor, as cuDNN's spatial mode).
//
// Shapes: x [N, C, ...] (rank ≥ 2; the trailing dimensions are the spatial ones), gamma, beta and
// the statistics [C]; one floating dtype and one device for all. The ops do not own or update any
// model state: the moving statistics are the caller's buffers (layers/batch_norm.h), read by
// batch_norm_inference and advanced by update_moving_statistics_ only when the caller decides so.
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

// The batch statistics a training-mode forward measured: the mean and the Bessel-corrected
// variance Σ(x − mean)²/(M − 1) (M = N·spatial; M − 1 floored at 1), which is what TF's fused
// batch norm returns and feeds into the moving variance. [C] each, never recorded.
struct BatchStatistics {
  Tensor mean;
  Tensor variance;
};

// Training mode: y = (x − mean)·(gamma/sqrt(var + epsilon)) + beta with the batch mean and the
// biased batch variance (Σ(x − mean)²/M). Recorded for autograd (gradients for x, gamma, beta
// through the batch statistics). When `statistics` is not null it receives the batch statistics
// for the moving averages. epsilon > 0 (TF's layer raises it to at least 1.001e-5 first; on a GPU
// cuDNN refuses less than CUDNN_BN_MIN_EPSILON). Throws deepobs::Error naming the op and the
// shapes on a rank, channel, dtype or device mismatch or a bad epsilon.
Tensor batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta, double epsilon,
                        BatchStatistics* statistics = nullptr);

// Inference mode: the same map with the given (moving) `mean` and `variance`, which must not
// require gradients. Recorded for autograd (x, gamma, beta) with the statistics held fixed.
Tensor batch_norm_inference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                            const Tensor& mean, const Tensor& variance, double epsilon);

// TF's moving-average update, in place and not recorded:
//   moving −= (moving − batch)·decay,  decay = round(1 − round(momentum)) in the buffers' dtype,
// for the mean and the variance. That is moving = momentum·moving + (1 − momentum)·batch (TF's
// convention: momentum is the weight of the old value, PyTorch's is the opposite) with TF's
// operations: keras' _assign_moving_average with DeepOBS's tensor-valued training flag, whose
// momentum is an f32 tensor (so for momentum 0.9 the f32 decay is 1 − 0.9f = 0.100000024).
// momentum in [0, 1].
void update_moving_statistics_(const Tensor& moving_mean, const Tensor& moving_variance,
                               const BatchStatistics& batch, double momentum);

}  // namespace deepobs::ops
