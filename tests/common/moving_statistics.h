// The batch norms' moving statistics of a model, for tests that check which forward modes update
// them (layers/batch_norm.h: Train only).
#pragma once

#include <string>
#include <vector>

#include "core/module.h"

namespace deepobs::testing {

// Every buffer whose name contains "moving_" (moving_mean, moving_variance), concatenated in the
// model's buffer order, copied to the host.
inline std::vector<float> moving_statistics(Module& model) {
  std::vector<float> out;
  for (const auto& b : model.named_buffers())
    if (b.name.find("moving_") != std::string::npos) {
      const auto v = b.buffer->to_vector<float>();
      out.insert(out.end(), v.begin(), v.end());
    }
  return out;
}

}  // namespace deepobs::testing
