// Philox random fills and dropout on the GPU: bit-identical to the CPU twin.
#include <gtest/gtest.h>

#include <vector>

#include "core/ops/dropout.h"
#include "core/ops/shape.h"
#include "core/random/philox_generator.h"
#include "layers/init.h"
#include "op_twin.h"
#include "twin.h"

namespace deepobs {
namespace {

using V = std::vector<Tensor>;

// Sizes that end mid-block (4 elements per uniform block, 2 per normal pair) and one large
// enough for a grid-stride loop to wrap.
const std::vector<Shape> kShapes = {{1}, {3}, {5, 7}, {1001}, {3, 333, 1025}};

TEST(CudaRandom, FillsAreBitIdenticalToTheCpu) {
  SKIP_WITHOUT_GPU();
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(shape_str(s));
    const Tensor c = Tensor::empty(s);
    const Tensor g = Tensor::empty(s, DType::F32, Device::cuda(0));
    PhiloxGenerator gc(1234, RngPurpose::Init, 3), gg(1234, RngPurpose::Init, 3);
    gc.uniform_(c, -0.5, 2.0);
    gg.uniform_(g, -0.5, 2.0);
    twin::expect_identical(g, c, "uniform");
    gc.normal_(c, 0.1, 0.7);
    gg.normal_(g, 0.1, 0.7);
    twin::expect_identical(g, c, "normal");
    gc.truncated_normal_(c, -0.2, 1.3);
    gg.truncated_normal_(g, -0.2, 1.3);
    twin::expect_identical(g, c, "truncated normal");
    gc.keep_mask_(c, 0.3, 1.0 / 0.7);
    gg.keep_mask_(g, 0.3, 1.0 / 0.7);
    twin::expect_identical(g, c, "keep mask");
    EXPECT_EQ(gc.calls(), gg.calls());
  }
}

TEST(CudaRandom, InitialisersGiveTheCpuWeights) {
  SKIP_WITHOUT_GPU();
  const Tensor c = Tensor::empty({64, 32, 3, 3});
  const Tensor g = Tensor::empty({64, 32, 3, 3}, DType::F32, Device::cuda(0));
  PhiloxGenerator gc(99, RngPurpose::Init), gg(99, RngPurpose::Init);
  init::glorot_normal_(c, init::conv_fans(c.shape()), gc);
  init::glorot_normal_(g, init::conv_fans(g.shape()), gg);
  twin::expect_identical(g, c, "glorot_normal");
}

TEST(CudaRandom, DropoutMasksAndGradientsAreBitIdentical) {
  SKIP_WITHOUT_GPU();
  const Tensor x = twin::random_tensor({17, 129}, 5);
  for (const double rate : {0.1, 0.5}) {
    PhiloxGenerator gc(7, RngPurpose::Dropout), gg(7, RngPurpose::Dropout);
    // One multiply per element on both sides, with the same mask: exact.
    twin::expect_op_twin(
        [&](const V& v) { return ops::dropout(v[0], rate, v[0].device().is_cpu() ? gc : gg); }, {x},
        0.0, 0.0, "same Philox mask, one IEEE multiply");
  }
}

TEST(CudaShape, ReshapeFlattenConcatForwardAndBackward) {
  SKIP_WITHOUT_GPU();
  const Tensor a = twin::random_tensor({4, 3, 5}, 1), b = twin::random_tensor({4, 2, 5}, 2),
               c = twin::random_tensor({4, 6, 5}, 3);
  // Pure data movement: exact.
  twin::expect_op_twin(
      [](const V& v) {
        return ops::reshape(ops::concat({v[0], v[1], v[2]}, 1), {-1, 10});
      },
      {a, b, c}, 0.0, 0.0, "copies only");
  twin::expect_op_twin(
      [](const V& v) {
        return ops::flatten(ops::concat({v[0], v[0]}, 0));
      },
      {a}, 0.0, 0.0, "copies only; gradient of a reused input is one addition");
  twin::expect_op_twin(
      [](const V& v) {
        return ops::concat({v[0], v[1]}, -1);
      },
      {twin::random_tensor({3, 4}, 4), twin::random_tensor({3, 7}, 5)}, 0.0, 0.0, "copies only");
}

}  // namespace
}  // namespace deepobs
