#include <gtest/gtest.h>

#include <cmath>

#include "core/random/philox_generator.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "tests/common/gradcheck.h"

namespace deepobs::layers {
namespace {

TEST(Layers, DenseInitialisersAndTags) {
  PhiloxGenerator gen(7, RngPurpose::Init);
  DenseOptions o;
  o.kernel_init = Initializer::truncated_normal(0.05);
  o.bias_init = Initializer::constant(0.05);
  o.regularised = true;
  o.layer_index = 3;
  Dense d(20, 30, o, gen);
  const auto params = d.named_parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].name, "weight");
  EXPECT_EQ(params[0].param->tensor.shape(), (Shape{20, 30}));
  EXPECT_TRUE(params[0].param->tags.regularised);
  EXPECT_EQ(params[0].param->tags.layer_index, 3);
  EXPECT_FALSE(params[1].param->tags.regularised);  // biases never are
  for (float w : d.weight().to_vector<float>())
    ASSERT_LE(std::abs(w), 0.1f + 1e-7f);
  for (float b : d.bias().to_vector<float>())
    ASSERT_EQ(b, 0.05f);
  DenseOptions no_bias;
  no_bias.bias_init.reset();
  EXPECT_EQ(Dense(4, 5, no_bias, gen).named_parameters().size(), 1u);
}

TEST(Layers, ConvShapesUnderSameAndValidPadding) {
  PhiloxGenerator gen(7, RngPurpose::Init);
  ConvOptions o;
  o.kernel_h = o.kernel_w = 5;
  Conv2d same(3, 8, o, gen);
  EXPECT_EQ(same.weight().shape(), (Shape{8, 3, 5, 5}));
  EXPECT_EQ(same.forward(Tensor::zeros({2, 3, 28, 28})).shape(), (Shape{2, 8, 28, 28}));
  o.padding = ops::PaddingMode::kValid;
  EXPECT_EQ(Conv2d(3, 8, o, gen).forward(Tensor::zeros({2, 3, 32, 32})).shape(),
            (Shape{2, 8, 28, 28}));
  ConvOptions t;
  t.kernel_h = t.kernel_w = 4;
  t.stride_h = t.stride_w = 2;
  ConvTranspose2d up(1, 64, t, gen);
  EXPECT_EQ(up.weight().shape(), (Shape{1, 64, 4, 4}));
  EXPECT_EQ(up.forward(Tensor::zeros({2, 1, 7, 7})).shape(), (Shape{2, 64, 14, 14}));
  ConvOptions bad;
  bad.stride_h = 0;
  EXPECT_THROW(Conv2d(1, 1, bad, gen), Error);
}

TEST(Layers, ConvInputGradientThroughTheLayer) {
  PhiloxGenerator gen(3, RngPurpose::Init);
  ConvOptions o;
  o.kernel_h = o.kernel_w = 3;
  o.stride_h = o.stride_w = 2;
  o.dtype = DType::F64;
  o.bias_init = Initializer::constant(0.1);
  Conv2d conv(2, 3, o, gen);
  testing::check_gradients("Conv2d layer",
                           [&](const std::vector<Tensor>& in) { return conv.forward(in[0]); },
                           {testing::random_tensor({2, 2, 5, 6}, 11)});
}

}  // namespace
}  // namespace deepobs::layers
