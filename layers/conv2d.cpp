#include "layers/conv2d.h"

#include "core/ops/conv.h"

namespace deepobs::layers {
namespace {

void check_options(const char* layer, std::int64_t in, std::int64_t out, const ConvOptions& o) {
  DEEPOBS_CHECK(in >= 1 && out >= 1, layer, ": channel counts must be positive, got ", in, "→",
                out);
  DEEPOBS_CHECK(o.kernel_h >= 1 && o.kernel_w >= 1 && o.stride_h >= 1 && o.stride_w >= 1, layer,
                ": kernel ", o.kernel_h, "x", o.kernel_w, " and stride ", o.stride_h, "x",
                o.stride_w, " must be positive");
}

// Draws the kernel (shape `kernel_shape`, fans from `fans`), then the bias, and registers both.
void register_conv_parameters(Module& m, const Shape& kernel_shape, const init::Fans& fans,
                              std::int64_t out_channels, const ConvOptions& o, PhiloxGenerator& gen,
                              Tensor& weight, Tensor& bias) {
  Tensor w = Tensor::empty(kernel_shape, o.dtype);
  o.kernel_init.apply(w, fans, gen);
  weight = m.register_parameter("weight", w, {ParamKind::ConvWeight, o.regularised, o.layer_index});
  if (o.bias_init) {
    Tensor b = Tensor::empty({out_channels}, o.dtype);
    o.bias_init->apply(b, init::vector_fans(b.shape()), gen);
    bias = m.register_parameter("bias", b, {ParamKind::Bias, false, o.layer_index});
  }
}

}  // namespace

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, const ConvOptions& options,
               PhiloxGenerator& gen)
    : options_(options) {
  check_options("Conv2d", in_channels, out_channels, options);
  const Shape shape = {out_channels, in_channels, options.kernel_h, options.kernel_w};
  register_conv_parameters(*this, shape, init::conv_fans(shape), out_channels, options, gen,
                           weight_, bias_);
}

Tensor Conv2d::forward(const Tensor& x) const {
  return ops::conv2d(x, weight_, bias_, options_.stride_h, options_.stride_w, options_.padding);
}

ConvTranspose2d::ConvTranspose2d(std::int64_t in_channels, std::int64_t out_channels,
                                 const ConvOptions& options, PhiloxGenerator& gen)
    : options_(options) {
  check_options("ConvTranspose2d", in_channels, out_channels, options);
  const Shape shape = {in_channels, out_channels, options.kernel_h, options.kernel_w};
  register_conv_parameters(*this, shape, init::conv_transpose_fans(shape), out_channels, options,
                           gen, weight_, bias_);
}

Tensor ConvTranspose2d::forward(const Tensor& x) const {
  return ops::conv_transpose2d(x, weight_, bias_, options_.stride_h, options_.stride_w,
                               options_.padding);
}

}  // namespace deepobs::layers
