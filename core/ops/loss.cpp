#include "core/ops/loss.h"

#include <cstdint>

#include "core/autograd.h"
#include "core/ops/dispatch.h"
#include "kernels/cpu/softmax_xent.h"
#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/softmax_xent.h"
#endif

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

// Checks shapes, dtypes, devices and (on the CPU) every label value shared by the loss and the
// accuracy. Returns true when the op runs on the CUDA kernels: their labels stay on the device and
// are checked there (kernels/cuda/softmax_xent.h: a bad label makes the loss NaN; the accuracy
// reports it and throws below), so no step waits for a label read-back.
bool check_classification(const char* op, const Tensor& logits, const Tensor& labels) {
  check_rank(op, "logits", logits, 2);
  check_floating(op, "logits", logits);
  check_rank(op, "labels", labels, 1);
  DEEPOBS_CHECK(labels.device() == logits.device(), op, ": devices differ: logits ", logits.str(),
                " vs labels ", labels.str());
  DEEPOBS_CHECK(labels.size(0) == logits.size(0), op, ": logits ", shape_str(logits.shape()),
                " have ", logits.size(0), " rows but labels ", shape_str(labels.shape()), " have ",
                labels.size(0));
  DEEPOBS_CHECK(logits.size(1) > 0, op, ": logits ", shape_str(logits.shape()), " have no classes");
  if (detail::backend_for(op, logits) == detail::Backend::kCuda) {
    dispatch_labels(op, labels, [](auto) {});  // the label dtype check of the CPU path
    return true;
  }
  const std::int64_t classes = logits.size(1);
  dispatch_labels(op, labels, [&](auto l) {
    using L = decltype(l);
    const L* p = labels.data<L>();
    const std::int64_t bad = kernels::cpu::first_bad_label(p, labels.numel(), classes);
    DEEPOBS_CHECK(bad < 0, op, ": label ", static_cast<std::int64_t>(p[bad]), " in row ", bad,
                  " is outside [0, ", classes, ")");
  });
  return false;
}

}  // namespace

Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing) {
  const char* op = "softmax_cross_entropy";
  const bool cuda = check_classification(op, logits, labels);
  DEEPOBS_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, op,
                ": label_smoothing must be in [0, 1], got ", label_smoothing);
  const std::int64_t n = logits.size(0), classes = logits.size(1);
  Tensor loss = Tensor::empty({n}, logits.dtype(), logits.device());
  // log Σ exp per row, kept for the backward pass (N values: far cheaper than the softmax).
  Tensor lse = Tensor::empty({n}, logits.dtype(), logits.device());
  if (cuda) {
#if DEEPOBS_WITH_CUDA
    dispatch_labels(op, labels, [&](auto l) {
      using L = decltype(l);
      kernels::cuda::softmax_xent_forward<L>(
          detail::cuda_context(logits), logits.data<float>(), labels.data<L>(), n, classes,
          static_cast<float>(label_smoothing), loss.data<float>(), lse.data<float>());
    });
#endif
  } else {
    detail::dispatch_floating(op, logits, [&](auto t) {
      using T = decltype(t);
      dispatch_labels(op, labels, [&](auto l) {
        using L = decltype(l);
        kernels::cpu::softmax_xent_forward<T, L>(logits.data<T>(), labels.data<L>(), n, classes,
                                                 static_cast<T>(label_smoothing), loss.data<T>(),
                                                 lse.data<T>());
      });
    });
  }
  if (autograd::needs_grad({logits})) {
    autograd::record(op, {logits, labels}, loss,
                     [op, logits, labels, lse, label_smoothing, cuda](const Tensor& g) {
                       Tensor d = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
                       if (cuda) {
#if DEEPOBS_WITH_CUDA
                         dispatch_labels(op, labels, [&](auto l) {
                           using L = decltype(l);
                           kernels::cuda::softmax_xent_backward<L>(
                               detail::cuda_context(logits), logits.data<float>(), labels.data<L>(),
                               lse.data<float>(), g.data<float>(), logits.size(0), logits.size(1),
                               static_cast<float>(label_smoothing), d.data<float>());
                         });
#endif
                         return std::vector<Tensor>{d, Tensor()};
                       }
                       detail::dispatch_floating(op, logits, [&](auto t) {
                         using T = decltype(t);
                         dispatch_labels(op, labels, [&](auto l) {
                           using L = decltype(l);
                           kernels::cpu::softmax_xent_backward<T, L>(
                               logits.data<T>(), labels.data<L>(), lse.data<T>(), g.data<T>(),
                               logits.size(0), logits.size(1), static_cast<T>(label_smoothing),
                               d.data<T>());
                         });
                       });
                       return std::vector<Tensor>{d, Tensor()};
                     });
  }
  return loss;
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  const char* op = "accuracy";
  const bool cuda = check_classification(op, logits, labels);
  const std::int64_t n = logits.size(0);
  DEEPOBS_CHECK(n > 0, op, ": no rows in ", logits.str(),
                " (the accuracy of nothing is undefined)");
  if (cuda) {
#if DEEPOBS_WITH_CUDA
    const auto counted = dispatch_labels(op, labels, [&](auto l) {
      using L = decltype(l);
      return kernels::cuda::count_correct<L>(detail::cuda_context(logits), logits.data<float>(),
                                             labels.data<L>(), n, logits.size(1));
    });
    DEEPOBS_CHECK(counted.first_bad_row < 0, op, ": label ", counted.first_bad_label, " in row ",
                  counted.first_bad_row, " is outside [0, ", logits.size(1), ")");
    return static_cast<double>(counted.correct) / static_cast<double>(n);
#endif
  }
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
