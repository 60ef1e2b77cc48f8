// One LSTM layer over a whole sequence, TF LSTMCell semantics (SPEC §3.10): the CPU twin is a
// loop of Eigen GEMMs with fused gate math (kernels/cpu/lstm.h), a GPU runs cuDNN's RNN API
// (kernels/cuda/lstm.h). Gates i, j, f, o in TF's order, forget_bias added to the forget gate's
// pre-activation, one bias vector, no peepholes, no clipping.
#pragma once

#include "core/tensor.h"

namespace deepobs::ops {

struct LstmResult {
  Tensor y;  // [B, S, H]: h_t of every step
  Tensor h;  // [B, H]: the final state, h_S and c_S
  Tensor c;
};

// x [B, S, I] (batch-major), h0 and c0 [B, H], kernel [I + H, 4H] (TF's: rows 0..I−1 multiply
// x_t, the rest h_{t−1}; column blocks i, j, f, o), bias [4H]; all of one floating dtype on one
// device (f32 on a GPU). Recorded as one node with three outputs: gradients may arrive at any of
// y, h and c, and flow to x, h0, c0, kernel and bias. Throws deepobs::Error naming the shapes.
LstmResult lstm(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& kernel,
                const Tensor& bias, double forget_bias);

}  // namespace deepobs::ops
