#include "layers/initializer.h"

#include "core/error.h"

namespace deepobs::layers {

void Initializer::apply(const Tensor& t, const init::Fans& fans, PhiloxGenerator& gen) const {
  switch (kind) {
    case Kind::Constant:
      init::constant_(t, value);
      return;
    case Kind::TruncatedNormal:
      init::truncated_normal_(t, value, gen);
      return;
    case Kind::GlorotUniform:
      init::glorot_uniform_(t, fans, gen);
      return;
    case Kind::GlorotNormal:
      init::glorot_normal_(t, fans, gen);
      return;
  }
}

std::string Initializer::str() const {
  switch (kind) {
    case Kind::Constant:
      return cat("constant(", value, ")");
    case Kind::TruncatedNormal:
      return cat("truncated_normal(", value, ")");
    case Kind::GlorotUniform:
      return "glorot_uniform";
    case Kind::GlorotNormal:
      return "glorot_normal";
  }
  return "?";
}

}  // namespace deepobs::layers
