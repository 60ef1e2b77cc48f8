#include "runner/validation_session.h"

#include <cstring>
#include <limits>

#include "core/autograd.h"
#include "problems/registry.h"

namespace deepobs::runner {

ValidationSession::ValidationSession(const OptimizerInfo& info,
                                     const Hyperparameters& hyperparameters,
                                     const std::string& problem, Device device, std::uint64_t seed)
    : info_(info), hyperparameters_(hyperparameters) {
  problems::ProblemConfig config;
  config.device = device;
  config.batch_size = 128;
  config.seed = seed;
  problem_ = problems::build_problem(problem, config);
  flat_ = &problem_->flat();
  auto& data = problem_->data();
  facts_.name = problem;
  facts_.batch_size = config.batch_size;
  facts_.steps_per_epoch = data.batches(datasets::Phase::Train);
  facts_.train_set_size = facts_.steps_per_epoch * config.batch_size;
  facts_.num_epochs = 1;
  facts_.seed = seed;
  facts_.weight_decay = problem_->weight_decay();
  optimizer_ = std::make_unique<Optimizer>(info_, *flat_, hyperparameters_, facts_);
}

double ValidationSession::evaluate_at(const void* params_or_null, void* grad_or_null) {
  const Tensor& params = flat_->params();
  const Tensor& grads = flat_->grads();
  const Tensor saved_params = params.clone();
  const Tensor saved_grads = grads.clone();
  const Shape shape{flat_->size()};
  // The plugin's pointers live where the buffers live (device memory on a GPU).
  if (params_or_null != nullptr)
    params.copy_from(
        Tensor::wrap(const_cast<void*>(params_or_null), shape, params.dtype(), params.device()));
  flat_->zero_grad();
  double loss = 0;
  if (grad_or_null != nullptr) {
    const auto r = problem_->forward(batch_, ForwardMode::Closure);
    loss = r.loss.item();
    autograd::backward(r.loss);
    Tensor::wrap(grad_or_null, shape, grads.dtype(), grads.device()).copy_from(grads);
  } else {
    autograd::NoGrad no_grad;
    loss = problem_->forward(batch_, ForwardMode::Closure).loss.item();
  }
  params.copy_from(saved_params);
  grads.copy_from(saved_grads);
  return loss;
}

void ValidationSession::optimizer_step(double lr, double loss) {
  StepContext ctx;
  ctx.step = steps_;
  ctx.epoch = 0;
  ctx.learning_rate = lr;
  ctx.loss = loss;
  ctx.evaluate = [this](const void* p, void* g) { return evaluate_at(p, g); };
  optimizer_->step(ctx);
  ++steps_;
}

double ValidationSession::step(double lr) {
  if (!in_pass_ || !problem_->next(batch_)) {
    problem_->start(datasets::Phase::Train);
    DEEPOBS_CHECK(problem_->next(batch_), facts_.name, ": the training pass yields no batch");
    in_pass_ = true;
  }
  flat_->zero_grad();
  const auto r = problem_->forward(batch_, ForwardMode::Train);
  const double loss = r.loss.item();
  autograd::backward(r.loss);
  optimizer_step(lr, loss);
  return loss;
}

void ValidationSession::step_with_current_gradients(double lr) {
  DEEPOBS_CHECK(in_pass_, "step_with_current_gradients needs a batch: call step() first");
  optimizer_step(lr, std::numeric_limits<double>::quiet_NaN());
}

double ValidationSession::test_loss() {
  autograd::NoGrad no_grad;
  problem_->start(datasets::Phase::Test);
  in_pass_ = false;  // the training pass was abandoned
  double sum = 0;
  int batches = 0;
  for (datasets::Batch b; batches < 8 && problem_->next(b); ++batches)
    sum += problem_->forward(b, ForwardMode::Eval).loss.item();
  return sum / batches;
}

std::vector<std::uint8_t> ValidationSession::parameter_bytes() const {
  const Tensor p = flat_->params().to(Device::cpu());
  const auto* begin = static_cast<const std::uint8_t*>(p.raw_data());
  return {begin, begin + p.nbytes()};
}

void ValidationSession::set_parameter_bytes(const std::vector<std::uint8_t>& bytes) {
  const Tensor& p = flat_->params();
  DEEPOBS_CHECK(bytes.size() == p.nbytes(), "parameter snapshot of ", bytes.size(),
                " bytes for a buffer of ", p.nbytes());
  std::vector<std::uint8_t> copy = bytes;  // wrap() needs mutable memory
  p.copy_from(Tensor::wrap(copy.data(), p.shape(), p.dtype(), Device::cpu()));
}

void ValidationSession::recreate_optimizer() {
  optimizer_.reset();
  optimizer_ = std::make_unique<Optimizer>(info_, *flat_, hyperparameters_, facts_);
}

}  // namespace deepobs::runner
