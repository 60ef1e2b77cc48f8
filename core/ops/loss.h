// Classification loss and accuracy (SPEC §1.2: problems return a per-example loss vector; the
// runner averages it).
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

// Per-example softmax cross-entropy with optional label smoothing.
//   logits [N, C], f32 or f64; labels [N], i32 or i64, each in [0, C), on the same device;
//   label_smoothing ε in [0, 1]: the target of row n is onehot(label_n)·(1 − ε) + ε/C (Inception
//   uses ε = 0.1, SPEC §3.9).
// Returns loss [N] (logits' dtype): loss_n = −Σ_c target_nc · log softmax(logits_n)_c, computed
// through a max-shifted log-sum-exp, so large logits neither overflow nor lose the loss. N = 0
// gives an empty result. Gradient (w.r.t. logits only; labels are data): (softmax − target)·g_n,
// from one fused pass that reuses the log-sum-exp saved by the forward pass.
// Throws deepobs::Error naming the op for a wrong rank, dtype or device, a row count that differs
// between logits and labels, C = 0, ε outside [0, 1], and for a label outside [0, C) — the message
// then names the first such row and its label.
// On a CUDA device (f32 logits only) the labels are not read back to the host, so that no step
// waits for the GPU: a label outside [0, C) makes its row's loss and gradient NaN instead of
// throwing (the runner stops on the non-finite loss); accuracy still throws the message above.
Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels,
                             double label_smoothing = 0.0);

// Fraction of rows whose arg-max logit equals the label, in [0, 1]. Ties go to the first (lowest)
// index, as numpy.argmax and tf.argmax; a row that holds a NaN counts as wrong. Not
// differentiable and never recorded. Same argument rules as softmax_cross_entropy; also throws
// for N = 0 (no fraction exists).
double accuracy(const Tensor& logits, const Tensor& labels);

}  // namespace deepobs::ops
