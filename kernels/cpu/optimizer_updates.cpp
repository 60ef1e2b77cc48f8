#include "kernels/cpu/optimizer_updates.h"

#include <cmath>

#include "kernels/cpu/parallel.h"

namespace deepobs::kernels::cpu {
namespace {

// Elements per range: an update touches 3–5 values per element, so a range of 2^14 elements is
// about kMinRangeWork; the small models (quadratic, 2-D problems) stay on the calling thread.
constexpr std::int64_t kGrain = std::int64_t{1} << 14;

}  // namespace

template <class T>
void sgd_update(T* param, const T* grad, std::int64_t n, T lr) {
  parallel_for(n, kGrain, [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i)
      param[i] -= lr * grad[i];
  });
}

template <class T>
void momentum_update(T* param, const T* grad, T* accum, std::int64_t n, T lr, T momentum,
                     bool nesterov) {
  // Two loops rather than a branch inside one, so each stays a straight vectorisable body.
  if (nesterov) {
    parallel_for(n, kGrain, [=](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const T a = momentum * accum[i] + grad[i];
        accum[i] = a;
        param[i] -= lr * (grad[i] + momentum * a);
      }
    });
  } else {
    parallel_for(n, kGrain, [=](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const T a = momentum * accum[i] + grad[i];
        accum[i] = a;
        param[i] -= lr * a;
      }
    });
  }
}

template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, std::int64_t n, T lr_t, T beta1, T beta2,
                 T epsilon) {
  const T one_minus_beta1 = T(1) - beta1;
  const T one_minus_beta2 = T(1) - beta2;
  parallel_for(n, kGrain, [=](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const T g = grad[i];
      const T mi = beta1 * m[i] + one_minus_beta1 * g;
      const T vi = beta2 * v[i] + one_minus_beta2 * (g * g);
      m[i] = mi;
      v[i] = vi;
      param[i] -= lr_t * mi / (std::sqrt(vi) + epsilon);
    }
  });
}

double adam_step_size(double lr, double beta1, double beta2, std::int64_t t) {
  const double td = static_cast<double>(t);
  return lr * std::sqrt(1.0 - std::pow(beta2, td)) / (1.0 - std::pow(beta1, td));
}

#define DEEPOBS_INSTANTIATE(T)                                                  \
  template void sgd_update<T>(T*, const T*, std::int64_t, T);                   \
  template void momentum_update<T>(T*, const T*, T*, std::int64_t, T, T, bool); \
  template void adam_update<T>(T*, const T*, T*, T*, std::int64_t, T, T, T, T);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
