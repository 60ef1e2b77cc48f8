// One LSTM layer over a whole sequence on a GPU through cuDNN's RNN API (cudnnRNNForward,
// cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8), with the arguments of the CPU twin
// (kernels/cpu/lstm.h) and TF LSTMCell semantics (kernels/lstm_shape.h). CUDA-free header: device
// pointers of ctx's device, f32, asynchronous on ctx's stream; cuDNN failures throw CudaError.
//
// Weights: the model keeps TF's kernel [input+hidden, 4·hidden] (gates i, j, f, o) and bias
// [4·hidden] in the flat parameter buffer; every forward copies them into cuDNN's weight space
// (weight_space, lstm_space_sizes().weight_bytes) with one kernel: cuDNN's gate order (i, f, g,
// o) is TF's (i, f=2, j=1, o), each gate's input matrix W [hidden, input] and recurrent matrix
// R [hidden, hidden] are the transposed kernel blocks, and the single input bias
// (CUDNN_RNN_SINGLE_INP_BIAS) is TF's bias with forget_bias added to the f block, so cuDNN's plain
// LSTM formulas compute TF's cell. The backward pass writes cuDNN's weight gradients into
// dweight_space (zeroed first: cudnnRNNBackwardWeights_v8 accumulates) and copies them back into
// TF's layout; the constant forget_bias has no gradient. Offsets come from
// cudnnGetRNNWeightParams (the sizes it reports are checked); that each gate matrix is row-major
// [hidden, cols] is cuDNN's documented layout, and the GPU twin tests (op table, char-RNN)
// would fail on any other.
//
// Math: strict FP32 (CUDNN_FMA_MATH) unless the context's policies allow TF32;
// CUDNN_RNN_ALGO_STANDARD, one layer, unidirectional, no cuDNN dropout (the model applies TF's
// DropoutWrapper masks between layers itself).
#pragma once

#include "kernels/lstm_shape.h"

namespace deepobs::kernels::cuda {

class KernelContext;

// weight_bytes: cuDNN's weight space; reserve_bytes: cuDNN's training reserve space.
LstmSpaceSizes lstm_space_sizes(KernelContext& ctx, const LstmShape& s);

// weight_space and reserve: device buffers of lstm_space_sizes bytes (256-byte aligned), kept
// unchanged for lstm_backward.
void lstm_forward(KernelContext& ctx, const LstmShape& s, float forget_bias, const float* x,
                  const float* h0, const float* c0, const float* kernel, const float* bias,
                  float* y, float* h_out, float* c_out, void* weight_space, void* reserve);

// dy is required (cuDNN reads it); dh_out / dc_out may be null (zero). dkernel and dbias are
// overwritten. dweight_space: scratch of weight_bytes.
void lstm_backward(KernelContext& ctx, const LstmShape& s, const float* x, const float* h0,
                   const float* c0, const float* kernel, const float* y, const float* dy,
                   const float* dh_out, const float* dc_out, const void* weight_space,
                   void* reserve, float* dx, float* dh0, float* dc0, float* dkernel, float* dbias,
                   void* dweight_space);

}  // namespace deepobs::kernels::cuda
