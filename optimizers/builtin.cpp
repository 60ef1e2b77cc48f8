#include "optimizers/builtin.h"

#include "kernels/cpu/optimizer_updates.h"

namespace deepobs {
namespace {

// Runs `fn.template operator()<T>()` with T the C++ type of the (floating) parameter dtype; the
// Optimizer base class has already refused anything but f32/f64.
template <class Fn>
void with_float_type(DType dtype, Fn&& fn) {
  if (dtype == DType::F64) {
    fn.template operator()<double>();
  } else {
    fn.template operator()<float>();
  }
}

class GradientDescent final : public Optimizer {
 public:
  GradientDescent(FlatParameters& flat, const Hyperparameters& hp)
      : Optimizer(gradient_descent_info(), flat, hp) {}

 private:
  void apply(const StepContext& ctx) override {
    const FlatParameters& flat = parameters();
    with_float_type(flat.params().dtype(), [&]<class T>() {
      kernels::cpu::sgd_update<T>(flat.params().data<T>(), flat.grads().data<T>(), flat.size(),
                                  static_cast<T>(ctx.learning_rate));
    });
  }
};

class Momentum final : public Optimizer {
 public:
  Momentum(FlatParameters& flat, const Hyperparameters& hp)
      : Optimizer(momentum_info(), flat, hp),
        momentum_(hp.get_f64("momentum")),
        nesterov_(hp.get_bool("use_nesterov")) {}

 private:
  void apply(const StepContext& ctx) override {
    const FlatParameters& flat = parameters();
    Tensor& accum = slot(0);
    with_float_type(flat.params().dtype(), [&]<class T>() {
      kernels::cpu::momentum_update<T>(
          flat.params().data<T>(), flat.grads().data<T>(), accum.data<T>(), flat.size(),
          static_cast<T>(ctx.learning_rate), static_cast<T>(momentum_), nesterov_);
    });
  }

  double momentum_;
  bool nesterov_;
};

class Adam final : public Optimizer {
 public:
  Adam(FlatParameters& flat, const Hyperparameters& hp)
      : Optimizer(adam_info(), flat, hp),
        beta1_(hp.get_f64("beta1")),
        beta2_(hp.get_f64("beta2")),
        epsilon_(hp.get_f64("epsilon")) {}

 private:
  void apply(const StepContext& ctx) override {
    const FlatParameters& flat = parameters();
    Tensor& m = slot(0);
    Tensor& v = slot(1);
    std::int64_t& count = slot(2).data<std::int64_t>()[0];
    const std::int64_t t = count + 1;
    const double lr_t = kernels::cpu::adam_step_size(ctx.learning_rate, beta1_, beta2_, t);
    with_float_type(flat.params().dtype(), [&]<class T>() {
      kernels::cpu::adam_update<T>(flat.params().data<T>(), flat.grads().data<T>(), m.data<T>(),
                                   v.data<T>(), flat.size(), static_cast<T>(lr_t),
                                   static_cast<T>(beta1_), static_cast<T>(beta2_),
                                   static_cast<T>(epsilon_));
    });
    count = t;
  }

  double beta1_, beta2_, epsilon_;
};

}  // namespace

const OptimizerInfo& gradient_descent_info() {
  static const OptimizerInfo info{
      .name = "GradientDescentOptimizer",
      .aliases = {"sgd"},
      .description = "gradient descent: theta -= lr * grad (TF tf.train.GradientDescentOptimizer)",
  };
  return info;
}

const OptimizerInfo& momentum_info() {
  static const OptimizerInfo info{
      .name = "MomentumOptimizer",
      .aliases = {"momentum"},
      .description =
          "heavy-ball momentum: accum = m * accum + grad; theta -= lr * accum "
          "(TF tf.train.MomentumOptimizer)",
      .hyperparameters =
          {
              {.name = "momentum",
               .type = HyperparameterType::F64,
               .min = 0.0,
               .max = 1.0,
               .max_exclusive = true,
               .doc = "momentum coefficient m (no default, as in DeepOBS; the baselines use 0.99)"},
              {.name = "use_nesterov",
               .type = HyperparameterType::Bool,
               .default_value = false,
               .doc = "Nesterov's variant: theta -= lr * (grad + m * accum)"},
          },
      .state_slots = {{.name = "accumulator",
                       .kind = StateSlotKind::LikeParams,
                       .doc = "sum of past gradients decayed by m (TF's 'momentum' slot)"}},
  };
  return info;
}

const OptimizerInfo& adam_info() {
  static const OptimizerInfo info{
      .name = "AdamOptimizer",
      .aliases = {"adam"},
      .description =
          "Adam with TF's epsilon placement: theta -= lr_t * m / (sqrt(v) + epsilon), "
          "lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) (TF tf.train.AdamOptimizer)",
      .hyperparameters =
          {
              {.name = "beta1",
               .type = HyperparameterType::F64,
               .default_value = 0.9,
               .min = 0.0,
               .max = 1.0,
               .max_exclusive = true,
               .doc = "decay rate of the first-moment (mean) estimate m"},
              {.name = "beta2",
               .type = HyperparameterType::F64,
               .default_value = 0.999,
               .min = 0.0,
               .max = 1.0,
               .max_exclusive = true,
               .doc = "decay rate of the second-moment estimate v"},
              // TF adds epsilon to the uncorrected sqrt(v); in the paper's notation that is
              // epsilon / sqrt(1 - beta2^t) added to sqrt(v_hat), large in the first steps.
              {.name = "epsilon",
               .type = HyperparameterType::F64,
               .default_value = 1e-8,
               .min = 0.0,
               .min_exclusive = true,
               .log_scale = true,
               .doc = "added to sqrt(v) before bias correction (TF's placement)"},
          },
      .state_slots =
          {
              {.name = "m", .kind = StateSlotKind::LikeParams, .doc = "first-moment estimate"},
              {.name = "v", .kind = StateSlotKind::LikeParams, .doc = "second-moment estimate"},
              {.name = "step",
               .kind = StateSlotKind::Scalar,
               .dtype = DType::I64,
               .doc = "updates applied so far; the bias correction uses t = step + 1"},
          },
  };
  return info;
}

std::unique_ptr<Optimizer> make_gradient_descent(FlatParameters& flat,
                                                 const Hyperparameters& hyperparameters) {
  return std::make_unique<GradientDescent>(flat, hyperparameters);
}

std::unique_ptr<Optimizer> make_momentum(FlatParameters& flat,
                                         const Hyperparameters& hyperparameters) {
  return std::make_unique<Momentum>(flat, hyperparameters);
}

std::unique_ptr<Optimizer> make_adam(FlatParameters& flat, const Hyperparameters& hyperparameters) {
  return std::make_unique<Adam>(flat, hyperparameters);
}

}  // namespace deepobs
