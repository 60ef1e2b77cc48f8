#include "core/ops/activation.h"

#include "core/ops/elementwise_detail.h"

namespace deepobs::ops {

using kernels::cpu::UnaryOp;

Tensor relu(const Tensor& x) {
  return detail::unary_op("relu", UnaryOp::kRelu, x, 0.0, detail::Saves::kOutput);
}

Tensor leaky_relu(const Tensor& x, double slope) {
  // Written so that a NaN slope fails too.
  DEEPOBS_CHECK(slope >= 0.0 && slope < 1.0, "leaky_relu: slope must be in [0, 1), got ", slope,
                " (max(x, slope·x) is not a leaky ReLU outside that range)");
  return detail::unary_op("leaky_relu", UnaryOp::kLeakyRelu, x, slope, detail::Saves::kInput);
}

Tensor sigmoid(const Tensor& x) {
  return detail::unary_op("sigmoid", UnaryOp::kSigmoid, x, 0.0, detail::Saves::kOutput);
}

Tensor tanh(const Tensor& x) {
  return detail::unary_op("tanh", UnaryOp::kTanh, x, 0.0, detail::Saves::kOutput);
}

}  // namespace deepobs::ops
