#include "core/ops/padding.h"

#include <algorithm>

#include "core/error.h"

namespace deepobs::ops {
namespace {

void check_window(const char* what, std::int64_t in, int kernel, int stride) {
  DEEPOBS_CHECK(kernel >= 1, what, ": kernel size must be >= 1, got ", kernel);
  DEEPOBS_CHECK(stride >= 1, what, ": stride must be >= 1, got ", stride);
  DEEPOBS_CHECK(in >= 1, what, ": input extent must be >= 1, got ", in);
}

}  // namespace

std::string padding_str(const Padding2d& p) {
  return cat("top/bottom/left/right = ", p.top, "/", p.bottom, "/", p.left, "/", p.right);
}

PaddingMode parse_padding_mode(std::string_view name) {
  if (name == "same" || name == "SAME") return PaddingMode::kSame;
  if (name == "valid" || name == "VALID") return PaddingMode::kValid;
  throw Error(cat("padding mode must be \"same\" or \"valid\", got \"", name, "\""));
}

std::int64_t window_output_size(const char* op, std::int64_t in, int kernel, int stride,
                                int pad_before, int pad_after) {
  DEEPOBS_CHECK(kernel >= 1, op, ": kernel size must be >= 1, got ", kernel);
  DEEPOBS_CHECK(stride >= 1, op, ": stride must be >= 1, got ", stride);
  DEEPOBS_CHECK(pad_before >= 0 && pad_after >= 0, op, ": padding must be >= 0, got ", pad_before,
                "/", pad_after);
  const std::int64_t padded = in + pad_before + pad_after;
  DEEPOBS_CHECK(padded >= kernel, op, ": window of ", kernel, " does not fit an extent of ", in,
                " padded by ", pad_before, "/", pad_after);
  return (padded - kernel) / stride + 1;
}

WindowExtent same_extent(std::int64_t in, int kernel, int stride) {
  check_window("same padding", in, kernel, stride);
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + kernel - in, 0);
  const auto before = static_cast<int>(total / 2);
  return {out, before, static_cast<int>(total) - before};
}

WindowExtent valid_extent(std::int64_t in, int kernel, int stride) {
  check_window("valid padding", in, kernel, stride);
  DEEPOBS_CHECK(in >= kernel, "valid padding: window of ", kernel,
                " is larger than the input extent ", in);
  return {(in - kernel) / stride + 1, 0, 0};
}

WindowExtent mode_extent(PaddingMode mode, std::int64_t in, int kernel, int stride) {
  return mode == PaddingMode::kSame ? same_extent(in, kernel, stride)
                                    : valid_extent(in, kernel, stride);
}

Padding2d padding_for(PaddingMode mode, std::int64_t in_h, std::int64_t in_w, int kernel_h,
                      int kernel_w, int stride_h, int stride_w) {
  const WindowExtent h = mode_extent(mode, in_h, kernel_h, stride_h);
  const WindowExtent w = mode_extent(mode, in_w, kernel_w, stride_w);
  return {h.pad_before, h.pad_after, w.pad_before, w.pad_after};
}

WindowExtent transposed_extent(PaddingMode mode, std::int64_t in, int kernel, int stride) {
  check_window("transposed padding", in, kernel, stride);
  if (mode == PaddingMode::kSame) {
    const std::int64_t out = in * stride;
    const WindowExtent fwd = same_extent(out, kernel, stride);
    return {out, fwd.pad_before, fwd.pad_after};
  }
  return {in * stride + std::max(kernel - stride, 0), 0, 0};
}

}  // namespace deepobs::ops
