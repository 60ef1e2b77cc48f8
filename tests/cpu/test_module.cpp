#include <gtest/gtest.h>

#include "core/autograd.h"
#include "core/flat_parameters.h"
#include "core/module.h"
#include "core/ops/linear.h"

namespace deepobs {
namespace {

// A two-layer perceptron without activation, enough to exercise names, tags and packing.
class TinyDense : public Module {
 public:
  TinyDense(std::int64_t in, std::int64_t out, double w, double b) {
    weight = register_parameter("weight", Tensor::full({in, out}, w), {ParamKind::Weight, true, 0});
    bias = register_parameter("bias", Tensor::full({out}, b), {ParamKind::Bias, false, 0});
  }
  Tensor forward(const Tensor& x) const { return ops::dense(x, weight, bias); }
  Tensor weight, bias;
};

class TwoLayers : public Module {
 public:
  TwoLayers() {
    first = &register_module("first", std::make_unique<TinyDense>(3, 5, 0.5, 0.1));
    second = &register_module("second", std::make_unique<TinyDense>(5, 2, -0.25, 0.2));
    register_buffer("steps", Tensor::zeros({1}, DType::I64));
  }
  Tensor forward(const Tensor& x) const { return second->forward(first->forward(x)); }
  TinyDense* first;
  TinyDense* second;
};

TEST(Module, NamesTagsAndCounts) {
  TwoLayers m;
  const auto params = m.named_parameters();
  ASSERT_EQ(params.size(), 4u);
  EXPECT_EQ(params[0].name, "first/weight");
  EXPECT_EQ(params[1].name, "first/bias");
  EXPECT_EQ(params[3].name, "second/bias");
  EXPECT_TRUE(params[0].param->tags.regularised);
  EXPECT_EQ(params[1].param->tags.kind, ParamKind::Bias);
  EXPECT_EQ(m.parameter_count(), 3 * 5 + 5 + 5 * 2 + 2);
  ASSERT_EQ(m.named_buffers().size(), 1u);
  EXPECT_EQ(m.named_buffers()[0].name, "steps");
  m.set_mode(ForwardMode::Eval);
  EXPECT_FALSE(m.first->training());
}

TEST(Module, RejectsDuplicateAndBadNames) {
  Module m;
  m.register_parameter("w", Tensor::zeros({2}), {});
  EXPECT_THROW(m.register_parameter("w", Tensor::zeros({2}), {}), Error);
  EXPECT_THROW(m.register_buffer("w", Tensor::zeros({2})), Error);
  EXPECT_THROW(m.register_parameter("a/b", Tensor::zeros({2}), {}), Error);
  EXPECT_THROW(m.register_parameter("labels", Tensor::zeros({2}, DType::I32), {}), Error);
}

TEST(FlatParameters, PacksValuesAndAlignsSegments) {
  TwoLayers m;
  FlatParameters flat(m, 16);
  ASSERT_EQ(flat.segments().size(), 4u);
  EXPECT_EQ(flat.num_parameters(), m.parameter_count());
  for (const auto& s : flat.segments())
    EXPECT_EQ(s.offset % 16, 0) << s.name;
  EXPECT_EQ(flat.segments()[1].offset, 16);  // 15 weights, then the bias on the next boundary
  EXPECT_EQ(flat.segments()[2].name, "second/weight");
  const auto values = flat.params().to_vector<float>();
  EXPECT_EQ(values[0], 0.5f);
  EXPECT_EQ(values[15], 0.0f);  // gap
  EXPECT_EQ(values[16], 0.1f);
  // The layers' own handles now alias the flat buffer.
  EXPECT_TRUE(m.first->weight.same_storage(flat.params()));
  flat.params().fill(2.0);
  EXPECT_EQ(m.second->bias.to_vector<float>(), (std::vector<float>{2.0f, 2.0f}));
}

TEST(FlatParameters, GradientsLandInTheFlatBufferAndZeroInOneCall) {
  TwoLayers m;
  FlatParameters flat(m);
  const Tensor x = Tensor::from_vector<float>({1, 2, 3, -1, 0, 1}, {2, 3});
  for (int repeat = 0; repeat < 2; ++repeat) {
    const Tensor y = m.forward(x);
    autograd::backward(y, Tensor::ones(y.shape()));
  }
  // d(sum y)/d(second/bias) = batch size per step, accumulated over two steps.
  const Tensor gb = flat.grad_view(3);
  EXPECT_EQ(gb.to_vector<float>(), (std::vector<float>{4.0f, 4.0f}));
  EXPECT_TRUE(m.second->bias.grad().same_storage(flat.grads()));
  flat.zero_grad();
  for (float g : flat.grads().to_vector<float>())
    EXPECT_EQ(g, 0.0f);
}

TEST(FlatParameters, RejectsMixedDtypesAndEmptyModels) {
  Module empty;
  EXPECT_THROW(FlatParameters{empty}, Error);
  Module mixed;
  mixed.register_parameter("a", Tensor::zeros({2}), {});
  mixed.register_parameter("b", Tensor::zeros({2}, DType::F64), {});
  EXPECT_THROW(FlatParameters{mixed}, Error);
}

}  // namespace
}  // namespace deepobs
