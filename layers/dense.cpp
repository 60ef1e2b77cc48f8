#include "layers/dense.h"

#include "core/ops/linear.h"

namespace deepobs::layers {

Dense::Dense(std::int64_t in, std::int64_t out, const DenseOptions& options, PhiloxGenerator& gen) {
  DEEPOBS_CHECK(in >= 1 && out >= 1, "Dense: sizes must be positive, got ", in, "→", out);
  Tensor w = Tensor::empty({in, out}, options.dtype);
  options.kernel_init.apply(w, init::dense_fans(w.shape()), gen);
  weight_ = register_parameter("weight", w,
                               {ParamKind::Weight, options.regularised, options.layer_index});
  if (options.bias_init) {
    Tensor b = Tensor::empty({out}, options.dtype);
    options.bias_init->apply(b, init::vector_fans(b.shape()), gen);
    bias_ = register_parameter("bias", b, {ParamKind::Bias, false, options.layer_index});
  }
}

Tensor Dense::forward(const Tensor& x) const {
  return ops::dense(x, weight_, bias_);
}

}  // namespace deepobs::layers
