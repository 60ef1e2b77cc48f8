// Batch normalisation on a CUDA device: the f32 twin of kernels/cpu/batch_norm.h, with its
// arguments and contracts, through cuDNN's spatial-mode batch norm (forward training, forward
// inference, backward). CUDA-free header; pointers are device memory of ctx's device, every call
// runs on ctx's stream and returns without waiting.
//
// cuDNN reduces in its own order, so results agree with the CPU's to a few f32 roundings (the
// twin tests' tolerance), not bit for bit. The moving-average update is our own one-block kernel
// with the CPU's operations in the CPU's order (no FMA): given the same batch statistics both
// devices produce the same bits. Throws CudaError on a cuDNN/CUDA failure and
// std::invalid_argument for a size outside cuDNN's int range or an epsilon below cuDNN's minimum
// (CUDNN_BN_MIN_EPSILON).
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// cudnnBatchNormalizationForwardTraining: y, save_mean, save_inv_std (cuDNN's saved mean and
// inverse deviation, which the backward call reads). batch_mean and batch_variance (both or
// neither) receive cuDNN's running outputs with exponential-average factor 1, i.e. the batch mean
// and the Bessel-corrected batch variance, as TF's fused batch norm reads them.
void batch_norm_forward_train(KernelContext& ctx, const float* x, const float* gamma,
                              const float* beta, std::int64_t batch, std::int64_t channels,
                              std::int64_t spatial, double epsilon, float* y, float* save_mean,
                              float* save_inv_std, float* batch_mean, float* batch_variance);

// cudnnBatchNormalizationForwardInference with the given (moving) statistics.
void batch_norm_forward_inference(KernelContext& ctx, const float* x, const float* gamma,
                                  const float* beta, const float* mean, const float* variance,
                                  std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                                  double epsilon, float* y);

// cudnnBatchNormalizationBackward (data and parameter gradients overwritten). dx may be null, in
// which case a workspace buffer takes cuDNN's data gradient.
void batch_norm_backward(KernelContext& ctx, const float* x, const float* dy, const float* gamma,
                         const float* save_mean, const float* save_inv_std, std::int64_t batch,
                         std::int64_t channels, std::int64_t spatial, double epsilon, float* dx,
                         float* dgamma, float* dbeta);

// moving −= (moving − batch)·decay for the means and the variances (the CPU's rounding).
void batch_norm_update_moving(KernelContext& ctx, float* moving_mean, float* moving_variance,
                              const float* batch_mean, const float* batch_variance,
                              std::int64_t channels, float decay);

}  // namespace deepobs::kernels::cuda
