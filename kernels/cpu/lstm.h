// One LSTM layer over a whole sequence on the CPU, TF LSTMCell semantics (kernels/lstm_shape.h):
// one GEMM for the input part of every step, then per step one GEMM for the recurrent part and
// one fused pass of gate math. The CUDA implementation (kernels/cuda/lstm.h, cuDNN) takes the
// same arguments, so an op calls either through the one device switch.
#pragma once

#include "kernels/lstm_shape.h"

namespace deepobs::kernels::cpu {

// weight_bytes 0 (the CPU reads TF's kernel directly); reserve: the activated gates [steps,
// batch, 4·hidden] and the cells [steps, batch, hidden], in T.
template <class T>
LstmSpaceSizes lstm_space_sizes(const LstmShape& s);

// y, h_out, c_out from x, h0, c0, kernel, bias (layouts in lstm_shape.h). `reserve` (of
// lstm_space_sizes bytes, T-aligned) receives what lstm_backward reads; weight_space is unused.
template <class T>
void lstm_forward(const LstmShape& s, T forget_bias, const T* x, const T* h0, const T* c0,
                  const T* kernel, const T* bias, T* y, T* h_out, T* c_out, void* weight_space,
                  void* reserve);

// The gradients of one lstm_forward call: dy [batch, steps, hidden], dh_out and dc_out
// [batch, hidden] are the upstream gradients (dh_out / dc_out may be null: zero). Writes dx, dh0,
// dc0, dkernel, dbias (overwritten, not accumulated). `reserve` is the forward's and is
// overwritten (it holds the gate gradients afterwards); weight_space and dweight_space are unused.
template <class T>
void lstm_backward(const LstmShape& s, const T* x, const T* h0, const T* c0, const T* kernel,
                   const T* y, const T* dy, const T* dh_out, const T* dc_out,
                   const void* weight_space, void* reserve, T* dx, T* dh0, T* dc0, T* dkernel,
                   T* dbias, void* dweight_space);

}  // namespace deepobs::kernels::cpu
