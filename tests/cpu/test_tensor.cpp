#include <gtest/gtest.h>

#include "core/tensor.h"

namespace deepobs {
namespace {

TEST(Tensor, CreationAndAccess) {
  Tensor t = Tensor::full({2, 3}, 1.5);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), DType::F32);
  EXPECT_TRUE(t.device().is_cpu());
  for (float v : t.to_vector<float>())
    EXPECT_EQ(v, 1.5f);
  EXPECT_EQ(t.str(), "f32[2,3] on cpu");
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {3, 2});
  Tensor rows = t.narrow0(1, 2);
  EXPECT_EQ(rows.shape(), (Shape{2, 2}));
  EXPECT_EQ(rows.to_vector<float>(), (std::vector<float>{2, 3, 4, 5}));
  rows.fill(7);
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 1, 7, 7, 7, 7}));
  Tensor flat = t.view({6});
  EXPECT_TRUE(flat.same_storage(t));
  EXPECT_THROW(t.view({4}), Error);
  EXPECT_THROW(t.narrow0(2, 2), Error);
}

TEST(Tensor, CloneAndConvert) {
  Tensor t = Tensor::from_vector<double>({1.25, -2.5}, {2});
  Tensor c = t.clone();
  c.fill(0);
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{1.25, -2.5}));
  EXPECT_EQ(t.to(DType::I32).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, -2}));
}

TEST(Tensor, WrongDtypeAccessThrows) {
  Tensor t = Tensor::zeros({2});
  EXPECT_THROW(t.data<double>(), Error);
  EXPECT_THROW(Tensor().shape(), Error);
  EXPECT_THROW(Tensor::zeros({2}, DType::I64).set_requires_grad(true), Error);
}

}  // namespace
}  // namespace deepobs
