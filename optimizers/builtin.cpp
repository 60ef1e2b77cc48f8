// The built-in optimizers as plugins compiled into the executable: each is a static descriptor
// and C-ABI functions, exactly what a shared-library plugin provides, reached through the same
// host code (optimizers/plugin_optimizer.cpp). On the CPU the step runs the reference loops of
// kernels/cpu/optimizer_updates.h, on a CUDA device the fused kernels of
// kernels/cuda/optimizer_updates.h.
#include "optimizers/builtin.h"

#include <cmath>
#include <exception>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "core/build_info.h"
#include "kernels/cpu/optimizer_updates.h"
#include "optimizers/descriptor.h"

#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/memory.h"
#include "kernels/cuda/optimizer_updates.h"
#endif

namespace deepobs {
namespace {

// What every built-in keeps per run: the hyperparameters, the dtype and device, and the host.
struct BuiltinInstance {
  const deepobs_host* host = nullptr;
  std::int32_t dtype = DEEPOBS_DTYPE_F32;
  deepobs_device device{};
  double momentum = 0.0;
  bool nesterov = false;
  double beta1 = 0.0, beta2 = 0.0, epsilon = 0.0;
  // CUDA Adam: one unsigned int of device scratch for the kernel's block counter.
  void* blocks_done = nullptr;
};

BuiltinInstance* as_builtin(deepobs_optimizer_instance* instance) {
  return reinterpret_cast<BuiltinInstance*>(instance);
}

deepobs_status report(const deepobs_host* host, deepobs_status status, const std::string& message) {
  host->report_error(host->host_data, status, message.c_str());
  return status;
}

// Runs `fn.template operator()<T>()` with T the C type of the parameters' dtype.
template <class Fn>
void with_float_type(std::int32_t dtype, Fn&& fn) {
  if (dtype == DEEPOBS_DTYPE_F64) {
    fn.template operator()<double>();
  } else {
    fn.template operator()<float>();
  }
}

// Shared body of create: the problem check and the instance. `fill` reads the hyperparameters.
template <class Fill>
deepobs_status create_instance(const deepobs_host* host, const deepobs_problem* problem,
                               deepobs_optimizer_instance** out, Fill&& fill) {
  if (problem->dtype != DEEPOBS_DTYPE_F32 && problem->dtype != DEEPOBS_DTYPE_F64)
    return report(host, DEEPOBS_STATUS_UNSUPPORTED_DEVICE, "parameters must be f32 or f64");
#if !DEEPOBS_WITH_CUDA
  if (problem->device.type != DEEPOBS_DEVICE_CPU)
    return report(host, DEEPOBS_STATUS_UNSUPPORTED_DEVICE, "this build has no CUDA kernels");
#endif
  auto* inst = new (std::nothrow) BuiltinInstance;
  if (inst == nullptr) return report(host, DEEPOBS_STATUS_OUT_OF_MEMORY, "out of host memory");
  inst->host = host;
  inst->dtype = problem->dtype;
  inst->device = problem->device;
  fill(*inst);
  *out = reinterpret_cast<deepobs_optimizer_instance*>(inst);
  return DEEPOBS_STATUS_OK;
}

void destroy_builtin(deepobs_optimizer_instance* instance) {
  BuiltinInstance* inst = as_builtin(instance);
  if (inst->blocks_done) inst->host->deallocate(inst->host->host_data, inst->blocks_done);
  delete inst;
}

// Runs a step body, turning an exception (a CUDA launch failure) into a status.
template <class Body>
deepobs_status guarded(const BuiltinInstance* inst, Body&& body) {
  try {
    body();
    return DEEPOBS_STATUS_OK;
  } catch (const std::exception& e) {
    return report(inst->host,
                  inst->device.type == DEEPOBS_DEVICE_CUDA ? DEEPOBS_STATUS_CUDA_ERROR
                                                           : DEEPOBS_STATUS_INTERNAL,
                  e.what());
  }
}

bool on_cuda(const deepobs_step_context* ctx) {
  return ctx->device.type == DEEPOBS_DEVICE_CUDA;
}

// ---- gradient descent ----

deepobs_status sgd_create(const deepobs_host* host, const deepobs_problem* problem,
                          const deepobs_hparam_value*, std::uint32_t,
                          deepobs_optimizer_instance** out) {
  return create_instance(host, problem, out, [](BuiltinInstance&) {});
}

deepobs_status sgd_step(deepobs_optimizer_instance* instance, const deepobs_step_context* ctx) {
  const BuiltinInstance* inst = as_builtin(instance);
  return guarded(inst, [&] {
    with_float_type(ctx->dtype, [&]<class T>() {
      T* param = static_cast<T*>(ctx->params);
      const T* grad = static_cast<const T*>(ctx->grads);
      if (on_cuda(ctx)) {
#if DEEPOBS_WITH_CUDA
        kernels::cuda::sgd_update<T>(param, grad, ctx->flat_size, ctx->learning_rate_device,
                                     ctx->stream);
#endif
      } else {
        kernels::cpu::sgd_update<T>(param, grad, ctx->flat_size,
                                    static_cast<T>(ctx->learning_rate));
      }
    });
  });
}

// ---- momentum ----

deepobs_status momentum_create(const deepobs_host* host, const deepobs_problem* problem,
                               const deepobs_hparam_value* hp, std::uint32_t,
                               deepobs_optimizer_instance** out) {
  return create_instance(host, problem, out, [&](BuiltinInstance& inst) {
    inst.momentum = hp[0].f64;
    inst.nesterov = hp[1].i64 != 0;
  });
}

deepobs_status momentum_step(deepobs_optimizer_instance* instance,
                             const deepobs_step_context* ctx) {
  const BuiltinInstance* inst = as_builtin(instance);
  return guarded(inst, [&] {
    with_float_type(ctx->dtype, [&]<class T>() {
      T* param = static_cast<T*>(ctx->params);
      const T* grad = static_cast<const T*>(ctx->grads);
      T* accum = static_cast<T*>(ctx->state[0]);
      const T momentum = static_cast<T>(inst->momentum);
      if (on_cuda(ctx)) {
#if DEEPOBS_WITH_CUDA
        kernels::cuda::momentum_update<T>(param, grad, accum, ctx->flat_size,
                                          ctx->learning_rate_device, momentum, inst->nesterov,
                                          ctx->stream);
#endif
      } else {
        kernels::cpu::momentum_update<T>(param, grad, accum, ctx->flat_size,
                                         static_cast<T>(ctx->learning_rate), momentum,
                                         inst->nesterov);
      }
    });
  });
}

// ---- Adam ----

deepobs_status adam_create(const deepobs_host* host, const deepobs_problem* problem,
                           const deepobs_hparam_value* hp, std::uint32_t,
                           deepobs_optimizer_instance** out) {
  const deepobs_status s = create_instance(host, problem, out, [&](BuiltinInstance& inst) {
    inst.beta1 = hp[0].f64;
    inst.beta2 = hp[1].f64;
    inst.epsilon = hp[2].f64;
  });
  if (s != DEEPOBS_STATUS_OK || problem->device.type != DEEPOBS_DEVICE_CUDA) return s;
#if DEEPOBS_WITH_CUDA
  BuiltinInstance* inst = as_builtin(*out);
  const deepobs_status a =
      host->allocate(host->host_data, sizeof(unsigned int), &inst->blocks_done);
  if (a != DEEPOBS_STATUS_OK) {
    destroy_builtin(*out);
    *out = nullptr;
    return a;
  }
  try {
    kernels::cuda::memset_zero(problem->device.index, inst->blocks_done, sizeof(unsigned int));
  } catch (const std::exception& e) {
    destroy_builtin(*out);
    *out = nullptr;
    return report(host, DEEPOBS_STATUS_CUDA_ERROR, e.what());
  }
#endif
  return s;
}

deepobs_status adam_step(deepobs_optimizer_instance* instance, const deepobs_step_context* ctx) {
  const BuiltinInstance* inst = as_builtin(instance);
  return guarded(inst, [&] {
    with_float_type(ctx->dtype, [&]<class T>() {
      T* param = static_cast<T*>(ctx->params);
      const T* grad = static_cast<const T*>(ctx->grads);
      T* m = static_cast<T*>(ctx->state[0]);
      T* v = static_cast<T*>(ctx->state[1]);
      auto* count = static_cast<std::int64_t*>(ctx->state[2]);
      if (on_cuda(ctx)) {
#if DEEPOBS_WITH_CUDA
        kernels::cuda::adam_update<T>(param, grad, m, v, ctx->flat_size, ctx->learning_rate_device,
                                      count, static_cast<unsigned int*>(inst->blocks_done),
                                      inst->beta1, inst->beta2, static_cast<T>(inst->epsilon),
                                      ctx->stream);
#endif
      } else {
        // Like TF's beta-power accumulators, the bias correction counts this optimizer's own
        // updates (kept in the state, so it survives save/load), not ctx->step.
        const std::int64_t t = *count + 1;
        const double lr_t =
            kernels::cpu::adam_step_size(ctx->learning_rate, inst->beta1, inst->beta2, t);
        kernels::cpu::adam_update<T>(param, grad, m, v, ctx->flat_size, static_cast<T>(lr_t),
                                     static_cast<T>(inst->beta1), static_cast<T>(inst->beta2),
                                     static_cast<T>(inst->epsilon));
        *count = t;
      }
    });
  });
}

// ---- descriptors ----

constexpr std::uint64_t kDeviceCaps = DEEPOBS_CAP_CPU | DEEPOBS_CAP_DETERMINISTIC | DEEPOBS_CAP_F64
#if DEEPOBS_WITH_CUDA
                                      | DEEPOBS_CAP_CUDA | DEEPOBS_CAP_CUDA_GRAPH_SAFE
#endif
    ;

// The built-ins are compiled into the executable, so their fingerprint is the executable's: its
// CUDA runtime and the CMAKE_CUDA_ARCHITECTURES it was built with ("90" = SASS and PTX for sm_90,
// "90-real" SASS only, "90-virtual" PTX only). Without CUDA the fingerprint is CPU-only.
const deepobs_build_fingerprint& builtin_fingerprint() {
  static std::vector<std::uint32_t> sass, ptx;
  static const deepobs_build_fingerprint fp = [] {
    deepobs_build_fingerprint f{};
    f.struct_size = sizeof(deepobs_build_fingerprint);
    f.compiler = "compiled into deepobs";
#if DEEPOBS_WITH_CUDA
    const BuildInfo build = build_info();
    f.cuda_runtime_version = build.cuda_runtime;
    std::string list = build.cuda_architectures;
    for (char& c : list)
      if (c == ';' || c == ',') c = ' ';
    std::istringstream in(list);
    for (std::string item; in >> item;) {
      const auto dash = item.find('-');
      const std::string number = item.substr(0, dash);
      const std::string suffix = dash == std::string::npos ? "" : item.substr(dash + 1);
      if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
      const auto arch = static_cast<std::uint32_t>(std::stoul(number));
      if (suffix != "virtual") sass.push_back(arch);
      if (suffix != "real") ptx.push_back(arch);
    }
    f.num_gpu_archs = static_cast<std::uint32_t>(sass.size());
    f.gpu_archs = sass.empty() ? nullptr : sass.data();
    f.num_ptx_archs = static_cast<std::uint32_t>(ptx.size());
    f.ptx_archs = ptx.empty() ? nullptr : ptx.data();
#endif
    return f;
  }();
  return fp;
}

const char* const kSgdAliases[] = {"sgd"};
const char* const kMomentumAliases[] = {"momentum"};
const char* const kAdamAliases[] = {"adam"};

const deepobs_hparam_spec kMomentumHparams[] = {
    {.struct_size = sizeof(deepobs_hparam_spec),
     .type = DEEPOBS_HP_F64,
     .name = "momentum",
     .doc = "momentum coefficient m (no default, as in DeepOBS; the baselines use 0.99)",
     .flags = DEEPOBS_HP_MAX_EXCLUSIVE,
     .default_value = {},
     .min = 0.0,
     .max = 1.0,
     .num_choices = 0,
     .choices = nullptr},
    {.struct_size = sizeof(deepobs_hparam_spec),
     .type = DEEPOBS_HP_BOOL,
     .name = "use_nesterov",
     .doc = "Nesterov's variant: theta -= lr * (grad + m * accum)",
     .flags = DEEPOBS_HP_HAS_DEFAULT,
     .default_value = {.f64 = 0.0, .i64 = 0},
     .min = 0.0,
     .max = 1.0,
     .num_choices = 0,
     .choices = nullptr},
};

const deepobs_state_slot_spec kMomentumSlots[] = {
    {.struct_size = sizeof(deepobs_state_slot_spec),
     .kind = DEEPOBS_SLOT_LIKE_PARAMS,
     .name = "accumulator",
     .doc = "sum of past gradients decayed by m (TF's 'momentum' slot)",
     .dtype = DEEPOBS_DTYPE_PARAMS,
     .bytes = 0},
};

const deepobs_hparam_spec kAdamHparams[] = {
    {.struct_size = sizeof(deepobs_hparam_spec),
     .type = DEEPOBS_HP_F64,
     .name = "beta1",
     .doc = "decay rate of the first-moment (mean) estimate m",
     .flags = DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MAX_EXCLUSIVE,
     .default_value = {.f64 = 0.9, .i64 = 0},
     .min = 0.0,
     .max = 1.0,
     .num_choices = 0,
     .choices = nullptr},
    {.struct_size = sizeof(deepobs_hparam_spec),
     .type = DEEPOBS_HP_F64,
     .name = "beta2",
     .doc = "decay rate of the second-moment estimate v",
     .flags = DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MAX_EXCLUSIVE,
     .default_value = {.f64 = 0.999, .i64 = 0},
     .min = 0.0,
     .max = 1.0,
     .num_choices = 0,
     .choices = nullptr},
    // TF adds epsilon to the uncorrected sqrt(v); in the paper's notation that is
    // epsilon / sqrt(1 - beta2^t) added to sqrt(v_hat), large in the first steps.
    {.struct_size = sizeof(deepobs_hparam_spec),
     .type = DEEPOBS_HP_F64,
     .name = "epsilon",
     .doc = "added to sqrt(v) before bias correction (TF's placement)",
     .flags = DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MIN_EXCLUSIVE | DEEPOBS_HP_LOG_SCALE,
     .default_value = {.f64 = 1e-8, .i64 = 0},
     .min = 0.0,
     .max = HUGE_VAL,
     .num_choices = 0,
     .choices = nullptr},
};

const deepobs_state_slot_spec kAdamSlots[] = {
    {.struct_size = sizeof(deepobs_state_slot_spec),
     .kind = DEEPOBS_SLOT_LIKE_PARAMS,
     .name = "m",
     .doc = "first-moment estimate",
     .dtype = DEEPOBS_DTYPE_PARAMS,
     .bytes = 0},
    {.struct_size = sizeof(deepobs_state_slot_spec),
     .kind = DEEPOBS_SLOT_LIKE_PARAMS,
     .name = "v",
     .doc = "second-moment estimate",
     .dtype = DEEPOBS_DTYPE_PARAMS,
     .bytes = 0},
    {.struct_size = sizeof(deepobs_state_slot_spec),
     .kind = DEEPOBS_SLOT_SCALAR,
     .name = "step",
     .doc = "updates applied so far; the bias correction uses t = step + 1",
     .dtype = DEEPOBS_DTYPE_I64,
     .bytes = 0},
};

deepobs_optimizer_descriptor make_descriptor(
    const char* id, const char* name, const char* description, const char* const* aliases,
    std::uint32_t num_hparams, const deepobs_hparam_spec* hparams, std::uint32_t num_slots,
    const deepobs_state_slot_spec* slots, deepobs_create_fn create, deepobs_step_fn step) {
  deepobs_optimizer_descriptor d{};
  d.struct_size = sizeof(deepobs_optimizer_descriptor);
  d.abi_version = DEEPOBS_OPTIMIZER_ABI_VERSION;
  d.fingerprint = &builtin_fingerprint();
  d.id = id;
  d.name = name;
  d.version = "1.0.0";
  d.description = description;
  d.author = "deepobs-cpp";
  d.license = "MIT";
  d.num_aliases = 1;
  d.aliases = aliases;
  d.capabilities = kDeviceCaps;
  d.num_hyperparameters = num_hparams;
  d.hyperparameters = hparams;
  d.num_state_slots = num_slots;
  d.state_slots = slots;
  d.create = create;
  d.destroy = &destroy_builtin;
  d.step = step;
  return d;
}

// The built-ins' entry points speak exactly the host's own ABI version.
const deepobs_optimizer_descriptor* negotiate(const deepobs_optimizer_descriptor& d,
                                              std::uint32_t host_min, std::uint32_t host_max,
                                              const deepobs_host* host) {
  if (DEEPOBS_OPTIMIZER_ABI_VERSION < host_min || DEEPOBS_OPTIMIZER_ABI_VERSION > host_max) {
    if (host) report(host, DEEPOBS_STATUS_UNSUPPORTED_DEVICE, "built-in ABI version not offered");
    return nullptr;
  }
  return &d;
}

}  // namespace

const deepobs_optimizer_descriptor* builtin_gradient_descent_entry(std::uint32_t host_min,
                                                                   std::uint32_t host_max,
                                                                   const deepobs_host* host) {
  static const deepobs_optimizer_descriptor d =
      make_descriptor("org.deepobs.builtin.gradient_descent", "GradientDescentOptimizer",
                      "gradient descent: theta -= lr * grad (TF tf.train.GradientDescentOptimizer)",
                      kSgdAliases, 0, nullptr, 0, nullptr, &sgd_create, &sgd_step);
  return negotiate(d, host_min, host_max, host);
}

const deepobs_optimizer_descriptor* builtin_momentum_entry(std::uint32_t host_min,
                                                           std::uint32_t host_max,
                                                           const deepobs_host* host) {
  static const deepobs_optimizer_descriptor d = make_descriptor(
      "org.deepobs.builtin.momentum", "MomentumOptimizer",
      "heavy-ball momentum: accum = m * accum + grad; theta -= lr * accum "
      "(TF tf.train.MomentumOptimizer)",
      kMomentumAliases, 2, kMomentumHparams, 1, kMomentumSlots, &momentum_create, &momentum_step);
  return negotiate(d, host_min, host_max, host);
}

const deepobs_optimizer_descriptor* builtin_adam_entry(std::uint32_t host_min,
                                                       std::uint32_t host_max,
                                                       const deepobs_host* host) {
  static const deepobs_optimizer_descriptor d =
      make_descriptor("org.deepobs.builtin.adam", "AdamOptimizer",
                      "Adam with TF's epsilon placement: theta -= lr_t * m / (sqrt(v) + epsilon), "
                      "lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) (TF tf.train.AdamOptimizer)",
                      kAdamAliases, 3, kAdamHparams, 3, kAdamSlots, &adam_create, &adam_step);
  return negotiate(d, host_min, host_max, host);
}

const OptimizerInfo& gradient_descent_info() {
  static const OptimizerInfo info = info_from_descriptor(
      builtin_gradient_descent_entry(kHostAbiMin, kHostAbiMax, nullptr), "built-in");
  return info;
}

const OptimizerInfo& momentum_info() {
  static const OptimizerInfo info =
      info_from_descriptor(builtin_momentum_entry(kHostAbiMin, kHostAbiMax, nullptr), "built-in");
  return info;
}

const OptimizerInfo& adam_info() {
  static const OptimizerInfo info =
      info_from_descriptor(builtin_adam_entry(kHostAbiMin, kHostAbiMax, nullptr), "built-in");
  return info;
}

std::unique_ptr<Optimizer> make_gradient_descent(FlatParameters& flat,
                                                 const Hyperparameters& hyperparameters) {
  return std::make_unique<Optimizer>(gradient_descent_info(), flat, hyperparameters);
}

std::unique_ptr<Optimizer> make_momentum(FlatParameters& flat,
                                         const Hyperparameters& hyperparameters) {
  return std::make_unique<Optimizer>(momentum_info(), flat, hyperparameters);
}

std::unique_ptr<Optimizer> make_adam(FlatParameters& flat, const Hyperparameters& hyperparameters) {
  return std::make_unique<Optimizer>(adam_info(), flat, hyperparameters);
}

}  // namespace deepobs
