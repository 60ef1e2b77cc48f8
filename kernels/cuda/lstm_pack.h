// Copies between TF's LSTMCell weights (kernel [input+hidden, 4·hidden], bias [4·hidden], gates
// i, j, f, o) and cuDNN's weight space (kernels/cuda/lstm.h). Internal to kernels/cuda; CUDA-free.
#pragma once

#include <cstdint>

#include "kernels/lstm_shape.h"

namespace deepobs::kernels::cuda {

class KernelContext;

// Element offsets (in floats, from the weight space's start) of cuDNN's matrices and biases, per
// cuDNN gate (0 i, 1 f, 2 g, 3 o): W [hidden, input] row-major, R [hidden, hidden] row-major,
// b [hidden].
struct LstmWeightOffsets {
  std::int64_t w[4] = {}, r[4] = {}, b[4] = {};
};

// weight_space ← (kernel, bias + forget_bias on the f gate).
void lstm_pack_weights(KernelContext& ctx, const LstmShape& s, const LstmWeightOffsets& off,
                       float forget_bias, const float* kernel, const float* bias,
                       float* weight_space);
// (dkernel, dbias) ← dweight_space (overwrites both).
void lstm_unpack_gradients(KernelContext& ctx, const LstmShape& s, const LstmWeightOffsets& off,
                           const float* dweight_space, float* dkernel, float* dbias);

}  // namespace deepobs::kernels::cuda
