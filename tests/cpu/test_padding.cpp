#include <gtest/gtest.h>

#include "core/error.h"
#include "core/ops/padding.h"

namespace deepobs {
namespace {

using ops::PaddingMode;
using ops::WindowExtent;

// The 'same' cases the DeepOBS models hit (SPEC §3.3-3.5), worked out from the TF rule by hand.
TEST(Padding, SameMatchesTfForModelShapes) {
  // 2c2d max pool 2×2/2: total = max(13·2 + 2 − 28, 0) = 0.
  EXPECT_EQ(ops::same_extent(28, 2, 2), (WindowExtent{14, 0, 0}));
  // 3c3d max pool 3×3/2 on 28: out 14, total = 13·2 + 3 − 28 = 1 → the pixel goes after.
  EXPECT_EQ(ops::same_extent(28, 3, 2), (WindowExtent{14, 0, 1}));
  EXPECT_EQ(ops::same_extent(32, 3, 2), (WindowExtent{16, 0, 1}));
  // VAE third conv 4×4/1 on 7: total = 6 + 4 − 7 = 3 → 1 before, 2 after.
  EXPECT_EQ(ops::same_extent(7, 4, 1), (WindowExtent{7, 1, 2}));
  // 2c2d conv 5×5/1: total 4, symmetric.
  EXPECT_EQ(ops::same_extent(28, 5, 1), (WindowExtent{28, 2, 2}));
  // VAE encoder 4×4/2 on 28: out 14, total = 13·2 + 4 − 28 = 2.
  EXPECT_EQ(ops::same_extent(28, 4, 2), (WindowExtent{14, 1, 1}));
  // Odd input, stride 2: out = ceil(7/2) = 4, total = 3·2 + 3 − 7 = 2.
  EXPECT_EQ(ops::same_extent(7, 3, 2), (WindowExtent{4, 1, 1}));
  // A stride larger than the kernel needs no padding and may not even reach the end.
  EXPECT_EQ(ops::same_extent(10, 1, 3), (WindowExtent{4, 0, 0}));
}

TEST(Padding, ValidSizes) {
  EXPECT_EQ(ops::valid_extent(32, 5, 1), (WindowExtent{28, 0, 0}));
  EXPECT_EQ(ops::valid_extent(14, 3, 1), (WindowExtent{12, 0, 0}));
  EXPECT_EQ(ops::valid_extent(8, 3, 2), (WindowExtent{3, 0, 0}));  // floor(5/2) + 1
  EXPECT_EQ(ops::valid_extent(5, 5, 3), (WindowExtent{1, 0, 0}));
}

TEST(Padding, TwoDimensionalAndModes) {
  EXPECT_EQ(ops::padding_for(PaddingMode::kSame, 7, 28, 4, 3, 1, 2), (ops::Padding2d{1, 2, 0, 1}));
  EXPECT_EQ(ops::padding_for(PaddingMode::kValid, 7, 28, 4, 3, 1, 2), (ops::Padding2d{}));
  EXPECT_EQ(ops::mode_extent(PaddingMode::kValid, 32, 5, 1), (WindowExtent{28, 0, 0}));
  EXPECT_EQ(ops::padding_str(ops::Padding2d{1, 2, 0, 1}), "top/bottom/left/right = 1/2/0/1");
}

TEST(Padding, WindowOutputSize) {
  EXPECT_EQ(ops::window_output_size("t", 7, 4, 1, 1, 2), 7);
  EXPECT_EQ(ops::window_output_size("t", 28, 3, 2, 0, 1), 14);
  EXPECT_EQ(ops::window_output_size("t", 5, 3, 2, 0, 0), 2);
  EXPECT_THROW(ops::window_output_size("t", 2, 4, 1, 0, 1), Error);
  EXPECT_THROW(ops::window_output_size("t", 8, 3, 1, -1, 0), Error);
}

// Transposed 'same': out = in·stride with the padding of the forward 'same' conv from out to in.
TEST(Padding, TransposedSame) {
  // VAE decoder 4×4/2 on 7 → 14: forward conv 14 → 7 with k 4 needs total 6·2 + 4 − 14 = 2.
  EXPECT_EQ(ops::transposed_extent(PaddingMode::kSame, 7, 4, 2), (WindowExtent{14, 1, 1}));
  EXPECT_EQ(ops::transposed_extent(PaddingMode::kSame, 14, 4, 1), (WindowExtent{14, 1, 2}));
  EXPECT_EQ(ops::transposed_extent(PaddingMode::kSame, 3, 2, 2), (WindowExtent{6, 0, 0}));
  EXPECT_EQ(ops::transposed_extent(PaddingMode::kSame, 4, 5, 3), (WindowExtent{12, 1, 1}));
  // 'valid': in·stride + max(k − stride, 0).
  EXPECT_EQ(ops::transposed_extent(PaddingMode::kValid, 5, 3, 2), (WindowExtent{11, 0, 0}));
  EXPECT_EQ(ops::transposed_extent(PaddingMode::kValid, 5, 2, 3), (WindowExtent{15, 0, 0}));
  // Whatever the case, the forward conv maps the output back to the input size.
  for (int in : {1, 4, 7})
    for (int k : {1, 2, 3, 4, 5})
      for (int s : {1, 2, 3})
        for (auto mode : {PaddingMode::kSame, PaddingMode::kValid}) {
          const WindowExtent t = ops::transposed_extent(mode, in, k, s);
          EXPECT_EQ(ops::window_output_size("t", t.out, k, s, t.pad_before, t.pad_after), in)
              << "in " << in << " k " << k << " s " << s;
        }
}

TEST(Padding, ParsesModeNames) {
  EXPECT_EQ(ops::parse_padding_mode("same"), PaddingMode::kSame);
  EXPECT_EQ(ops::parse_padding_mode("VALID"), PaddingMode::kValid);
  EXPECT_THROW(ops::parse_padding_mode("full"), Error);
  EXPECT_THROW(ops::parse_padding_mode(""), Error);
}

TEST(Padding, RejectsBadArguments) {
  EXPECT_THROW(ops::same_extent(28, 0, 1), Error);
  EXPECT_THROW(ops::same_extent(28, 3, 0), Error);
  EXPECT_THROW(ops::same_extent(0, 3, 1), Error);
  EXPECT_THROW(ops::valid_extent(4, 5, 1), Error);
  EXPECT_THROW(ops::valid_extent(4, 3, -1), Error);
  EXPECT_THROW(ops::padding_for(PaddingMode::kValid, 8, 2, 3, 3, 1, 1), Error);
  EXPECT_THROW(ops::transposed_extent(PaddingMode::kSame, 4, 0, 2), Error);
  try {
    ops::valid_extent(4, 5, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the input extent 4"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace deepobs
