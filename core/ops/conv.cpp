#include "core/ops/conv.h"

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/conv.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/conv_layout.h"
#include "kernels/cuda/cudnn_conv.h"
#endif

namespace deepobs::ops {
namespace {

using kernels::cpu::ConvGeometry;

std::string shape_of(const Tensor& t) {
  return shape_str(t.shape());
}

// Rank, dtype and device checks shared by both ops; `channel_dim` is the weight dimension that
// must equal the input's channel count (1 for conv2d's [C_out, C_in, ..], 0 for the transposed
// conv's [C_in, C_out, ..]).
void check_operands(const char* op, const Tensor& x, const Tensor& weight, int channel_dim) {
  check_rank(op, "input", x, 4);
  check_rank(op, "weight", weight, 4);
  check_floating(op, "input", x);
  check_same_dtype_device(op, x, weight);
  DEEPOBS_CHECK(x.size(1) == weight.size(channel_dim), op, ": input ", shape_of(x), " has ",
                x.size(1), " channels but weight ", shape_of(weight), " expects ",
                weight.size(channel_dim));
  DEEPOBS_CHECK(
      weight.size(0) >= 1 && weight.size(1) >= 1 && weight.size(2) >= 1 && weight.size(3) >= 1, op,
      ": weight ", shape_of(weight), " has an empty dimension");
  detail::backend_for(op, x);  // fails early for a device or dtype without kernels
}

void check_bias(const char* op, const Tensor& x, const Tensor& bias, std::int64_t channels,
                const Tensor& weight) {
  if (!bias.defined()) return;
  check_same_dtype_device(op, x, bias);
  DEEPOBS_CHECK(bias.dim() == 1 && bias.size(0) == channels, op, ": bias ", shape_of(bias),
                " does not match weight ", shape_of(weight), " (expected [", channels, "])");
}

void check_window_args(const char* op, int stride_h, int stride_w, const Padding2d& p) {
  DEEPOBS_CHECK(stride_h >= 1 && stride_w >= 1, op, ": strides must be >= 1, got ", stride_h, ",",
                stride_w);
  DEEPOBS_CHECK(p.top >= 0 && p.bottom >= 0 && p.left >= 0 && p.right >= 0, op,
                ": padding must be >= 0, got ", padding_str(p));
}

// Geometry of the forward conv that maps an image of `in_channels` × in_h × in_w through `weight`
// viewed as [out_channels, in_channels, kh, kw] to out_h × out_w.
ConvGeometry geometry(std::int64_t batch, std::int64_t in_channels, std::int64_t in_h,
                      std::int64_t in_w, std::int64_t out_channels, const Tensor& weight,
                      int stride_h, int stride_w, const Padding2d& p, std::int64_t out_h,
                      std::int64_t out_w) {
  ConvGeometry g;
  g.batch = batch;
  g.in_channels = in_channels;
  g.in_h = in_h;
  g.in_w = in_w;
  g.out_channels = out_channels;
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.pad_top = p.top;
  g.pad_left = p.left;
  g.out_h = out_h;
  g.out_w = out_w;
  return g;
}

// The three conv products without autograd; conv2d, conv_transpose2d and both backward rules are
// built from them. Each allocates its result; all tensors are contiguous, of one dtype and on one
// device (the CPU kernels or cuDNN, per detail::backend_for). `bias` may be undefined.
Tensor conv_forward(const char* op, const ConvGeometry& g, const Tensor& x, const Tensor& w,
                    const Tensor& bias) {
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h, g.out_w}, x.dtype(), x.device());
  if (detail::backend_for(op, x) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    auto& ctx = detail::cuda_context(x);
    kernels::cuda::conv2d_forward(ctx, g, x.data<float>(), w.data<float>(), y.data<float>());
    if (bias.defined())
      kernels::cuda::add_channel_bias(ctx, y.data<float>(), bias.data<float>(), g.batch,
                                      g.out_channels, g.out_h * g.out_w);
#endif
    return y;
  }
  detail::dispatch_floating(op, x, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::conv2d_forward<T>(g, x.data<T>(), w.data<T>(),
                                    bias.defined() ? bias.data<T>() : nullptr, y.data<T>());
  });
  return y;
}

Tensor conv_backward_data(const char* op, const ConvGeometry& g, const Tensor& dy,
                          const Tensor& w) {
  Tensor dx = Tensor::empty({g.batch, g.in_channels, g.in_h, g.in_w}, dy.dtype(), dy.device());
  if (detail::backend_for(op, dy) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::conv2d_backward_data(detail::cuda_context(dy), g, dy.data<float>(),
                                        w.data<float>(), dx.data<float>());
#endif
    return dx;
  }
  detail::dispatch_floating(op, dy, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::conv2d_backward_data<T>(g, dy.data<T>(), w.data<T>(), dx.data<T>());
  });
  return dx;
}

Tensor conv_backward_filter(const char* op, const ConvGeometry& g, const Tensor& x,
                            const Tensor& dy, const Shape& weight_shape) {
  Tensor dw = Tensor::empty(weight_shape, x.dtype(), x.device());
  if (detail::backend_for(op, x) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::conv2d_backward_filter(detail::cuda_context(x), g, x.data<float>(),
                                          dy.data<float>(), dw.data<float>());
#endif
    return dw;
  }
  detail::dispatch_floating(op, x, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::conv2d_backward_filter<T>(g, x.data<T>(), dy.data<T>(), dw.data<T>());
  });
  return dw;
}

void add_bias(const char* op, const Tensor& y, const Tensor& bias) {
  if (detail::backend_for(op, y) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::add_channel_bias(detail::cuda_context(y), y.data<float>(), bias.data<float>(),
                                    y.size(0), y.size(1), y.size(2) * y.size(3));
#endif
    return;
  }
  detail::dispatch_floating(op, y, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::add_channel_bias<T>(y.data<T>(), bias.data<T>(), y.size(0), y.size(1),
                                      y.size(2) * y.size(3));
  });
}

Tensor bias_grad(const char* op, const Tensor& dy) {
  Tensor db = Tensor::empty({dy.size(1)}, dy.dtype(), dy.device());
  if (detail::backend_for(op, dy) == detail::Backend::kCuda) {
#if DEEPOBS_WITH_CUDA
    kernels::cuda::channel_sums(detail::cuda_context(dy), dy.data<float>(), dy.size(0), dy.size(1),
                                dy.size(2) * dy.size(3), db.data<float>());
#endif
    return db;
  }
  detail::dispatch_floating(op, dy, [&](auto t) {
    using T = decltype(t);
    kernels::cpu::channel_sums<T>(dy.data<T>(), dy.size(0), dy.size(1), dy.size(2) * dy.size(3),
                                  db.data<T>());
  });
  return db;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h, int stride_w,
              const Padding2d& padding) {
  constexpr const char* op = "conv2d";
  check_operands(op, x, weight, 1);
  check_bias(op, x, bias, weight.size(0), weight);
  check_window_args(op, stride_h, stride_w, padding);
  const std::int64_t kh = weight.size(2), kw = weight.size(3);
  DEEPOBS_CHECK(x.size(2) + padding.top + padding.bottom >= kh &&
                    x.size(3) + padding.left + padding.right >= kw,
                op, ": weight ", shape_of(weight), " does not fit input ", shape_of(x),
                " padded by ", padding_str(padding));
  const std::int64_t out_h = (x.size(2) + padding.top + padding.bottom - kh) / stride_h + 1;
  const std::int64_t out_w = (x.size(3) + padding.left + padding.right - kw) / stride_w + 1;
  const ConvGeometry g = geometry(x.size(0), x.size(1), x.size(2), x.size(3), weight.size(0),
                                  weight, stride_h, stride_w, padding, out_h, out_w);

  Tensor y = conv_forward(op, g, x, weight, bias);
  if (autograd::needs_grad({x, weight, bias})) {
    autograd::record(op, {x, weight, bias}, y, [x, weight, bias, g](const Tensor& gy) {
      Tensor gx =
          x.requires_grad() ? conv_backward_data("conv2d backward", g, gy, weight) : Tensor();
      Tensor gw = weight.requires_grad()
                      ? conv_backward_filter("conv2d backward", g, x, gy, weight.shape())
                      : Tensor();
      Tensor gb =
          bias.defined() && bias.requires_grad() ? bias_grad("conv2d backward", gy) : Tensor();
      return std::vector<Tensor>{gx, gw, gb};
    });
  }
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h, int stride_w,
              PaddingMode mode) {
  constexpr const char* op = "conv2d";
  check_rank(op, "input", x, 4);
  check_rank(op, "weight", weight, 4);
  check_window_args(op, stride_h, stride_w, Padding2d{});
  const std::int64_t kh = weight.size(2), kw = weight.size(3);
  DEEPOBS_CHECK(kh >= 1 && kw >= 1 && x.size(2) >= 1 && x.size(3) >= 1, op, ": input ", shape_of(x),
                " and weight ", shape_of(weight), " need non-empty spatial sizes");
  DEEPOBS_CHECK(mode == PaddingMode::kSame || (x.size(2) >= kh && x.size(3) >= kw), op,
                ": 'valid' weight ", shape_of(weight), " is larger than input ", shape_of(x));
  const Padding2d padding = padding_for(mode, x.size(2), x.size(3), static_cast<int>(kh),
                                        static_cast<int>(kw), stride_h, stride_w);
  return conv2d(x, weight, bias, stride_h, stride_w, padding);
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h,
                        int stride_w, const Padding2d& padding, std::int64_t out_h,
                        std::int64_t out_w) {
  constexpr const char* op = "conv_transpose2d";
  check_operands(op, x, weight, 0);
  check_bias(op, x, bias, weight.size(1), weight);
  check_window_args(op, stride_h, stride_w, padding);
  const std::int64_t kh = weight.size(2), kw = weight.size(3);
  // The forward conv this op is the adjoint of must map out_h × out_w back to x's size.
  const auto maps_back = [&](std::int64_t out, std::int64_t in, std::int64_t k, int s, int before,
                             int after) {
    return out >= 1 && out + before + after >= k && (out + before + after - k) / s + 1 == in;
  };
  DEEPOBS_CHECK(maps_back(out_h, x.size(2), kh, stride_h, padding.top, padding.bottom) &&
                    maps_back(out_w, x.size(3), kw, stride_w, padding.left, padding.right),
                op, ": output size ", out_h, "x", out_w, " is inconsistent with input ",
                shape_of(x), ", weight ", shape_of(weight), ", strides ", stride_h, ",", stride_w,
                " and padding ", padding_str(padding),
                " (the forward conv must map the output back to the input size)");
  const ConvGeometry g = geometry(x.size(0), weight.size(1), out_h, out_w, weight.size(0), weight,
                                  stride_h, stride_w, padding, x.size(2), x.size(3));

  Tensor y = conv_backward_data(op, g, x, weight);
  if (bias.defined()) add_bias(op, y, bias);
  if (autograd::needs_grad({x, weight, bias})) {
    autograd::record(op, {x, weight, bias}, y, [x, weight, bias, g](const Tensor& gy) {
      constexpr const char* bop = "conv_transpose2d backward";
      // y = convᵀ(x): dx = conv(gy), and the filter gradient is conv's with gy in the role of the
      // conv input and x in the role of its output gradient.
      Tensor gx = x.requires_grad() ? conv_forward(bop, g, gy, weight, Tensor()) : Tensor();
      Tensor gw =
          weight.requires_grad() ? conv_backward_filter(bop, g, gy, x, weight.shape()) : Tensor();
      Tensor gb = bias.defined() && bias.requires_grad() ? bias_grad(bop, gy) : Tensor();
      return std::vector<Tensor>{gx, gw, gb};
    });
  }
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h,
                        int stride_w, PaddingMode mode) {
  constexpr const char* op = "conv_transpose2d";
  check_rank(op, "input", x, 4);
  check_rank(op, "weight", weight, 4);
  check_window_args(op, stride_h, stride_w, Padding2d{});
  DEEPOBS_CHECK(weight.size(2) >= 1 && weight.size(3) >= 1 && x.size(2) >= 1 && x.size(3) >= 1, op,
                ": input ", shape_of(x), " and weight ", shape_of(weight),
                " need non-empty spatial sizes");
  const WindowExtent h =
      transposed_extent(mode, x.size(2), static_cast<int>(weight.size(2)), stride_h);
  const WindowExtent w =
      transposed_extent(mode, x.size(3), static_cast<int>(weight.size(3)), stride_w);
  return conv_transpose2d(x, weight, bias, stride_h, stride_w,
                          Padding2d{h.pad_before, h.pad_after, w.pad_before, w.pad_after}, h.out,
                          w.out);
}

}  // namespace deepobs::ops
