#include "kernels/cpu/batch_norm.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

// Channels per range: enough values that a range is worth a thread (parallel.h).
std::int64_t channel_grain(std::int64_t batch, std::int64_t spatial, double passes) {
  return grain_for_work(passes * static_cast<double>(std::max<std::int64_t>(batch * spatial, 1)));
}

// Σ over the channel's M values of f(value), in double, batch-major then space.
template <class T, class F>
double channel_sum(const T* x, std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                   std::int64_t c, F f) {
  double s = 0.0;
  for (std::int64_t n = 0; n < batch; ++n) {
    const T* p = x + (n * channels + c) * spatial;
    for (std::int64_t i = 0; i < spatial; ++i)
      s += f(static_cast<double>(p[i]));
  }
  return s;
}

// y = (x − mean)·factor + beta over one channel, each operation rounded in T.
template <class T>
void normalise_channel(const T* x, std::int64_t batch, std::int64_t channels, std::int64_t spatial,
                       std::int64_t c, T mean, T factor, T beta, T* y) {
  for (std::int64_t n = 0; n < batch; ++n) {
    const std::int64_t base = (n * channels + c) * spatial;
    for (std::int64_t i = 0; i < spatial; ++i) {
      const T centred = x[base + i] - mean;
      const T scaled = centred * factor;
      y[base + i] = scaled + beta;
    }
  }
}

}  // namespace

template <class T>
void batch_norm_forward_train(const T* x, const T* gamma, const T* beta, std::int64_t batch,
                              std::int64_t channels, std::int64_t spatial, double epsilon, T* y,
                              T* save_mean, T* save_inv_std, T* batch_mean, T* batch_variance) {
  const std::int64_t m = batch * spatial;
  parallel_for(
      channels, channel_grain(batch, spatial, 4), [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t c = first; c < last; ++c) {
          const double mean =
              channel_sum(x, batch, channels, spatial, c, [](double v) { return v; }) /
              static_cast<double>(m);
          const double ss = channel_sum(x, batch, channels, spatial, c, [mean](double v) {
            const double d = v - mean;
            return d * d;
          });
          const T mean_t = static_cast<T>(mean);
          const T inv_std = static_cast<T>(1.0 / std::sqrt(ss / static_cast<double>(m) + epsilon));
          save_mean[c] = mean_t;
          save_inv_std[c] = inv_std;
          if (batch_mean) batch_mean[c] = mean_t;
          if (batch_variance)
            batch_variance[c] =
                static_cast<T>(ss / static_cast<double>(std::max<std::int64_t>(m - 1, 1)));
          const T factor = gamma[c] * inv_std;
          normalise_channel(x, batch, channels, spatial, c, mean_t, factor, beta[c], y);
        }
      });
}

template <class T>
void batch_norm_forward_inference(const T* x, const T* gamma, const T* beta, const T* mean,
                                  const T* variance, std::int64_t batch, std::int64_t channels,
                                  std::int64_t spatial, double epsilon, T* y) {
  parallel_for(channels, channel_grain(batch, spatial, 2),
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t c = first; c < last; ++c) {
                   const T inv_std =
                       static_cast<T>(1.0 / std::sqrt(static_cast<double>(variance[c]) + epsilon));
                   const T factor = gamma[c] * inv_std;
                   normalise_channel(x, batch, channels, spatial, c, mean[c], factor, beta[c], y);
                 }
               });
}

template <class T>
void batch_norm_backward(const T* x, const T* dy, const T* gamma, const T* save_mean,
                         const T* save_inv_std, std::int64_t batch, std::int64_t channels,
                         std::int64_t spatial, double /*epsilon*/, T* dx, T* dgamma, T* dbeta) {
  const double m = static_cast<double>(batch * spatial);
  parallel_for(
      channels, channel_grain(batch, spatial, 6), [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t c = first; c < last; ++c) {
          const double mean = save_mean[c], inv_std = save_inv_std[c];
          double sum_g = 0.0, sum_gx = 0.0;
          for (std::int64_t n = 0; n < batch; ++n) {
            const std::int64_t base = (n * channels + c) * spatial;
            for (std::int64_t i = 0; i < spatial; ++i) {
              const double g = dy[base + i];
              sum_g += g;
              sum_gx += g * ((static_cast<double>(x[base + i]) - mean) * inv_std);
            }
          }
          dbeta[c] = static_cast<T>(sum_g);
          dgamma[c] = static_cast<T>(sum_gx);
          if (!dx) continue;
          const double k = static_cast<double>(gamma[c]) * inv_std;
          const double mean_g = sum_g / m, mean_gx = sum_gx / m;
          for (std::int64_t n = 0; n < batch; ++n) {
            const std::int64_t base = (n * channels + c) * spatial;
            for (std::int64_t i = 0; i < spatial; ++i) {
              const double xhat = (static_cast<double>(x[base + i]) - mean) * inv_std;
              dx[base + i] =
                  static_cast<T>(k * (static_cast<double>(dy[base + i]) - mean_g - xhat * mean_gx));
            }
          }
        }
      });
}

template <class T>
void batch_norm_update_moving(T* moving_mean, T* moving_variance, const T* batch_mean,
                              const T* batch_variance, std::int64_t channels, T decay) {
  for (std::int64_t c = 0; c < channels; ++c) {
    const T dm = (moving_mean[c] - batch_mean[c]) * decay;
    moving_mean[c] = moving_mean[c] - dm;
    const T dv = (moving_variance[c] - batch_variance[c]) * decay;
    moving_variance[c] = moving_variance[c] - dv;
  }
}

#define DEEPOBS_INSTANTIATE(T)                                                                    \
  template void batch_norm_forward_train<T>(const T*, const T*, const T*, std::int64_t,           \
                                            std::int64_t, std::int64_t, double, T*, T*, T*, T*,   \
                                            T*);                                                  \
  template void batch_norm_forward_inference<T>(const T*, const T*, const T*, const T*, const T*, \
                                                std::int64_t, std::int64_t, std::int64_t, double, \
                                                T*);                                              \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*,          \
                                       std::int64_t, std::int64_t, std::int64_t, double, T*, T*,  \
                                       T*);                                                       \
  template void batch_norm_update_moving<T>(T*, T*, const T*, const T*, std::int64_t, T);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
