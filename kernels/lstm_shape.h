// The geometry of one LSTM layer run over a whole sequence, shared by the CPU twin
// (kernels/cpu/lstm.h) and the cuDNN implementation (kernels/cuda/lstm.h).
//
// Layouts (all contiguous, row-major):
//   x       [batch, steps, input]    batch-major: row b of a mini-batch is one text chunk
//   y       [batch, steps, hidden]   h_t of every step
//   h, c    [batch, hidden]          initial / final states
//   kernel  [input + hidden, 4·hidden]  TF's LSTMCell kernel: rows 0..input−1 multiply x_t, the
//                                     rest h_{t−1}; column blocks are the gates (i, j, f, o) in
//                                     TF's order (j = the candidate)
//   bias    [4·hidden]               TF's one bias vector, same gate order
// TF LSTMCell semantics: z = [x_t, h_{t−1}]·kernel + bias, split (i, j, f, o);
//   c_t = c_{t−1}·σ(f + forget_bias) + σ(i)·tanh(j),  h_t = tanh(c_t)·σ(o).
#pragma once

#include <cstddef>
#include <cstdint>

namespace deepobs::kernels {

struct LstmShape {
  std::int64_t batch = 0, steps = 0, input = 0, hidden = 0;
};

// Device memory a backend needs beside the tensors: the packed weights of the backend's own
// layout (0 on the CPU, which reads TF's kernel directly) and the space the forward pass leaves
// for the backward pass (activated gates and cells on the CPU, cuDNN's reserve space on a GPU).
struct LstmSpaceSizes {
  std::size_t weight_bytes = 0;
  std::size_t reserve_bytes = 0;
};

}  // namespace deepobs::kernels
