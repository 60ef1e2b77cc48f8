#include "layers/embedding.h"

#include "core/ops/embedding.h"

namespace deepobs::layers {

Embedding::Embedding(std::int64_t vocabulary, std::int64_t width, PhiloxGenerator& gen,
                     Initializer init, int layer_index, DType dtype) {
  DEEPOBS_CHECK(vocabulary >= 1 && width >= 1, "Embedding: sizes must be positive, got ",
                vocabulary, "×", width);
  Tensor t = Tensor::empty({vocabulary, width}, dtype);
  init.apply(t, init::dense_fans(t.shape()), gen);
  table_ = register_parameter("table", t, {ParamKind::Embedding, false, layer_index});
}

Tensor Embedding::forward(const Tensor& ids) const {
  return ops::embedding(table_, ids);
}

}  // namespace deepobs::layers
