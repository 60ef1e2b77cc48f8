#include <gtest/gtest.h>

#include "core/ops/linear.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

TEST(OpsLinear, MatmulHandComputed) {
  const Tensor a = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_vector<float>({7, 8, 9, 10, 11, 12}, {3, 2});
  EXPECT_EQ(ops::matmul(a, b).to_vector<float>(), (std::vector<float>{58, 64, 139, 154}));
  // a^T (3×2) · a (2×3)
  EXPECT_EQ(ops::matmul(a, a, true, false).to_vector<float>(),
            (std::vector<float>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
}

TEST(OpsLinear, DenseHandComputed) {
  const Tensor x = Tensor::from_vector<float>({1, 2}, {1, 2});
  const Tensor w = Tensor::from_vector<float>({1, 0, -1, 2, 3, 4}, {2, 3});
  const Tensor b = Tensor::from_vector<float>({0.5f, -0.5f, 1}, {3});
  EXPECT_EQ(ops::dense(x, w, b).to_vector<float>(), (std::vector<float>{5.5f, 5.5f, 8}));
}

TEST(OpsLinear, ShapeErrorsNameOpAndShapes) {
  const Tensor x = Tensor::zeros({2, 3});
  const Tensor w = Tensor::zeros({4, 5});
  try {
    ops::dense(x, w);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dense"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[2,3]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[4,5]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::matmul(x, Tensor::zeros({3, 2}, DType::F64)), Error);
  EXPECT_THROW(ops::matmul(Tensor::zeros({2, 3}, DType::I32), Tensor::zeros({3, 2}, DType::I32)),
               Error);
}

}  // namespace
}  // namespace deepobs
