#include "core/ops/loss.h"

#include <cstdint>

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/softmax_xent.h"

namespace deepobs::ops {
namespace {

// Calls f(L{}) with L = int32_t or int64_t according to the labels' dtype.
template <class F>
decltype(auto) dispatch_labels(const char* op, const Tensor& labels, F&& f) {
  switch (labels.dtype()) {
    case DType::I32:
      return f(std::int32_t{});
    case DType::I64:
      return f(std::int64_t{});
    default:
      throw Error(cat(op, ": labels must be i32 or i64, got ", labels.str()));
  }
}

// Checks shapes, dtypes, devices and every label value shared by the loss and the accuracy.
void check_classification(const char* op, const Tensor& logits, const Tensor& labels) {
  check_rank(op, "logits", logits, 2);
  check_floating(op, "logits", logits);
  check_rank(op, "labels", labels, 1);
  DEEPOBS_CHECK(labels.device() == logits.device(), op, ": devices differ: logits ", logits.str(),
                " vs labels ", labels.str());
  DEEPOBS_CHECK(labels.size(0) == logits.size(0), op, ": logits ", shape_str(logits.shape()),
                " have ", logits.size(0), " rows but labels ", shape_str(labels.shape()), " have ",
                labels.size(0));
  DEEPOBS_CHECK(logits.size(1) > 0, op, ": logits ", shape_str(logits.shape()), " have no classes");
  detail::require_kernel_device(op, logits);
  const std::int64_t classes = logits.size(1);
  dispatch_labels(op, labels, [&](auto l) {
    using L = decltype(l);
    const L* p = labels.data<L>();
    const std::int64_t bad = kernels::cpu::first_bad_label(p, labels.numel(), classes);
    DEEPOBS_CHECK(bad < 0, op, ": label ", static_cast<std::int64_t>(p[bad]), " in row ", bad,
                  " is outside [0, ", classes, ")");
  });
}

}  // namespace

Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing) {
  const char* op = "softmax_cross_entropy";
  check_classification(op, logits, labels);
  DEEPOBS_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, op,
                ": label_smoothing must be in [0, 1], got ", label_smoothing);
  const std::int64_t n = logits.size(0), classes = logits.size(1);
  Tensor loss = Tensor::empty({n}, logits.dtype(), logits.device());
  // log Σ exp per row, kept for the backward pass (N values: far cheaper than the softmax).
  Tensor lse = Tensor::empty({n}, logits.dtype(), logits.device());
  detail::dispatch_floating(op, logits, [&](auto t) {
    using T = decltype(t);
    dispatch_labels(op, labels, [&](auto l) {
      using L = decltype(l);
      kernels::cpu::softmax_xent_forward<T, L>(logits.data<T>(), labels.data<L>(), n, classes,
                                               static_cast<T>(label_smoothing), loss.data<T>(),
                                               lse.data<T>());
    });
  });
  if (autograd::needs_grad({logits})) {
    autograd::record(
        op, {logits, labels}, loss, [op, logits, labels, lse, label_smoothing](const Tensor& g) {
          Tensor d = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
          detail::dispatch_floating(op, logits, [&](auto t) {
            using T = decltype(t);
            dispatch_labels(op, labels, [&](auto l) {
              using L = decltype(l);
              kernels::cpu::softmax_xent_backward<T, L>(
                  logits.data<T>(), labels.data<L>(), lse.data<T>(), g.data<T>(), logits.size(0),
                  logits.size(1), static_cast<T>(label_smoothing), d.data<T>());
            });
          });
          return std::vector<Tensor>{d, Tensor()};
        });
  }
  return loss;
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  const char* op = "accuracy";
  check_classification(op, logits, labels);
  const std::int64_t n = logits.size(0);
  DEEPOBS_CHECK(n > 0, op, ": no rows in ", logits.str(),
                " (the accuracy of nothing is undefined)");
  const std::int64_t correct = detail::dispatch_floating(op, logits, [&](auto t) {
    using T = decltype(t);
    return dispatch_labels(op, labels, [&](auto l) {
      using L = decltype(l);
      return kernels::cpu::count_correct<T, L>(logits.data<T>(), labels.data<L>(), n,
                                               logits.size(1));
    });
  });
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace deepobs::ops
