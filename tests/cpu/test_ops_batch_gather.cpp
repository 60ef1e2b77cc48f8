// ops::gather_examples / gather_labels on the CPU: the twin the CUDA gather kernel is compared
// against, and the batch builder of every in-memory data set.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/ops/batch_gather.h"
#include "tests/common/expect_error.h"

namespace deepobs::ops {
namespace {

// The batch cursor: where a batch starts, as the data sets keep it (one i64).
Tensor at(std::int64_t first) {
  return Tensor::scalar(static_cast<double>(first), DType::I64);
}

// Three u8 "images" of 2x2 bytes; example e holds bytes 10e+0 … 10e+3, the last byte is 255.
Tensor byte_examples() {
  Tensor t = Tensor::empty({3, 1, 2, 2}, DType::U8);
  auto* p = t.data<std::uint8_t>();
  for (int e = 0; e < 3; ++e)
    for (int j = 0; j < 4; ++j)
      p[e * 4 + j] = static_cast<std::uint8_t>(10 * e + j);
  p[11] = 255;  // the largest byte maps to exactly 1
  return t;
}

TEST(OpsBatchGather, GathersInPermutedOrderAndDividesBytesExactly) {
  const Tensor x = byte_examples();
  const Tensor order = Tensor::from_vector<std::int64_t>({2, 0, 1}, {3});
  const Tensor b = gather_examples(x, order, at(0), 2, 255.0f);
  ASSERT_EQ(b.shape(), (Shape{2, 1, 2, 2}));
  ASSERT_EQ(b.dtype(), DType::F32);
  const std::vector<float> v = b.to_vector<float>();
  const std::vector<float> want = {20 / 255.0f, 21 / 255.0f, 22 / 255.0f, 255 / 255.0f,
                                   0 / 255.0f,  1 / 255.0f,  2 / 255.0f,  3 / 255.0f};
  EXPECT_EQ(v, want);  // bit-exact: one IEEE division per byte
}

TEST(OpsBatchGather, StoredOrderStartsAtFirst) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  EXPECT_EQ(gather_examples(x, Tensor(), at(1), 2, 255.0f).to_vector<float>(),
            (std::vector<float>{3, 4, 5, 6}));
  const Tensor labels = Tensor::from_vector<std::int64_t>({7, 8, 9}, {3});
  EXPECT_EQ(gather_labels(labels, Tensor(), at(1), 2).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{8, 9}));
  const Tensor order = Tensor::from_vector<std::int64_t>({1, 2, 0}, {3});
  EXPECT_EQ(gather_labels(labels, order, at(1), 2).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{9, 7}));
}

TEST(OpsBatchGather, BadInputIsAClearError) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  testing::expect_error([&] { gather_examples(x, Tensor(), at(2), 2, 255.0f); },
                        {"gather_examples", "exceed the 3 examples"});
  testing::expect_error(
      [&] {
        gather_examples(x, Tensor::from_vector<std::int64_t>({0, 1}, {2}), at(1), 2, 255.0f);
      },
      {"gather_examples", "exceed the order of 2"});
  testing::expect_error(
      [&] {
        gather_examples(x, Tensor::from_vector<float>({0, 1, 2}, {3}), at(0), 2, 255.0f);
      },
      {"gather_examples", "i64"});
  testing::expect_error([&] { gather_examples(x, Tensor(), at(0), 2, 0.0f); }, {"u8_divisor"});
  testing::expect_error([&] { gather_labels(x, Tensor(), at(0), 2); }, {"gather_labels", "i64"});
  testing::expect_error([&] { gather_examples(x, Tensor(), at(-1), 2, 255.0f); }, {"non-negative"});
}

}  // namespace
}  // namespace deepobs::ops
