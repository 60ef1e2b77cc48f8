// Reading an integer from a command-line value, for every command's flags.
#pragma once

#include <exception>
#include <optional>
#include <string>

namespace deepobs::runner {

// The integer `text` spells when the whole of it is one (std::stoll's syntax: optional leading
// whitespace and sign, decimal digits) and it fits a long long; nothing otherwise ("", "3x", "1e3",
// "99999999999999999999"). Callers say what is wrong, and which bounds apply, in their own words.
inline std::optional<long long> parse_integer(const std::string& text) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace deepobs::runner
