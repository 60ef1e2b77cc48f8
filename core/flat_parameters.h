// One flat buffer for all parameters of a model and a second for their gradients.
//
// After a model is built, FlatParameters copies every parameter into one contiguous buffer and
// re-points the parameter tensors at their segment, so every existing handle (layers keep copies)
// sees the flat storage. Gradients accumulate into the matching segment of the gradient buffer.
// zero_grad is one memset and an optimizer step one loop/kernel over the buffer; plugins receive
// the two pointers and the segment table. params() is itself a leaf whose gradient buffer is
// grads(), so an op over all parameters at once (ops::l2_penalty) adds its gradient in place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/module.h"

namespace deepobs {

struct Segment {
  std::string name;     // full parameter name, e.g. "conv1/weight"
  std::int64_t offset;  // in elements from the start of the flat buffer
  std::int64_t numel;
  Shape shape;
  ParamTags tags;
};

class FlatParameters {
 public:
  // Packs the parameters of `model` (all must share one floating dtype and one device) into two
  // buffers on that device. Segments start at multiples
  // of `alignment` elements (so vectorised GPU loads stay aligned); the gaps are zero and stay zero
  // under any elementwise update that maps (0 param, 0 grad, 0 state) to 0. The model must outlive
  // this object and must not register further parameters. Throws deepobs::Error for an empty model
  // or mixed dtypes.
  explicit FlatParameters(Module& model, std::int64_t alignment = 16);
  // As above, with the two buffers on `device`: the parameters (wherever they live) are copied
  // there and re-pointed, so the model then lives on `device` (a CUDA device needs f32
  // parameters, since the CUDA kernels are f32-only). zero_grad is then one memset on the
  // device's stream.
  FlatParameters(Module& model, Device device, std::int64_t alignment = 16);

  const Tensor& params() const { return params_; }
  const Tensor& grads() const { return grads_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // Length of the buffers in elements, gaps included.
  std::int64_t size() const { return params_.numel(); }
  // Number of trainable scalars (gaps excluded).
  std::int64_t num_parameters() const { return num_parameters_; }

  // Zeroes the whole gradient buffer.
  void zero_grad() const { grads_.fill(0.0); }
  // The parameter / gradient of segment i as a view with the parameter's shape.
  Tensor param_view(std::size_t i) const;
  Tensor grad_view(std::size_t i) const;

 private:
  Tensor params_, grads_;
  std::vector<Segment> segments_;
  std::int64_t num_parameters_ = 0;
};

}  // namespace deepobs
