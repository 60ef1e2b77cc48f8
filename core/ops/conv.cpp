#include "core/ops/conv.h"

#include "core/autograd.h"
#include "core/backend.h"
#include "core/profiler.h"
#include "kernels/cpu/conv.h"
#include "kernels/cuda/conv_layout.h"
#include "kernels/cuda/cudnn_conv.h"

namespace deepobs::ops {
namespace {

using kernels::cpu::ConvGeometry;
using V = std::vector<Tensor>;

std::string shape_of(const Tensor& t) {
  return shape_str(t.shape());
}

// Rank, dtype and device checks of both ops; `channel_dim` is the weight dimension that must
// equal the input's channel count (1 for conv2d's [C_out, C_in, ..], 0 for the transposed conv's
// [C_in, C_out, ..]). `bias_channels` is what the bias must hold.
void check_operands(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    int channel_dim, std::int64_t bias_channels, int stride_h, int stride_w,
                    const Padding2d& p) {
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
  if (bias.defined()) {
    check_same_dtype_device(op, x, bias);
    DEEPOBS_CHECK(bias.dim() == 1 && bias.size(0) == bias_channels, op, ": bias ", shape_of(bias),
                  " does not match weight ", shape_of(weight), " (expected [", bias_channels, "])");
  }
  DEEPOBS_CHECK(stride_h >= 1 && stride_w >= 1, op, ": strides must be >= 1, got ", stride_h, ",",
                stride_w);
  DEEPOBS_CHECK(p.top >= 0 && p.bottom >= 0 && p.left >= 0 && p.right >= 0, op,
                ": padding must be >= 0, got ", padding_str(p));
  backend::launch(op, x, [](auto) {});  // fails early for a device or dtype without kernels
}

// The checks of the PaddingMode overloads, before the padding is derived from the sizes.
void check_mode_args(const char* op, const Tensor& x, const Tensor& weight, int stride_h,
                     int stride_w) {
  check_rank(op, "input", x, 4);
  check_rank(op, "weight", weight, 4);
  DEEPOBS_CHECK(stride_h >= 1 && stride_w >= 1, op, ": strides must be >= 1, got ", stride_h, ",",
                stride_w);
  DEEPOBS_CHECK(weight.size(2) >= 1 && weight.size(3) >= 1 && x.size(2) >= 1 && x.size(3) >= 1, op,
                ": input ", shape_of(x), " and weight ", shape_of(weight),
                " need non-empty spatial sizes");
}

// The forward conv that maps [batch, in_channels, in_h, in_w] through `weight` viewed as
// [out_channels, in_channels, kh, kw] to out_h × out_w.
ConvGeometry geometry(std::int64_t batch, std::int64_t in_channels, std::int64_t in_h,
                      std::int64_t in_w, std::int64_t out_channels, const Tensor& weight,
                      int stride_h, int stride_w, const Padding2d& p, std::int64_t out_h,
                      std::int64_t out_w) {
  return ConvGeometry{batch,          in_channels,    in_h,     in_w,     out_channels,
                      weight.size(2), weight.size(3), stride_h, stride_w, p.top,
                      p.left,         out_h,          out_w};
}

// The conv products, not recorded; both ops and both backward rules are built from them. Each
// allocates its result; `bias` may be undefined.
Tensor conv_forward(const char* op, const ConvGeometry& g, const Tensor& x, const Tensor& w,
                    const Tensor& bias) {
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h, g.out_w}, x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    if constexpr (decltype(be)::is_cpu) {
      kernels::cpu::conv2d_forward<T>(g, x.data<T>(), w.data<T>(), b, y.data<T>());
    } else {
      kernels::cuda::conv2d_forward(be.ctx, g, x.data<T>(), w.data<T>(), y.data<T>());
      if (b)
        kernels::cuda::add_channel_bias(be.ctx, y.data<T>(), b, g.batch, g.out_channels,
                                        g.out_h * g.out_w);
    }
  });
  return y;
}

Tensor conv_backward_data(const char* op, const ConvGeometry& g, const Tensor& dy,
                          const Tensor& w) {
  Tensor dx = Tensor::empty({g.batch, g.in_channels, g.in_h, g.in_w}, dy.dtype(), dy.device());
  backend::launch(op, dy, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, conv2d_backward_data, g, dy.data<T>(), w.data<T>(), dx.data<T>());
  });
  return dx;
}

Tensor conv_backward_filter(const char* op, const ConvGeometry& g, const Tensor& x,
                            const Tensor& dy, const Shape& weight_shape) {
  Tensor dw = Tensor::empty(weight_shape, x.dtype(), x.device());
  backend::launch(op, x, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, conv2d_backward_filter, g, x.data<T>(), dy.data<T>(), dw.data<T>());
  });
  return dw;
}

// Σ over batch and space of dy: the bias gradient (per channel).
Tensor channel_sums(const char* op, const Tensor& dy) {
  Tensor db = Tensor::empty({dy.size(1)}, dy.dtype(), dy.device());
  backend::launch(op, dy, [&](auto be) {
    using T = typename decltype(be)::type;
    DEEPOBS_KERNEL(be, channel_sums, dy.data<T>(), dy.size(0), dy.size(1), dy.size(2) * dy.size(3),
                   db.data<T>());
  });
  return db;
}

// The profiler's cost of a conv (core/profiler.h convention): `g` is the forward conv of conv2d,
// whose input gradient is conv_transpose2d's forward pass; `forward_is_data_gradient` swaps the
// two roles. A product counts 2 FLOPs per multiply-add over N·C_out·H_out·W_out·C_in·kh·kw; the
// bias adds one FLOP per output element. The backward rule computes the gradients of the inputs
// that require them: each of the two products costs as much as the forward one.
profile::OpCost conv_cost(const ConvGeometry& g, bool forward_is_data_gradient, const Tensor& x,
                          const Tensor& w, const Tensor& bias) {
  const std::size_t es = dtype_size(x.dtype());
  const std::int64_t in = g.batch * g.in_channels * g.in_h * g.in_w;
  const std::int64_t out = g.batch * g.out_channels * g.out_h * g.out_w;
  const double product = 2.0 * static_cast<double>(out) * static_cast<double>(g.in_channels) *
                         static_cast<double>(g.kernel_h * g.kernel_w);
  const std::int64_t biased = bias.defined() ? (forward_is_data_gradient ? in : out) : 0;
  const std::int64_t bias_n = bias.defined() ? bias.numel() : 0;
  profile::OpCost c;
  c.forward = {product + static_cast<double>(biased),
               profile::bytes_of(in + out + w.numel() + bias_n, es)};
  const bool x_grad = x.requires_grad(), w_grad = w.requires_grad();
  const bool b_grad = bias.defined() && bias.requires_grad();
  c.backward.flops = product * (x_grad + w_grad) + static_cast<double>(b_grad ? biased : 0);
  // Every gradient reads the output gradient; the input gradient also reads w and writes dx, the
  // filter gradient reads x and writes dw, the bias gradient writes db.
  c.backward.bytes = profile::bytes_of(
      (x_grad + w_grad + b_grad) * (forward_is_data_gradient ? in : out) +
          x_grad * (w.numel() + (forward_is_data_gradient ? out : in)) +
          w_grad * ((forward_is_data_gradient ? out : in) + w.numel()) + b_grad * bias_n,
      es);
  return c;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h, int stride_w,
              const Padding2d& padding) {
  constexpr const char* op = "conv2d";
  check_operands(op, x, weight, bias, 1, weight.size(0), stride_h, stride_w, padding);
  const std::int64_t kh = weight.size(2), kw = weight.size(3);
  DEEPOBS_CHECK(x.size(2) + padding.top + padding.bottom >= kh &&
                    x.size(3) + padding.left + padding.right >= kw,
                op, ": weight ", shape_of(weight), " does not fit input ", shape_of(x),
                " padded by ", padding_str(padding));
  const std::int64_t out_h = (x.size(2) + padding.top + padding.bottom - kh) / stride_h + 1;
  const std::int64_t out_w = (x.size(3) + padding.left + padding.right - kw) / stride_w + 1;
  const ConvGeometry g = geometry(x.size(0), x.size(1), x.size(2), x.size(3), weight.size(0),
                                  weight, stride_h, stride_w, padding, out_h, out_w);
  profile::OpScope scope(op, [&] { return conv_cost(g, false, x, weight, bias); });
  Tensor y = conv_forward(op, g, x, weight, bias);
  if (autograd::needs_grad({x, weight, bias}))
    autograd::record(op, {x, weight, bias}, {y}, {x, weight}, [g](const auto& gr) {
      constexpr const char* bop = "conv2d backward";
      const Tensor &sx = gr.saved[0], &sw = gr.saved[1], &dy = gr.g();
      return V{gr.wants[0] ? conv_backward_data(bop, g, dy, sw) : Tensor(),
               gr.wants[1] ? conv_backward_filter(bop, g, sx, dy, sw.shape()) : Tensor(),
               gr.wants[2] ? channel_sums(bop, dy) : Tensor()};
    });
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h, int stride_w,
              PaddingMode mode) {
  check_mode_args("conv2d", x, weight, stride_h, stride_w);
  DEEPOBS_CHECK(
      mode == PaddingMode::kSame || (x.size(2) >= weight.size(2) && x.size(3) >= weight.size(3)),
      "conv2d: 'valid' weight ", shape_of(weight), " is larger than input ", shape_of(x));
  return conv2d(x, weight, bias, stride_h, stride_w,
                padding_for(mode, x.size(2), x.size(3), static_cast<int>(weight.size(2)),
                            static_cast<int>(weight.size(3)), stride_h, stride_w));
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h,
                        int stride_w, const Padding2d& padding, std::int64_t out_h,
                        std::int64_t out_w) {
  constexpr const char* op = "conv_transpose2d";
  check_operands(op, x, weight, bias, 0, weight.size(1), stride_h, stride_w, padding);
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
  profile::OpScope scope(op, [&] { return conv_cost(g, true, x, weight, bias); });
  Tensor y = conv_backward_data(op, g, x, weight);
  if (bias.defined())
    backend::launch(op, y, [&](auto be) {
      using T = typename decltype(be)::type;
      DEEPOBS_KERNEL(be, add_channel_bias, y.data<T>(), bias.data<T>(), y.size(0), y.size(1),
                     y.size(2) * y.size(3));
    });
  if (autograd::needs_grad({x, weight, bias}))
    autograd::record(op, {x, weight, bias}, {y}, {x, weight}, [g](const auto& gr) {
      // y = convᵀ(x): dx = conv(dy), and the filter gradient is conv's with dy in the role of the
      // conv input and x in the role of its output gradient.
      constexpr const char* bop = "conv_transpose2d backward";
      const Tensor &sx = gr.saved[0], &sw = gr.saved[1], &dy = gr.g();
      return V{gr.wants[0] ? conv_forward(bop, g, dy, sw, Tensor()) : Tensor(),
               gr.wants[1] ? conv_backward_filter(bop, g, dy, sx, sw.shape()) : Tensor(),
               gr.wants[2] ? channel_sums(bop, dy) : Tensor()};
    });
  return y;
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int stride_h,
                        int stride_w, PaddingMode mode) {
  check_mode_args("conv_transpose2d", x, weight, stride_h, stride_w);
  const WindowExtent h =
      transposed_extent(mode, x.size(2), static_cast<int>(weight.size(2)), stride_h);
  const WindowExtent w =
      transposed_extent(mode, x.size(3), static_cast<int>(weight.size(3)), stride_w);
  return conv_transpose2d(x, weight, bias, stride_h, stride_w,
                          Padding2d{h.pad_before, h.pad_after, w.pad_before, w.pad_after}, h.out,
                          w.out);
}

}  // namespace deepobs::ops
