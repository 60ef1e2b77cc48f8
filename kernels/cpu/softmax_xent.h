// Softmax cross-entropy with integer labels and label smoothing, fused, on the CPU.
//
// Layout: logits x [n, classes] row-major, labels [n]. With smoothing ε the target of row i is
// t = (1 − ε)·onehot(label_i) + ε/classes, and since Σ_c t_c = 1 the loss needs no softmax:
//   loss_i = lse_i − (1 − ε)·x[i, label_i] − ε·mean_c x[i, c],   lse_i = log Σ_c exp(x[i, c])
// with lse computed as max + log Σ exp(x − max), so no exp overflows. The forward pass keeps lse
// (one value per row) for the backward pass, which is then a single sweep over the logits. Per-row
// sums are accumulated in double. Rows are independent and run in parallel (OpenMP), each on one
// thread, so the result does not depend on the thread count. A NaN logit makes its row's loss NaN.
//
// The caller validates the labels (first_bad_label) before calling the forward and backward
// kernels, which index with them unchecked. T is float or double, L is int32_t or int64_t; all
// buffers are caller-owned and outputs are overwritten.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cpu {

// Index of the first row whose label is outside [0, classes), or −1 if all are valid.
template <class L>
std::int64_t first_bad_label(const L* labels, std::int64_t n, std::int64_t classes);

// loss [n] and lse [n] as above; 0 ≤ smoothing ≤ 1.
template <class T, class L>
void softmax_xent_forward(const T* logits, const L* labels, std::int64_t n, std::int64_t classes,
                          T smoothing, T* loss, T* lse);

// dlogits[i, c] = (exp(x[i, c] − lse_i) − t[i, c]) · grad_loss[i]: the gradient of Σ_i g_i·loss_i.
template <class T, class L>
void softmax_xent_backward(const T* logits, const L* labels, const T* lse, const T* grad_loss,
                           std::int64_t n, std::int64_t classes, T smoothing, T* dlogits);

// Number of rows whose arg-max (the first index on ties) equals the label. A row that holds a NaN
// never counts: a diverged model earns no accuracy by accident.
template <class T, class L>
std::int64_t count_correct(const T* logits, const L* labels, std::int64_t n, std::int64_t classes);

}  // namespace deepobs::kernels::cpu
