#include "core/flat_parameters.h"

namespace deepobs {

FlatParameters::FlatParameters(Module& model, std::int64_t alignment)
    : FlatParameters(model, Device::cpu(), alignment) {}

FlatParameters::FlatParameters(Module& model, Device device, std::int64_t alignment) {
  DEEPOBS_CHECK(alignment >= 1, "FlatParameters: alignment must be >= 1, got ", alignment);
  const auto named = model.named_parameters();
  DEEPOBS_CHECK(!named.empty(), "FlatParameters: the model has no parameters");
  const DType dtype = named.front().param->tensor.dtype();
  std::int64_t offset = 0;
  for (const auto& np : named) {
    const Tensor& t = np.param->tensor;
    DEEPOBS_CHECK(t.dtype() == dtype, "FlatParameters: parameter '", np.name, "' is ", t.str(),
                  " but '", named.front().name, "' is ", dtype_name(dtype),
                  " (one dtype per model)");
    DEEPOBS_CHECK(t.device().is_cpu(), "FlatParameters: parameter '", np.name,
                  "' must be created on the CPU, got ", t.str());
    offset = (offset + alignment - 1) / alignment * alignment;
    segments_.push_back({np.name, offset, t.numel(), t.shape(), np.param->tags});
    offset += t.numel();
    num_parameters_ += t.numel();
  }
  DEEPOBS_CHECK(device.is_cpu() || dtype == DType::F32, "FlatParameters: the parameters are ",
                dtype_name(dtype), " but ", device.str(),
                " takes f32 only (the CUDA kernels are f32; f64 runs on the CPU)");
  params_ = Tensor::zeros({offset}, dtype, device);
  grads_ = Tensor::zeros({offset}, dtype, device);
  for (std::size_t i = 0; i < named.size(); ++i) {
    const Tensor& t = named[i].param->tensor;
    Tensor dst = param_view(i);
    dst.copy_from(t);  // host-to-device when `device` is a GPU
    // Re-point the parameter's implementation (shared by every handle) at the flat segment.
    auto& impl = t.impl();
    impl.storage = dst.impl().storage;
    impl.offset = dst.impl().offset;
    t.set_grad_buffer(grad_view(i));
  }
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
