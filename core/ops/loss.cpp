#include "core/ops/loss.h"

#include <cstdint>

#include "core/autograd.h"
#include "core/backend.h"
#include "core/capture_safety.h"
#include "core/profiler.h"
#include "kernels/cpu/softmax_xent.h"
#include "kernels/cuda/softmax_xent.h"

namespace deepobs::ops {
namespace {

// Calls f(L{}) with L = int32_t or int64_t according to the labels' dtype.
template <class F>
decltype(auto) with_labels(const char* op, const Tensor& labels, F&& f) {
  if (labels.dtype() == DType::I32) return f(std::int32_t{});
  DEEPOBS_CHECK(labels.dtype() == DType::I64, op, ": labels must be i32 or i64, got ",
                labels.str());
  return f(std::int64_t{});
}

// Checks shapes, dtypes, devices and, on the CPU, every label value. On a GPU the labels stay on
// the device (no step waits for a read-back): a bad label makes its row's loss NaN there, and the
// accuracy reports it (kernels/cuda/softmax_xent.h).
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
  backend::launch(op, logits, [](auto) {});  // fails early for a device or dtype without kernels
  with_labels(op, labels, [&](auto l) {
    if (logits.device().is_cuda()) return;
    const auto* p = labels.data<decltype(l)>();
    const std::int64_t bad = kernels::cpu::first_bad_label(p, labels.numel(), logits.size(1));
    DEEPOBS_CHECK(bad < 0, op, ": label ", static_cast<std::int64_t>(p[bad]), " in row ", bad,
                  " is outside [0, ", logits.size(1), ")");
  });
}

}  // namespace

Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing) {
  constexpr const char* op = "softmax_cross_entropy";
  check_classification(op, logits, labels);
  DEEPOBS_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, op,
                ": label_smoothing must be in [0, 1], got ", label_smoothing);
  const std::int64_t n = logits.size(0), classes = logits.size(1);
  // Per logit: max (1), subtract and exp (2), sum (1), the smoothed target's weight (1); per row
  // a log and two more operations. The rule recomputes the softmax from the saved log-sum-exp and
  // subtracts the target, times the row's gradient (4 per logit). Bytes: logits, labels, loss
  // (forward) and logits, labels, lse, dloss, dlogits (backward).
  profile::OpScope scope(op, [&] {
    const std::size_t es = dtype_size(logits.dtype());
    const double cells = static_cast<double>(n * classes);
    const double label_bytes = profile::bytes_of(n, dtype_size(labels.dtype()));
    return profile::OpCost{{5 * cells + 3.0 * static_cast<double>(n),
                            profile::bytes_of(n * classes + 2 * n, es) + label_bytes},
                           {logits.requires_grad() ? 4 * cells : 0.0,
                            profile::bytes_of(2 * n * classes + 2 * n, es) + label_bytes}};
  });
  Tensor loss = Tensor::empty({n}, logits.dtype(), logits.device());
  // log Σ exp per row, saved for the backward pass (N values: far cheaper than the softmax).
  Tensor lse = Tensor::empty({n}, logits.dtype(), logits.device());
  backend::launch(op, logits, [&](auto be) {
    using T = typename decltype(be)::type;
    with_labels(op, labels, [&](auto l) {
      DEEPOBS_KERNEL(be, softmax_xent_forward, logits.data<T>(), labels.data<decltype(l)>(), n,
                     classes, static_cast<T>(label_smoothing), loss.data<T>(), lse.data<T>());
    });
  });
  if (autograd::needs_grad({logits}))
    autograd::record(
        op, {logits, labels}, {loss}, {logits, labels, lse}, [label_smoothing](const auto& g) {
          const Tensor &x = g.saved[0], &y = g.saved[1], &s = g.saved[2];
          Tensor d = Tensor::empty(x.shape(), x.dtype(), x.device());
          backend::launch("softmax_cross_entropy backward", x, [&](auto be) {
            using T = typename decltype(be)::type;
            with_labels("softmax_cross_entropy", y, [&](auto l) {
              DEEPOBS_KERNEL(be, softmax_xent_backward, x.data<T>(), y.template data<decltype(l)>(),
                             s.data<T>(), g.g().template data<T>(), x.size(0), x.size(1),
                             static_cast<T>(label_smoothing), d.data<T>());
            });
          });
          return std::vector<Tensor>{d, Tensor()};
        });
  return loss;
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  constexpr const char* op = "accuracy";
  check_classification(op, logits, labels);
  if (logits.device().is_cuda()) refuse_capture(op, "it reads its count back to the host");
  const std::int64_t n = logits.size(0);
  DEEPOBS_CHECK(n > 0, op, ": no rows in ", logits.str(),
                " (the accuracy of nothing is undefined)");
  const std::int64_t correct = backend::launch(op, logits, [&](auto be) {
    using T = typename decltype(be)::type;
    return with_labels(op, labels, [&](auto l) -> std::int64_t {
      const auto* pl = labels.data<decltype(l)>();
      if constexpr (decltype(be)::is_cpu) {
        return kernels::cpu::count_correct(logits.data<T>(), pl, n, logits.size(1));
      } else {
        const auto c =
            kernels::cuda::count_correct(be.ctx, logits.data<T>(), pl, n, logits.size(1));
        DEEPOBS_CHECK(c.first_bad_row < 0, op, ": label ", c.first_bad_label, " in row ",
                      c.first_bad_row, " is outside [0, ", logits.size(1), ")");
        return c.correct;
      }
    });
  });
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace deepobs::ops
