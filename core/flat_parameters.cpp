#include "core/flat_parameters.h"

namespace deepobs {

namespace {
// The device every parameter of `model` lives on (the CPU for a model without parameters, which
// the main constructor then rejects).
Device parameter_device(Module& model) {
  const auto named = model.named_parameters();
  return named.empty() ? Device::cpu() : named.front().param->tensor.device();
}
}  // namespace

FlatParameters::FlatParameters(Module& model, std::int64_t alignment)
    : FlatParameters(model, parameter_device(model), alignment) {}

FlatParameters::FlatParameters(Module& model, Device device, std::int64_t alignment) {
  DEEPOBS_CHECK(alignment >= 1, "FlatParameters: alignment must be >= 1, got ", alignment);
  const auto named = model.named_parameters();
  DEEPOBS_CHECK(!named.empty(), "FlatParameters: the model has no parameters");
  const Tensor& first = named.front().param->tensor;
  std::int64_t offset = 0;
  for (const auto& np : named) {
    const Tensor& t = np.param->tensor;
    DEEPOBS_CHECK(t.dtype() == first.dtype(), "FlatParameters: parameter '", np.name, "' is ",
                  t.str(), " but '", named.front().name, "' is ", dtype_name(first.dtype()),
                  " (one dtype per model)");
    DEEPOBS_CHECK(t.device() == first.device(), "FlatParameters: parameter '", np.name, "' is ",
                  t.str(), " but '", named.front().name, "' lives on ", first.device().str(),
                  " (one device per model)");
    DEEPOBS_CHECK(!t.impl().grad_is_buffer, "FlatParameters: parameter '", np.name,
                  "' is already packed into a flat buffer (use that one)");
    offset = (offset + alignment - 1) / alignment * alignment;
    segments_.push_back({np.name, offset, t.numel(), t.shape(), np.param->tags});
    offset += t.numel();
    num_parameters_ += t.numel();
  }
  DEEPOBS_CHECK(device.is_cpu() || first.dtype() == DType::F32,
                "FlatParameters: the parameters are ", dtype_name(first.dtype()), " but ",
                device.str(), " takes f32 only (the CUDA kernels are f32; f64 runs on the CPU)");
  params_ = Tensor::zeros({offset}, first.dtype(), device);
  grads_ = Tensor::zeros({offset}, first.dtype(), device);
  for (std::size_t i = 0; i < named.size(); ++i) {
    const Tensor& t = named[i].param->tensor;
    param_view(i).copy_from(t);  // across devices when the parameters live elsewhere
    t.set_data(param_view(i));   // every handle of the parameter now sees its flat segment
    t.set_grad_buffer(grad_view(i));
  }
  // The whole buffer is a leaf too, for ops over all parameters at once (the fused L2 term).
  params_.set_requires_grad(true);
  params_.set_grad_buffer(grads_);
}

Tensor FlatParameters::param_view(std::size_t i) const {
  const Segment& s = segments_.at(i);
  return params_.narrow0(s.offset, s.numel).view(s.shape);
}

Tensor FlatParameters::grad_view(std::size_t i) const {
  const Segment& s = segments_.at(i);
  return grads_.narrow0(s.offset, s.numel).view(s.shape);
}

}  // namespace deepobs
