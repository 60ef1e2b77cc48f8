// JSON text exactly as Python's json.dump writes it, so that our result files read (and look) like
// DeepOBS's: floats in Python's repr, NaN/Infinity as the bare tokens DeepOBS writes, separators
// ", " and ": ", key order preserved.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace deepobs::runner {

// indent < 0: one line (json.dump(obj), DeepOBS v1.1); indent >= 0: json.dump(obj, indent=n)
// (DeepOBS v1.2 uses 4).
std::string dump_python_json(const nlohmann::ordered_json& value, int indent = -1);

// Parses JSON as Python's json.load reads it: the bare tokens NaN, Infinity and -Infinity (which
// DeepOBS and our result files use for diverged values) are accepted and become null, since
// nlohmann::json cannot hold them. Throws nlohmann::json::parse_error for anything else invalid.
nlohmann::ordered_json parse_python_json(const std::string& text);

}  // namespace deepobs::runner
