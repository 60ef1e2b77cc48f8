// cuDNN's spatial batch norm behind kernels/cuda/batch_norm.h.
#include "kernels/cuda/batch_norm.h"

#include <stdexcept>
#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/context.cuh"
#include "kernels/cuda/cudnn_descriptors.cuh"

namespace deepobs::kernels::cuda {
namespace {

// Spatial mode, not SPATIAL_PERSISTENT: the persistent kernels may overflow for large inputs
// and cuDNN does not promise them deterministic; plain spatial mode is what TF 1.x called.
constexpr cudnnBatchNormMode_t kMode = CUDNN_BATCHNORM_SPATIAL;

int as_int(std::int64_t v, const char* what) {
  return cudnn_int(v, "cuDNN batch norm", what, 1);
}

// x as [batch, channels, spatial, 1] NCHW and the derived per-channel [1, channels, 1, 1].
struct Descriptors {
  TensorDesc x, channel;
  Descriptors(std::int64_t batch, std::int64_t channels, std::int64_t spatial, double epsilon) {
    if (!(epsilon >= CUDNN_BN_MIN_EPSILON))
      throw std::invalid_argument("cuDNN batch norm: epsilon " + std::to_string(epsilon) +
                                  " is below cuDNN's minimum " +
                                  std::to_string(CUDNN_BN_MIN_EPSILON));
    DEEPOBS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
        x.d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, as_int(batch, "batch"),
        as_int(channels, "channels"), as_int(spatial, "spatial size"), 1));
    DEEPOBS_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(channel.d, x.d, kMode));
  }
};

}  // namespace

void batch_norm_forward_train(KernelContext& ctx, const float* x, const float* gamma,
                              const float* beta, std::int64_t batch, std::int64_t channels,
                              std::int64_t spatial, double epsilon, float* y, float* save_mean,
                              float* save_inv_std, float* batch_mean, float* batch_variance) {
  DeviceGuard guard(ctx.device());
  const Descriptors d(batch, channels, spatial, epsilon);
  if ((batch_mean == nullptr) != (batch_variance == nullptr))
    throw std::invalid_argument("cuDNN batch norm: batch_mean and batch_variance go together");
  if (batch_mean) {
    // Factor 1 makes the running outputs the batch statistics: 0·old + 1·batch, so the old
    // contents must not be NaN (a fresh allocation may hold anything).
    const std::size_t bytes = static_cast<std::size_t>(channels) * sizeof(float);
    DEEPOBS_CUDA_CHECK(cudaMemsetAsync(batch_mean, 0, bytes, ctx.stream()));
    DEEPOBS_CUDA_CHECK(cudaMemsetAsync(batch_variance, 0, bytes, ctx.stream()));
  }
  const float one = 1.0f, zero = 0.0f;
  DEEPOBS_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      ctx.cudnn(), kMode, &one, &zero, d.x.d, x, d.x.d, y, d.channel.d, gamma, beta, 1.0,
      batch_mean, batch_variance, epsilon, save_mean, save_inv_std));
}

void batch_norm_forward_inference(KernelContext& ctx, const float* x, const float* gamma,
                                  const float* beta, const float* mean, const float* variance,
                                  std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                                  double epsilon, float* y) {
  DeviceGuard guard(ctx.device());
  const Descriptors d(batch, channels, spatial, epsilon);
  const float one = 1.0f, zero = 0.0f;
  DEEPOBS_CUDNN_CHECK(
      cudnnBatchNormalizationForwardInference(ctx.cudnn(), kMode, &one, &zero, d.x.d, x, d.x.d, y,
                                              d.channel.d, gamma, beta, mean, variance, epsilon));
}

void batch_norm_backward(KernelContext& ctx, const float* x, const float* dy, const float* gamma,
                         const float* save_mean, const float* save_inv_std, std::int64_t batch,
                         std::int64_t channels, std::int64_t spatial, double epsilon, float* dx,
                         float* dgamma, float* dbeta) {
  DeviceGuard guard(ctx.device());
  const Descriptors d(batch, channels, spatial, epsilon);
  if (!dx)
    dx = static_cast<float*>(
        ctx.workspace(static_cast<std::size_t>(batch * channels * spatial) * sizeof(float)));
  const float one = 1.0f, zero = 0.0f;
  DEEPOBS_CUDNN_CHECK(cudnnBatchNormalizationBackward(
      ctx.cudnn(), kMode, &one, &zero, &one, &zero, d.x.d, x, d.x.d, dy, d.x.d, dx, d.channel.d,
      gamma, dgamma, dbeta, epsilon, save_mean, save_inv_std));
}

}  // namespace deepobs::kernels::cuda
