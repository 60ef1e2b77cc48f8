// Tensor shapes: a list of extents, outermost first (row-major). Images are NCHW.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deepobs {

using Shape = std::vector<std::int64_t>;

// Product of the extents (1 for a scalar shape {}). Throws deepobs::Error on a negative extent.
std::int64_t shape_numel(const Shape& shape);
// "[2,3,8,8]".
std::string shape_str(const Shape& shape);

}  // namespace deepobs
