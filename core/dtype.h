// Element types. f32 for everything trained; f64 on the CPU for gradient checks; i32/i64 labels;
// u8 raw image bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace deepobs {

enum class DType : std::uint8_t { F32, F64, I32, I64, U8 };

constexpr std::size_t dtype_size(DType t) {
  constexpr std::size_t sizes[] = {4, 8, 4, 8, 1};
  return sizes[static_cast<int>(t)];
}

constexpr std::string_view dtype_name(DType t) {
  constexpr std::string_view names[] = {"f32", "f64", "i32", "i64", "u8"};
  return names[static_cast<int>(t)];
}

constexpr bool is_floating(DType t) {
  return t == DType::F32 || t == DType::F64;
}

// The DType of a C++ element type: dtype_of<float> == DType::F32 (other types do not compile).
template <class T>
constexpr DType dtype_of_type() {
  if constexpr (std::is_same_v<T, float>)
    return DType::F32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::F64;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return DType::I32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return DType::I64;
  else if constexpr (std::is_same_v<T, std::uint8_t>)
    return DType::U8;
  else
    static_assert(sizeof(T) == 0, "no DType for this element type");
}
template <class T>
inline constexpr DType dtype_of = dtype_of_type<T>();

// The one switch from a DType to its C++ type: calls f(T{}) with the element type of `t`.
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::F64:
      return f(double{});
    case DType::I32:
      return f(std::int32_t{});
    case DType::I64:
      return f(std::int64_t{});
    case DType::U8:
      return f(std::uint8_t{});
    case DType::F32:
      break;
  }
  return f(float{});
}

}  // namespace deepobs
