// An LSTM layer with TF's LSTMCell parameters and a carried state (SPEC §3.10).
//
// Parameters: "kernel" [input + hidden, 4·hidden] (glorot_uniform over those fans, TF's default)
// and "bias" [4·hidden] (zeros), gates i, j, f, o in TF's order; forget_bias (1.0) is a constant
// added to the forget gate, not a parameter. So counts and initial values are TF's.
//
// State lifecycle (DeepOBS's char-RNN keeps c and h of each layer in non-trainable variables):
//   - The carried state (h, c) [batch, hidden] is per-phase state (Module::register_state), so
//     Problem::start zeroes it at every phase start. It is registered at the first forward pass,
//     on the batch's device and with the batch's size (the layer learns the batch size there).
//   - Train and Eval run from the carried state and replace it by the final state, detached
//     (Tensor::detach): the next batch starts where this one ended, and no gradient flows across
//     batches (the 50-step unroll is the truncation). DeepOBS carries it through evaluation too.
//   - Train also keeps the state it started from; Closure (an optimizer's loss closure) runs from
//     that and leaves the carried state alone, so it evaluates exactly the function the step
//     differentiated, however often it is called.
#pragma once

#include "core/module.h"
#include "core/ops/lstm.h"
#include "core/random/philox_generator.h"

namespace deepobs::layers {

struct LstmOptions {
  double forget_bias = 1.0;  // TF LSTMCell's default
  int layer_index = -1;
  DType dtype = DType::F32;
};

class Lstm : public Module {
 public:
  // Draws the kernel from `gen` (the bias is zeros and draws nothing). input, hidden ≥ 1.
  Lstm(std::int64_t input, std::int64_t hidden, const LstmOptions& options, PhiloxGenerator& gen);
  // Stateless: the sequence x [B, S, input] from (h0, c0) [B, hidden].
  ops::LstmResult run(const Tensor& x, const Tensor& h0, const Tensor& c0) const;
  // Stateful (see above): x [B, S, input] → y [B, S, hidden]. Throws deepobs::Error when B
  // differs from the batch size the state was registered with.
  Tensor forward(const Tensor& x);
  // The carried state (undefined before the first forward pass).
  const Tensor& state_h() const { return h_; }
  const Tensor& state_c() const { return c_; }
  const Tensor& kernel() const { return kernel_; }
  const Tensor& bias() const { return bias_; }
  std::int64_t hidden() const { return hidden_; }

 private:
  std::int64_t input_, hidden_;
  double forget_bias_;
  Tensor kernel_, bias_;
  Tensor h_, c_;            // carried state
  Tensor step_h_, step_c_;  // the state the last Train pass started from (Closure's)
};

}  // namespace deepobs::layers
