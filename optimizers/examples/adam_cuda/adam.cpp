// Adam (TensorFlow 1.x's rule) as a C++ optimizer plugin with its own CUDA kernel
// (adam_kernels.cu) and a CPU path. Shows: hyperparameters with defaults, ranges and a log scale;
// host-held state slots (m, v and the step counter, so checkpoints resume exactly); the SDK's
// exception guard; and a fingerprint whose CUDA capability is set only when the SDK compiled the
// .cu file (DEEPOBS_PLUGIN_HAS_CUDA). The same file builds a CPU-only plugin without CUDA.
#include <deepobs/optimizer_plugin.h>
#include <deepobs/optimizer_plugin_build.h>
#include <deepobs/optimizer_plugin_sdk.hpp>

#include <cmath>
#include <cstdint>
#include <new>
#include <string>

#ifdef DEEPOBS_PLUGIN_HAS_CUDA
// adam_kernels.cu (CUDA types stay in the .cu file: the stream is a void*).
extern "C" int example_adam_cuda_step(int is_f64, void* params, const void* grads, void* m, void* v,
                                      std::int64_t* step, std::int64_t n, double lr, double beta1,
                                      double beta2, double epsilon, void* stream);
extern "C" const char* example_adam_cuda_error_string(int code);
#endif

namespace {

using deepobs::plugin::Failure;

enum Slot : std::uint32_t { kM = 0, kV = 1, kStep = 2 };

struct Adam {
  const deepobs_host* host;
  double beta1, beta2, epsilon;
};

Adam* self(deepobs_optimizer_instance* instance) {
  return reinterpret_cast<Adam*>(instance);
}

template <class T>
void cpu_step(const Adam& a, const deepobs_step_context* ctx) {
  auto* p = static_cast<T*>(ctx->params);
  const auto* g = static_cast<const T*>(ctx->grads);
  T* m = deepobs::plugin::slot<T>(ctx, kM);
  T* v = deepobs::plugin::slot<T>(ctx, kV);
  std::int64_t* step = deepobs::plugin::slot<std::int64_t>(ctx, kStep);
  const double t = static_cast<double>(*step + 1);
  const T lr_t = static_cast<T>(ctx->learning_rate * std::sqrt(1.0 - std::pow(a.beta2, t)) /
                                (1.0 - std::pow(a.beta1, t)));
  const T b1 = static_cast<T>(a.beta1), b2 = static_cast<T>(a.beta2);
  const T eps = static_cast<T>(a.epsilon), one = static_cast<T>(1);
  for (std::int64_t i = 0; i < ctx->flat_size; ++i) {
    m[i] = b1 * m[i] + (one - b1) * g[i];
    v[i] = b2 * v[i] + (one - b2) * g[i] * g[i];
    p[i] -= lr_t * m[i] / (std::sqrt(v[i]) + eps);
  }
  *step += 1;
}

deepobs_status create(const deepobs_host* host, const deepobs_problem* problem,
                      const deepobs_hparam_value* hparams, uint32_t num_hparams,
                      deepobs_optimizer_instance** out) {
  return deepobs::plugin::guard(host, [&]() -> deepobs_status {
    if (num_hparams != 3)
      throw Failure(DEEPOBS_STATUS_INVALID_ARGUMENT, "expected 3 hyperparameters");
#ifndef DEEPOBS_PLUGIN_HAS_CUDA
    if (problem->device.type != DEEPOBS_DEVICE_CPU)
      throw Failure(DEEPOBS_STATUS_UNSUPPORTED_DEVICE,
                    "this build of the Adam example has no CUDA kernel: rebuild it with CUDA");
#else
    (void)problem;
#endif
    *out = reinterpret_cast<deepobs_optimizer_instance*>(
        new Adam{host, hparams[0].f64, hparams[1].f64, hparams[2].f64});
    return DEEPOBS_STATUS_OK;
  });
}

void destroy(deepobs_optimizer_instance* instance) {
  delete self(instance);
}

deepobs_status step(deepobs_optimizer_instance* instance, const deepobs_step_context* ctx) {
  const Adam& a = *self(instance);
  DEEPOBS_PLUGIN_TRY {
    if (ctx->device.type == DEEPOBS_DEVICE_CUDA) {
#ifdef DEEPOBS_PLUGIN_HAS_CUDA
      const int code = example_adam_cuda_step(
          ctx->dtype == DEEPOBS_DTYPE_F64, ctx->params, ctx->grads, ctx->state[kM], ctx->state[kV],
          static_cast<std::int64_t*>(ctx->state[kStep]), ctx->flat_size, ctx->learning_rate,
          a.beta1, a.beta2, a.epsilon, ctx->stream);
      if (code != 0)
        throw Failure(DEEPOBS_STATUS_CUDA_ERROR,
                      std::string("Adam update kernel: ") + example_adam_cuda_error_string(code));
      return DEEPOBS_STATUS_OK;
#else
      throw Failure(DEEPOBS_STATUS_UNSUPPORTED_DEVICE, "built without CUDA");
#endif
    }
    if (ctx->dtype == DEEPOBS_DTYPE_F64)
      cpu_step<double>(a, ctx);
    else
      cpu_step<float>(a, ctx);
    return DEEPOBS_STATUS_OK;
  }
  DEEPOBS_PLUGIN_CATCH(a.host);
}

DEEPOBS_PLUGIN_FINGERPRINT(fingerprint);

const char* const aliases[] = {"example_adam"};

deepobs_hparam_spec f64_spec(const char* name, const char* doc, double value, double min,
                             double max, uint32_t extra_flags) {
  deepobs_hparam_spec s{};
  s.struct_size = sizeof(deepobs_hparam_spec);
  s.type = DEEPOBS_HP_F64;
  s.name = name;
  s.doc = doc;
  s.flags = DEEPOBS_HP_HAS_DEFAULT | extra_flags;
  s.default_value.f64 = value;
  s.min = min;
  s.max = max;
  return s;
}

const deepobs_hparam_spec hyperparameters[] = {
    f64_spec("beta1", "decay of the first-moment estimate", 0.9, 0.0, 1.0,
             DEEPOBS_HP_MAX_EXCLUSIVE),
    f64_spec("beta2", "decay of the second-moment estimate", 0.999, 0.0, 1.0,
             DEEPOBS_HP_MAX_EXCLUSIVE),
    f64_spec("epsilon", "added to sqrt(v) in the denominator", 1e-8, 0.0, HUGE_VAL,
             DEEPOBS_HP_MIN_EXCLUSIVE | DEEPOBS_HP_LOG_SCALE),
};

const deepobs_state_slot_spec state_slots[] = {
    {sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_LIKE_PARAMS, "m", "first-moment estimate",
     DEEPOBS_DTYPE_PARAMS, 0},
    {sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_LIKE_PARAMS, "v", "second-moment estimate",
     DEEPOBS_DTYPE_PARAMS, 0},
    {sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_SCALAR, "step", "updates applied so far",
     DEEPOBS_DTYPE_I64, 0},
};

deepobs_optimizer_descriptor make_descriptor() {
  deepobs_optimizer_descriptor d{};
  d.struct_size = sizeof(deepobs_optimizer_descriptor);
  d.abi_version = DEEPOBS_OPTIMIZER_ABI_VERSION;
  d.fingerprint = &fingerprint;
  d.id = "org.deepobs.example.adam_cuda";
  d.name = "ExampleAdam";
  d.version = "1.0.0";
  d.description = "Adam with its own CUDA kernel and a CPU path (example plugin)";
  d.author = "deepobs-cpp";
  d.license = "MIT";
  d.num_aliases = 1;
  d.aliases = aliases;
  d.capabilities =
      DEEPOBS_CAP_CPU | DEEPOBS_PLUGIN_BUILD_CAPS | DEEPOBS_CAP_DETERMINISTIC | DEEPOBS_CAP_F64;
  d.num_hyperparameters = 3;
  d.hyperparameters = hyperparameters;
  d.num_state_slots = 3;
  d.state_slots = state_slots;
  d.create = create;
  d.destroy = destroy;
  d.step = step;
  return d;
}

const deepobs_optimizer_descriptor descriptor = make_descriptor();

}  // namespace

extern "C" DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  return deepobs_plugin_negotiate(host_abi_min, host_abi_max, host) ? &descriptor : nullptr;
}
