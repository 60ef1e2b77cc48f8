// The problem lifecycle (Problem::start, the forward modes), the fused L2 term and the step
// counter, on a small model with dropout and per-phase state over the quadratic data set.
#include <gtest/gtest.h>

#include <cstring>

#include "core/autograd.h"
#include "core/ops/activation.h"
#include "core/ops/batch_gather.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "datasets/synthetic.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "problems/problem.h"

namespace deepobs::problems {
namespace {

using datasets::Phase;

// dense 100→32 (regularised) → ReLU → dropout 0.5 → dense 32→8 (regularised) → mean of squares;
// a state tensor that counts the forward passes since the phase began (like a carried LSTM state).
class DropoutModel : public ProblemModel {
 public:
  explicit DropoutModel(PhiloxGenerator& gen) {
    layers::DenseOptions o;
    o.regularised = true;
    fc1_ = &register_module("fc1", std::make_unique<layers::Dense>(100, 32, o, gen));
    drop_ = &register_module("drop", std::make_unique<layers::Dropout>(0.5, 7, 0, step()));
    fc2_ = &register_module("fc2", std::make_unique<layers::Dense>(32, 8, o, gen));
    passes_ = register_state("passes", Tensor::zeros({1}, DType::I64));
  }
  Output forward(const datasets::Batch& batch) override {
    ops::advance_(passes_, 1);
    const Tensor h = drop_->forward(ops::relu(fc1_->forward(batch.inputs)));
    return {ops::mean(ops::square(fc2_->forward(h)), {1}), std::nullopt};
  }
  std::int64_t passes() const { return passes_.to_vector<std::int64_t>()[0]; }

 private:
  layers::Dense *fc1_, *fc2_;
  layers::Dropout* drop_;
  Tensor passes_;
};

std::unique_ptr<Problem> make_problem(double weight_decay = 0.01) {
  PhiloxGenerator gen(42, RngPurpose::Init);
  datasets::DataSetOptions data;
  data.batch_size = 16;
  return std::make_unique<Problem>(ProblemInfo{}, std::make_unique<DropoutModel>(gen),
                                   datasets::make_quadratic_data_set(data), weight_decay);
}

std::int64_t step_of(Problem& p) {
  return p.model().step().to_vector<std::int64_t>()[0];
}

TEST(ProblemLifecycle, ClosureEvaluatesTheFunctionTheStepDifferentiated) {
  auto p = make_problem();
  p->start(Phase::Train);
  datasets::Batch b;
  ASSERT_TRUE(p->next(b));
  FlatParameters& flat = p->flat();
  flat.zero_grad();
  const Tensor loss = p->forward(b, ForwardMode::Train).loss;
  autograd::backward(loss);
  const auto step_grad = flat.grads().to_vector<float>();
  EXPECT_EQ(step_of(*p), 0);
  // The closure at the step's parameters: the same masks, so the same loss and gradient, bit
  // for bit, however often it is called.
  for (int call = 0; call < 3; ++call) {
    flat.zero_grad();
    const Tensor closure = p->forward(b, ForwardMode::Closure).loss;
    EXPECT_EQ(closure.item(), loss.item()) << "call " << call;
    autograd::backward(closure);
    EXPECT_EQ(flat.grads().to_vector<float>(), step_grad) << "call " << call;
  }
  EXPECT_EQ(step_of(*p), 0) << "a closure is not a new step";
  {
    autograd::NoGrad no_grad;
    EXPECT_EQ(p->forward(b, ForwardMode::Closure).loss.item(), loss.item());
    // Eval has no dropout: deterministic, and not the training loss.
    const double eval = p->forward(b, ForwardMode::Eval).loss.item();
    EXPECT_EQ(p->forward(b, ForwardMode::Eval).loss.item(), eval);
    EXPECT_NE(eval, loss.item());
  }
  // The next training step draws new masks.
  EXPECT_NE(p->forward(b, ForwardMode::Train).loss.item(), loss.item());
  EXPECT_EQ(step_of(*p), 1);
}

TEST(ProblemLifecycle, StartResetsRegisteredState) {
  auto p = make_problem();
  auto& model = dynamic_cast<DropoutModel&>(p->model());
  autograd::NoGrad no_grad;
  p->start(Phase::Train);
  datasets::Batch b;
  for (int i = 0; i < 3 && p->next(b); ++i)
    p->forward(b, ForwardMode::Train);
  EXPECT_EQ(model.passes(), 3);
  p->start(Phase::Test);  // a phase switch resets the state, as DeepOBS's char-RNN does
  EXPECT_EQ(model.passes(), 0);
  ASSERT_TRUE(p->next(b));
  p->forward(b, ForwardMode::Eval);
  EXPECT_EQ(model.passes(), 1);
  p->start(Phase::Test);
  EXPECT_EQ(model.passes(), 0);
}

// The fused L2 term over the flat buffer equals, bit for bit, the op chain it replaced
// (mul_scalar(Σ_k sum(square(W_k)), wd/2)), and so does its gradient.
TEST(ProblemLifecycle, FusedL2EqualsTheOpChainBitForBit) {
  const double wd = 0.0123;
  auto p = make_problem(wd);
  Tensor chain;
  std::vector<Tensor> leaves;
  for (const auto& np : p->model().named_parameters()) {
    if (!np.param->tags.regularised) continue;
    Tensor w = np.param->tensor.clone();
    w.set_requires_grad(true);
    leaves.push_back(w);
    const Tensor sq = ops::sum(ops::square(w));
    chain = chain.defined() ? ops::add(chain, sq) : sq;
  }
  ASSERT_EQ(leaves.size(), 2u);
  chain = ops::mul_scalar(chain, wd / 2.0);
  FlatParameters& flat = p->flat();
  flat.zero_grad();
  const Tensor fused = p->regularizer();
  const float a = chain.to_vector<float>()[0], f = fused.to_vector<float>()[0];
  EXPECT_EQ(std::memcmp(&a, &f, sizeof(float)), 0) << a << " vs " << f;
  autograd::backward(chain);
  autograd::backward(fused);
  std::size_t k = 0;
  for (std::size_t i = 0; i < flat.segments().size(); ++i) {
    if (!flat.segments()[i].tags.regularised) {
      for (float g : flat.grad_view(i).to_vector<float>())
        EXPECT_EQ(g, 0.0f) << flat.segments()[i].name;
      continue;
    }
    EXPECT_EQ(flat.grad_view(i).to_vector<float>(), leaves[k++].grad().to_vector<float>())
        << flat.segments()[i].name;
  }
  // Without regularised tensors or with wd = 0 there is no term.
  EXPECT_FALSE(make_problem(0.0)->regularizer().defined());
}

}  // namespace
}  // namespace deepobs::problems
