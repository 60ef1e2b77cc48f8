// Softmax cross-entropy with integer labels and label smoothing, fused, on a CUDA device (f32
// logits), with the formulas of kernels/cpu/softmax_xent.h:
//   loss_i = lse_i − (1 − ε)·x[i, label_i] − ε·mean_c x[i, c],   lse_i = m_i + log Σ_c exp(x − m_i)
// One warp per row: each lane sums a strided subset of the row in double, and the lanes are
// combined by a fixed butterfly, so results are deterministic (they differ from the CPU's
// sequential double sums only in the last bits of a double before rounding to f32).
//
// Labels stay on the device and are not validated against the host (that would cost a
// synchronisation every step): a label outside [0, classes) never indexes memory; it makes that
// row's loss and lse NaN and its gradient row NaN, which the runner's divergence check stops on.
// count_correct, which synchronises anyway to return its count, also reports the first bad row so
// the caller can raise the CPU path's error. L is int32_t or int64_t. CUDA-free header: device
// pointers; everything runs on the context's stream.
#pragma once

#include <cstdint>

namespace deepobs::kernels::cuda {

class KernelContext;

// loss [n] and lse [n]; 0 ≤ smoothing ≤ 1. Returns without waiting.
template <class L>
void softmax_xent_forward(KernelContext& ctx, const float* logits, const L* labels, std::int64_t n,
                          std::int64_t classes, float smoothing, float* loss, float* lse);

// dlogits[i, c] = (exp(x[i, c] − lse_i) − t[i, c]) · grad_loss[i]. Returns without waiting.
template <class L>
void softmax_xent_backward(KernelContext& ctx, const float* logits, const L* labels,
                           const float* lse, const float* grad_loss, std::int64_t n,
                           std::int64_t classes, float smoothing, float* dlogits);

struct CorrectCount {
  std::int64_t correct = 0;          // rows whose first arg-max equals the label (NaN rows: never)
  std::int64_t first_bad_row = -1;   // first row with a label outside [0, classes), or −1
  std::int64_t first_bad_label = 0;  // that row's label
};
// Counts on the device, then waits for the stream and reads the result back.
template <class L>
CorrectCount count_correct(KernelContext& ctx, const float* logits, const L* labels, std::int64_t n,
                           std::int64_t classes);

}  // namespace deepobs::kernels::cuda
