#include "layers/dropout.h"

#include "core/ops/dropout.h"

namespace deepobs::layers {

Dropout::Dropout(double rate, std::uint64_t seed, std::uint32_t stream_index, const Tensor& step)
    : rate_(rate), gen_(seed, RngPurpose::Dropout, stream_index), step_(step) {
  DEEPOBS_CHECK(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got ", rate);
  DEEPOBS_CHECK(step.defined() && step.dtype() == DType::I64 && step.numel() == 1,
                "Dropout: the step counter must be one i64, got ", step.str());
}

Tensor Dropout::forward(const Tensor& x) {
  if (mode() == ForwardMode::Eval) return x;
  return ops::dropout(x, rate_, gen_, step_);
}

}  // namespace deepobs::layers
