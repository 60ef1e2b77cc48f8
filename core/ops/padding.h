// Spatial padding and output sizes of windowed ops (conv, transposed conv, pooling), with TF 1.x's
// 'same' and 'valid' rules (SPEC §1.3).
//
// TF 'same' padding may be asymmetric: when the total padding of a dimension is odd, the extra
// pixel goes after (bottom/right). Ops therefore take four explicit amounts, never one symmetric
// number. All sizes are in pixels (elements along one spatial dimension).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace deepobs::ops {

// Zero (conv) or ignored (pooling) border added around an image before the window slides over it.
// All four amounts are ≥ 0; top/bottom apply to H, left/right to W.
struct Padding2d {
  int top = 0;
  int bottom = 0;
  int left = 0;
  int right = 0;

  bool operator==(const Padding2d&) const = default;
};

// "top/bottom/left/right = 1/2/0/1", for error messages and test output.
std::string padding_str(const Padding2d& p);

// TF's two padding schemes. kSame: out = ceil(in / stride), padded just enough that the windows
// cover the input. kValid: no padding, only windows that fit entirely inside the input.
enum class PaddingMode { kSame, kValid };

// "same" → kSame, "valid" → kValid (TF's spelling, also accepted in upper case); anything else
// throws deepobs::Error naming the string.
PaddingMode parse_padding_mode(std::string_view name);

// Result of sizing one spatial dimension: output extent and the padding before/after the input.
struct WindowExtent {
  std::int64_t out = 0;
  int pad_before = 0;
  int pad_after = 0;

  bool operator==(const WindowExtent&) const = default;
};

// Output extent of a window of size `kernel` sliding with `stride` over `in` pixels padded with
// `pad_before` and `pad_after`: floor((in + pad_before + pad_after - kernel) / stride) + 1.
// Throws deepobs::Error (naming `op`) if kernel or stride < 1, a padding is negative, or the
// padded input is smaller than the window (there would be no output).
std::int64_t window_output_size(const char* op, std::int64_t in, int kernel, int stride,
                                int pad_before, int pad_after);

// TF 'same' along one dimension: out = ceil(in / stride), total = max((out-1)·stride + kernel - in,
// 0), pad_before = total / 2, pad_after = total - pad_before. Throws if kernel or stride < 1 or
// in < 1.
WindowExtent same_extent(std::int64_t in, int kernel, int stride);
// TF 'valid' along one dimension: out = floor((in - kernel) / stride) + 1, no padding. Throws if
// kernel or stride < 1 or the window is larger than the input.
WindowExtent valid_extent(std::int64_t in, int kernel, int stride);
// Either of the two above, chosen by `mode`.
WindowExtent mode_extent(PaddingMode mode, std::int64_t in, int kernel, int stride);

// The 2-D padding of a forward window op (conv or pool) on an in_h × in_w image under `mode`.
Padding2d padding_for(PaddingMode mode, std::int64_t in_h, std::int64_t in_w, int kernel_h,
                      int kernel_w, int stride_h, int stride_w);

// TF conv2d_transpose along one dimension, for an input of `in` pixels. kSame: out = in·stride,
// and the padding is the 'same' padding of the forward conv that maps `out` back to `in` (the
// transposed conv is that conv's adjoint). kValid: out = in·stride + max(kernel - stride, 0), no
// padding (again the forward 'valid' conv maps out back to in). Throws if kernel or stride < 1 or
// in < 1.
WindowExtent transposed_extent(PaddingMode mode, std::int64_t in, int kernel, int stride);

}  // namespace deepobs::ops
