#include "kernels/cpu/optimizer_updates.h"

#include <cmath>

namespace deepobs::kernels::cpu {
namespace {

// Below this many elements the loop runs on one thread: starting the OpenMP team costs more than
// the update of a small model (the quadratic and 2-D problems have a handful of parameters).
constexpr std::int64_t kParallelMin = std::int64_t{1} << 15;

}  // namespace

template <class T>
void sgd_update(T* param, const T* grad, std::int64_t n, T lr) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) {
    param[i] -= lr * grad[i];
  }
}

template <class T>
void momentum_update(T* param, const T* grad, T* accum, std::int64_t n, T lr, T momentum,
                     bool nesterov) {
  // Two loops rather than a branch inside one, so each stays a straight vectorisable body.
  if (nesterov) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (std::int64_t i = 0; i < n; ++i) {
      const T a = momentum * accum[i] + grad[i];
      accum[i] = a;
      param[i] -= lr * (grad[i] + momentum * a);
    }
  } else {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
    for (std::int64_t i = 0; i < n; ++i) {
      const T a = momentum * accum[i] + grad[i];
      accum[i] = a;
      param[i] -= lr * a;
    }
  }
}

template <class T>
void adam_update(T* param, const T* grad, T* m, T* v, std::int64_t n, T lr_t, T beta1, T beta2,
                 T epsilon) {
  const T one_minus_beta1 = T(1) - beta1;
  const T one_minus_beta2 = T(1) - beta2;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (std::int64_t i = 0; i < n; ++i) {
    const T g = grad[i];
    const T mi = beta1 * m[i] + one_minus_beta1 * g;
    const T vi = beta2 * v[i] + one_minus_beta2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    param[i] -= lr_t * mi / (std::sqrt(vi) + epsilon);
  }
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
