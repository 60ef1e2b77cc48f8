#include "core/shape.h"

#include "core/error.h"

namespace deepobs {

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) {
    DEEPOBS_CHECK(d >= 0, "shape ", shape_str(shape), " has a negative extent");
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace deepobs
