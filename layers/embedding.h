// An embedding table as a layer (tf.get_variable("embedding", [vocabulary, width]) +
// tf.nn.embedding_lookup).
#pragma once

#include "core/module.h"
#include "layers/initializer.h"

namespace deepobs::layers {

class Embedding : public Module {
 public:
  // Draws the table [vocabulary, width] from `gen` with `init` (TF's get_variable default:
  // glorot_uniform over fans (vocabulary, width)). Not regularised.
  Embedding(std::int64_t vocabulary, std::int64_t width, PhiloxGenerator& gen,
            Initializer init = Initializer::glorot_uniform(), int layer_index = -1,
            DType dtype = DType::F32);
  // ids: i64 of any shape → ids.shape + [width].
  Tensor forward(const Tensor& ids) const;
  const Tensor& table() const { return table_; }

 private:
  Tensor table_;
};

}  // namespace deepobs::layers
