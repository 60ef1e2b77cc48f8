// Embedding lookup (tf.nn.embedding_lookup on a [vocabulary, width] table).
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

// table: f32/f64 [V, E]; ids: i64 of any shape on the table's device, each in [0, V). Returns
// ids.shape + [E], row n = table[ids[n]]. The gradient of the table is a deterministic
// scatter-add (rows added in increasing n, no atomics: the same bits on every run and on both
// devices); ids get none. On the CPU a bad id throws deepobs::Error naming it; on a GPU (where
// checking would cost a synchronisation) its row becomes NaN.
Tensor embedding(const Tensor& table, const Tensor& ids);

}  // namespace deepobs::ops
