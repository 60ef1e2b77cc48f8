// Batch normalisation over the batch and spatial dimensions, per channel (TF's fused batch norm,
// cuDNN's spatial mode), on the CPU. T is float or double.
//
// Layout: x is [batch, channels, spatial] row-major (NCHW with spatial = H·W); the per-channel
// vectors (gamma, beta, means, variances, inverse deviations) have `channels` elements. Every
// pointer is caller-owned; outputs are overwritten and must not overlap inputs. M = batch·spatial
// values form one channel's statistics.
//
// Determinism: one channel is reduced by one thread, in a fixed order (batch, then space), in
// double; channels are split over the pool by ranges that depend on the sizes only, so the bits
// never depend on the thread count. The double accumulators matter: a channel of WRN's first group
// has 131,072 values at batch 128, and a float sum of that many terms loses ~3 digits.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// Training mode. With mean = Σx/M and var = Σ(x − mean)²/M (biased, both in double):
//   save_mean = round_T(mean), save_inv_std = round_T(1/sqrt(var + epsilon)),
//   y = (x − save_mean)·(gamma·save_inv_std) + beta, each operation rounded in T (TF's CPU order).
// When batch_mean and batch_variance are not null they receive round_T(mean) and the Bessel-
// corrected round_T(Σ(x − mean)²/max(M − 1, 1)): what TF's fused batch norm returns as the batch
// statistics that feed the moving averages (cuDNN's running outputs with factor 1 give the same).
template <class T>
void batch_norm_forward_train(const T* x, const T* gamma, const T* beta, std::int64_t batch,
                              std::int64_t channels, std::int64_t spatial, double epsilon, T* y,
                              T* save_mean, T* save_inv_std, T* batch_mean, T* batch_variance);

// Inference mode: y = (x − mean)·(gamma·round_T(1/sqrt(variance + epsilon))) + beta with the given
// (moving) statistics, the same operations as training mode.
template <class T>
void batch_norm_forward_inference(const T* x, const T* gamma, const T* beta, const T* mean,
                                  const T* variance, std::int64_t batch, std::int64_t channels,
                                  std::int64_t spatial, double epsilon, T* y);

// The gradient of training mode, from the saved statistics. With x̂ = (x − save_mean)·save_inv_std,
//   dbeta = Σ dy, dgamma = Σ dy·x̂ (sums in double),
//   dx = gamma·save_inv_std·(dy − dbeta/M − x̂·dgamma/M), evaluated in double, rounded once.
// dx may be null (only the parameter gradients). `epsilon` is the forward call's; the saved
// inverse deviation already contains it, so only cuDNN's twin reads it (cuDNN checks it).
template <class T>
void batch_norm_backward(const T* x, const T* dy, const T* gamma, const T* save_mean,
                         const T* save_inv_std, std::int64_t batch, std::int64_t channels,
                         std::int64_t spatial, double epsilon, T* dx, T* dgamma, T* dbeta);

// TF's moving-average update (keras BatchNormalization._assign_moving_average), in place:
//   moving −= (moving − batch)·decay for the means and the variances, each operation rounded in T.
// decay = 1 − momentum (the caller rounds it to T as TF does).
template <class T>
void batch_norm_update_moving(T* moving_mean, T* moving_variance, const T* batch_mean,
                              const T* batch_variance, std::int64_t channels, T decay);

}  // namespace deepobs::kernels::cpu
