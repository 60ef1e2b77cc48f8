// "Did you mean …?" for unknown names (problems, optimizers, hyperparameters, flags).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deepobs {

// The element of `candidates` closest to `name` by edit distance (Levenshtein, ASCII case
// ignored), if it is close enough to be a plausible typo: distance ≤ max(2, longer length / 2),
// or one contains the other. Ties go to the earlier candidate. Used for "did you mean" hints.
std::optional<std::string> closest_name(std::string_view name,
                                        const std::vector<std::string>& candidates);

}  // namespace deepobs
