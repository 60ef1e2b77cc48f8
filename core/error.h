// Errors raised by the engine. Every check names the operation and the offending values so that a
// user sees "conv2d: input [2,3,8,8] has 3 channels but weight [4,2,3,3] expects 2" rather than a
// crash or a silent wrong answer.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace deepobs {

// The one exception type the engine throws for invalid use (bad shapes, dtypes, devices, values).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Concatenates any streamable values into a string: cat("conv2d: ", 3, " channels").
template <class... Args>
std::string cat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

}  // namespace deepobs

// Throws deepobs::Error with the concatenated message when `cond` is false.
#define DEEPOBS_CHECK(cond, ...)                                      \
  do {                                                                \
    if (!(cond)) throw ::deepobs::Error(::deepobs::cat(__VA_ARGS__)); \
  } while (0)
