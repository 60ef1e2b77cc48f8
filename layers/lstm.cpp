#include "layers/lstm.h"

#include "layers/initializer.h"

namespace deepobs::layers {

Lstm::Lstm(std::int64_t input, std::int64_t hidden, const LstmOptions& options,
           PhiloxGenerator& gen)
    : input_(input), hidden_(hidden), forget_bias_(options.forget_bias) {
  DEEPOBS_CHECK(input >= 1 && hidden >= 1, "Lstm: sizes must be positive, got input ", input,
                ", hidden ", hidden);
  Tensor k = Tensor::empty({input + hidden, 4 * hidden}, options.dtype);
  Initializer::glorot_uniform().apply(k, init::dense_fans(k.shape()), gen);
  kernel_ = register_parameter("kernel", k, {ParamKind::Recurrent, false, options.layer_index});
  bias_ = register_parameter("bias", Tensor::zeros({4 * hidden}, options.dtype),
                             {ParamKind::Bias, false, options.layer_index});
}

ops::LstmResult Lstm::run(const Tensor& x, const Tensor& h0, const Tensor& c0) const {
  return ops::lstm(x, h0, c0, kernel_, bias_, forget_bias_);
}

Tensor Lstm::forward(const Tensor& x) {
  DEEPOBS_CHECK(x.dim() == 3 && x.size(2) == input_, "Lstm: input ", x.str(), " must be [B, S, ",
                input_, "]");
  const std::int64_t batch = x.size(0);
  if (!h_.defined()) {
    const Tensor zeros = Tensor::zeros({batch, hidden_}, x.dtype(), x.device());
    h_ = register_state("state_h", zeros.clone());
    c_ = register_state("state_c", zeros.clone());
    step_h_ = register_state("step_h", zeros.clone());
    step_c_ = register_state("step_c", zeros);
  }
  DEEPOBS_CHECK(h_.size(0) == batch, "Lstm: a batch of ", batch,
                " sequences, but the carried state holds ", h_.size(0),
                " (a stateful LSTM needs the same batch size in every phase)");
  // Fresh copies as the op's inputs: the node saves them, and the state tensors are overwritten.
  const bool closure = mode() == ForwardMode::Closure;
  const Tensor h0 = closure ? step_h_.clone() : h_.clone();
  const Tensor c0 = closure ? step_c_.clone() : c_.clone();
  if (mode() == ForwardMode::Train) {
    step_h_.copy_from(h0);
    step_c_.copy_from(c0);
  }
  ops::LstmResult r = run(x, h0, c0);
  if (!closure) {
    h_.copy_from(r.h.detach());
    c_.copy_from(r.c.detach());
  }
  return r.y;
}

}  // namespace deepobs::layers
