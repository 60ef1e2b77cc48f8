#include "problems/problem.h"

#include <vector>

#include "core/ops/batch_gather.h"
#include "core/ops/elementwise.h"
#include "core/ops/l2.h"
#include "core/ops/loss.h"
#include "core/ops/reduce.h"
#include "datasets/data_dir.h"
#include "datasets/imagenet.h"
#include "datasets/mnist.h"
#include "datasets/tolstoi.h"

namespace deepobs::problems {

ProblemModel::ProblemModel() {
  step_ = register_buffer("step", Tensor::full({1}, -1.0, DType::I64));
}

Problem::Problem(ProblemInfo info, std::unique_ptr<ProblemModel> model,
                 std::unique_ptr<datasets::DataSet> data, double weight_decay)
    : info_(std::move(info)),
      model_(std::move(model)),
      data_(std::move(data)),
      weight_decay_(weight_decay),
      flat_(std::make_unique<FlatParameters>(*model_)) {
  DEEPOBS_CHECK(weight_decay >= 0.0, info_.name, ": weight decay must be >= 0, got ", weight_decay);
  std::vector<std::int64_t> segments;
  for (const Segment& s : flat_->segments())
    if (s.tags.regularised) segments.insert(segments.end(), {s.offset, s.numel});
  if (!segments.empty())
    l2_segments_ =
        Tensor::from_vector(segments, {static_cast<std::int64_t>(segments.size() / 2), 2})
            .to(flat_->params().device());
}

void Problem::start(datasets::Phase phase) {
  model_->reset_state();
  data_->start(phase);
}

bool Problem::next(datasets::Batch& batch) {
  return data_->next(batch);
}

Tensor Problem::regularizer() {
  if (weight_decay_ == 0.0 || !l2_segments_.defined()) return Tensor();
  return ops::l2_penalty(flat_->params(), l2_segments_, weight_decay_ / 2.0);
}

BatchResult Problem::forward(const datasets::Batch& batch, ForwardMode mode) {
  model_->set_mode(mode);
  if (mode == ForwardMode::Train) ops::advance_(model_->step(), 1);
  // The L2 term is recorded first, so its backward rule runs last and adds its gradient to the
  // model's: the order (and, addition being commutative, the bits) of the op chain it replaced.
  const Tensor reg = regularizer();
  ProblemModel::Output out = model_->forward(batch);
  DEEPOBS_CHECK(out.losses.defined() && out.losses.dim() == 1, info_.name, ": the model returned ",
                out.losses.str(), " instead of per-example losses [B]");
  Tensor loss = ops::mean(out.losses);
  if (reg.defined()) loss = ops::add(loss, reg);
  return {loss, out.accuracy};
}

ProblemModel::Output classify(const Tensor& logits, const datasets::Batch& batch,
                              ForwardMode mode) {
  DEEPOBS_CHECK(batch.labels.defined(), "classifier: the batch has no labels");
  std::optional<double> accuracy;
  if (mode == ForwardMode::Eval) accuracy = ops::accuracy(logits, batch.labels);
  return {ops::softmax_cross_entropy(logits, batch.labels), accuracy};
}

ProblemInfo classifier_info(std::string name, std::string dataset, std::string description,
                            int batch_size, int epochs) {
  ProblemInfo i;
  i.name = std::move(name);
  i.dataset = dataset;
  i.description = std::move(description);
  i.default_batch_size = batch_size;
  i.default_num_epochs = epochs;
  i.data_variant = std::move(dataset);
  return i;
}

ProblemInfo loss_only_info(std::string name, std::string dataset, std::string description,
                           int batch_size, int epochs) {
  ProblemInfo i = classifier_info(std::move(name), std::move(dataset), std::move(description),
                                  batch_size, epochs);
  i.has_accuracy = false;
  i.metric = "test_losses";
  return i;
}

layers::ConvOptions regularised_conv(int kernel, int stride, ops::PaddingMode padding, double bias,
                                     int layer_index) {
  layers::ConvOptions c;
  c.kernel_h = c.kernel_w = kernel;
  c.stride_h = c.stride_w = stride;
  c.padding = padding;
  c.kernel_init = layers::Initializer::glorot_normal();
  c.bias_init = layers::Initializer::constant(bias);
  c.regularised = true;
  c.layer_index = layer_index;
  return c;
}

datasets::DataSetOptions data_options(const ProblemConfig& c) {
  return {c.batch_size, c.seed, c.validation, c.device, c.data_order};
}

std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> mnist_data(
    std::string dataset) {
  return [dataset](const ProblemConfig& c) -> std::unique_ptr<datasets::DataSet> {
    return datasets::make_mnist_data_set(dataset, datasets::resolve_data_root(c.data_dir),
                                         data_options(c), c.image.official_sizes);
  };
}

std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> image_data(
    std::string dataset) {
  return [dataset](const ProblemConfig& c) -> std::unique_ptr<datasets::DataSet> {
    return datasets::make_image_data_set(dataset, datasets::resolve_data_root(c.data_dir),
                                         data_options(c), c.image);
  };
}

std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> tolstoi_data() {
  return [](const ProblemConfig& c) -> std::unique_ptr<datasets::DataSet> {
    return datasets::make_tolstoi_data_set(datasets::resolve_data_root(c.data_dir),
                                           data_options(c));
  };
}

std::function<std::unique_ptr<datasets::DataSet>(const ProblemConfig&)> imagenet_data() {
  return [](const ProblemConfig& c) -> std::unique_ptr<datasets::DataSet> {
    datasets::ImageNetOptions imagenet;
    imagenet.official_sizes = c.image.official_sizes;
    return datasets::make_imagenet_data_set(datasets::resolve_data_root(c.data_dir),
                                            data_options(c), imagenet);
  };
}

}  // namespace deepobs::problems
