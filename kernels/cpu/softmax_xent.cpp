#include "kernels/cpu/softmax_xent.h"

#include <cmath>
#include <cstddef>

#include "kernels/cpu/parallel.h"
namespace deepobs::kernels::cpu {
namespace {

template <class T>
T row_max(const T* x, std::int64_t classes) {
  T m = x[0];
  // `!(v <= m)` also takes a NaN, which then stays: a NaN row yields a NaN loss.
  for (std::int64_t c = 1; c < classes; ++c)
    if (!(x[c] <= m)) m = x[c];
  return m;
}

}  // namespace

template <class L>
std::int64_t first_bad_label(const L* labels, std::int64_t n, std::int64_t classes) {
  for (std::int64_t i = 0; i < n; ++i) {
    const auto v = static_cast<std::int64_t>(labels[i]);
    if (v < 0 || v >= classes) return i;
  }
  return -1;
}

template <class T, class L>
void softmax_xent_forward(const T* logits, const L* labels, std::int64_t n, std::int64_t classes,
                          T smoothing, T* loss, T* lse) {
  const double eps = static_cast<double>(smoothing);
  parallel_for(n, grain_for_work(16.0 * static_cast<double>(classes)),
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t i = first; i < last; ++i) {
                   const T* x = logits + i * classes;
                   const T m = row_max(x, classes);
                   double s = 0.0;
                   for (std::int64_t c = 0; c < classes; ++c)
                     s += static_cast<double>(std::exp(x[c] - m));
                   const double l = static_cast<double>(m) + std::log(s);
                   double value = l - (1.0 - eps) * static_cast<double>(x[labels[i]]);
                   // Skipped for ε = 0 so that an infinite logit elsewhere in the row cannot turn
                   // 0·inf into NaN.
                   if (eps != 0.0) {
                     double sum_x = 0.0;
                     for (std::int64_t c = 0; c < classes; ++c)
                       sum_x += static_cast<double>(x[c]);
                     value -= eps * sum_x / static_cast<double>(classes);
                   }
                   loss[i] = static_cast<T>(value);
                   lse[i] = static_cast<T>(l);
                 }
               });
}

template <class T, class L>
void softmax_xent_backward(const T* logits, const L* labels, const T* lse, const T* grad_loss,
                           std::int64_t n, std::int64_t classes, T smoothing, T* dlogits) {
  const T off = smoothing / static_cast<T>(classes);  // the target of every non-label class
  const T on = T(1) - smoothing + off;                // the target of the label class
  parallel_for(n, grain_for_work(16.0 * static_cast<double>(classes)),
               [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t i = first; i < last; ++i) {
                   const T* x = logits + i * classes;
                   T* d = dlogits + i * classes;
                   const T g = grad_loss[i], l = lse[i];
                   for (std::int64_t c = 0; c < classes; ++c)
                     d[c] = (std::exp(x[c] - l) - off) * g;
                   const auto y = static_cast<std::int64_t>(labels[i]);
                   d[y] = (std::exp(x[y] - l) - on) * g;
                 }
               });
}

template <class T, class L>
std::int64_t count_correct(const T* logits, const L* labels, std::int64_t n, std::int64_t classes) {
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const T* x = logits + i * classes;
    std::int64_t best = 0;
    bool nan = std::isnan(x[0]);
    for (std::int64_t c = 1; c < classes; ++c) {
      if (std::isnan(x[c])) nan = true;
      if (x[c] > x[best]) best = c;  // strict: the first maximum wins ties
    }
    if (!nan && best == static_cast<std::int64_t>(labels[i])) ++correct;
  }
  return correct;
}

template std::int64_t first_bad_label<std::int32_t>(const std::int32_t*, std::int64_t,
                                                    std::int64_t);
template std::int64_t first_bad_label<std::int64_t>(const std::int64_t*, std::int64_t,
                                                    std::int64_t);

#define DEEPOBS_INSTANTIATE(T, L)                                                                 \
  template void softmax_xent_forward<T, L>(const T*, const L*, std::int64_t, std::int64_t, T, T*, \
                                           T*);                                                   \
  template void softmax_xent_backward<T, L>(const T*, const L*, const T*, const T*, std::int64_t, \
                                            std::int64_t, T, T*);                                 \
  template std::int64_t count_correct<T, L>(const T*, const L*, std::int64_t, std::int64_t);
DEEPOBS_INSTANTIATE(float, std::int32_t)
DEEPOBS_INSTANTIATE(float, std::int64_t)
DEEPOBS_INSTANTIATE(double, std::int32_t)
DEEPOBS_INSTANTIATE(double, std::int64_t)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
