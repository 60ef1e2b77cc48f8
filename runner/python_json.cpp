#include "runner/python_json.h"

#include <string_view>

#include "runner/number_format.h"

namespace deepobs::runner {
namespace {

void write(const nlohmann::ordered_json& v, int indent, int depth, std::string& out) {
  const auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  switch (v.type()) {
    case nlohmann::json::value_t::object: {
      if (v.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.items()) {
        if (!first) out += indent < 0 ? ", " : ",";
        first = false;
        newline(depth + 1);
        out += nlohmann::json(key).dump();
        out += ": ";
        write(item, indent, depth + 1, out);
      }
      newline(depth);
      out += '}';
      return;
    }
    case nlohmann::json::value_t::array: {
      if (v.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& item : v) {
        if (!first) out += indent < 0 ? ", " : ",";
        first = false;
        newline(depth + 1);
        write(item, indent, depth + 1, out);
      }
      newline(depth);
      out += ']';
      return;
    }
    case nlohmann::json::value_t::number_float:
      out += python_float_repr(v.get<double>());
      return;
    case nlohmann::json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    default:  // null, strings (escaped as JSON requires), integers
      out += v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
  }
}

}  // namespace

std::string dump_python_json(const nlohmann::ordered_json& value, int indent) {
  std::string out;
  write(value, indent, 0, out);
  return out;
}

nlohmann::ordered_json parse_python_json(const std::string& text) {
  std::string clean;
  clean.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      clean += c;
      if (c == '\\' && i + 1 < text.size()) {
        clean += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    const auto token = [&](std::string_view t) { return text.compare(i, t.size(), t) == 0; };
    if (token("NaN")) {
      clean += "null";
      i += 2;
    } else if (token("-Infinity")) {
      clean += "null";
      i += 8;
    } else if (token("Infinity")) {
      clean += "null";
      i += 7;
    } else {
      clean += c;
    }
  }
  return nlohmann::ordered_json::parse(clean);
}

}  // namespace deepobs::runner
