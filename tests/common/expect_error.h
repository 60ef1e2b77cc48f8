// Bad-input tests: the engine must throw deepobs::Error with a message that names the op and the
// offending values.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace deepobs::testing {

// Expects `fn` to throw deepobs::Error whose message contains every string in `parts`.
void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts);

}  // namespace deepobs::testing
