/* Heavy-ball momentum whose evaluations use an exponential moving average of the iterates, as an
 * optimizer plugin in C99 (CPU). Shows state slots: everything the rule remembers lives in memory
 * the host allocates, zeroes, counts and checkpoints, so `deepobs validate-plugin`'s
 * save -> load -> continue check holds without any code for it in the plugin:
 *   slot 0 "velocity" (like params):  u ← momentum·u + g;  θ ← θ − lr·u
 *   slot 1 "ema"      (like params):  e ← decay·e + (1 − decay)·θ   (after the update)
 *   slot 2 "updates"  (i64 scalar):   n ← n + 1
 * eval_params (DEEPOBS_CAP_EVAL_PARAMS) hands the host the bias-corrected average e / (1 − decayⁿ)
 * for the train/test evaluations (the raw parameters before the first update). */
#include <deepobs/optimizer_plugin.h>
#include <deepobs/optimizer_plugin_build.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ema_momentum {
  double momentum, decay;
} ema_momentum;

enum { SLOT_VELOCITY, SLOT_EMA, SLOT_UPDATES, NUM_SLOTS };

static deepobs_status ema_create(const deepobs_host* host, const deepobs_problem* problem,
                                 const deepobs_hparam_value* hparams, uint32_t num_hparams,
                                 deepobs_optimizer_instance** out) {
  ema_momentum* e;
  if (problem->device.type != DEEPOBS_DEVICE_CPU || num_hparams != 2) {
    host->report_error(host->host_data, DEEPOBS_STATUS_UNSUPPORTED_DEVICE,
                       "the EMA-momentum example runs on the CPU only: pass --device cpu");
    return DEEPOBS_STATUS_UNSUPPORTED_DEVICE;
  }
  e = (ema_momentum*)malloc(sizeof(ema_momentum));
  if (e == NULL) {
    host->report_error(host->host_data, DEEPOBS_STATUS_OUT_OF_MEMORY, "out of memory");
    return DEEPOBS_STATUS_OUT_OF_MEMORY;
  }
  e->momentum = hparams[0].f64;
  e->decay = hparams[1].f64;
  *out = (deepobs_optimizer_instance*)e;
  return DEEPOBS_STATUS_OK;
}

static void ema_destroy(deepobs_optimizer_instance* instance) {
  free(instance);
}

#define EMA_STEP_LOOP(T)                                     \
  do {                                                       \
    T* p = (T*)ctx->params;                                  \
    const T* g = (const T*)ctx->grads;                       \
    T* u = (T*)ctx->state[SLOT_VELOCITY];                    \
    T* avg = (T*)ctx->state[SLOT_EMA];                       \
    const T lr = (T)ctx->learning_rate, mu = (T)e->momentum; \
    const T d = (T)e->decay, one = (T)1;                     \
    for (i = 0; i < ctx->flat_size; ++i) {                   \
      u[i] = mu * u[i] + g[i];                               \
      p[i] -= lr * u[i];                                     \
      avg[i] = d * avg[i] + (one - d) * p[i];                \
    }                                                        \
  } while (0)

static deepobs_status ema_step(deepobs_optimizer_instance* instance,
                               const deepobs_step_context* ctx) {
  const ema_momentum* e = (const ema_momentum*)instance;
  int64_t i;
  if (ctx->dtype == DEEPOBS_DTYPE_F64)
    EMA_STEP_LOOP(double);
  else
    EMA_STEP_LOOP(float);
  *(int64_t*)ctx->state[SLOT_UPDATES] += 1;
  return DEEPOBS_STATUS_OK;
}

static deepobs_status ema_eval_params(deepobs_optimizer_instance* instance,
                                      const deepobs_step_context* ctx, void* out) {
  const ema_momentum* e = (const ema_momentum*)instance;
  const int64_t n = *(const int64_t*)ctx->state[SLOT_UPDATES];
  const double scale = n > 0 ? 1.0 / (1.0 - pow(e->decay, (double)n)) : 0.0;
  int64_t i;
  if (n == 0) {
    memcpy(out, ctx->params,
           (size_t)ctx->flat_size *
               (ctx->dtype == DEEPOBS_DTYPE_F64 ? sizeof(double) : sizeof(float)));
  } else if (ctx->dtype == DEEPOBS_DTYPE_F64) {
    const double* avg = (const double*)ctx->state[SLOT_EMA];
    double* o = (double*)out;
    for (i = 0; i < ctx->flat_size; ++i)
      o[i] = avg[i] * scale;
  } else {
    const float* avg = (const float*)ctx->state[SLOT_EMA];
    float* o = (float*)out;
    const float s = (float)scale;
    for (i = 0; i < ctx->flat_size; ++i)
      o[i] = avg[i] * s;
  }
  return DEEPOBS_STATUS_OK;
}

DEEPOBS_PLUGIN_FINGERPRINT(ema_fingerprint);

static const deepobs_hparam_spec ema_hparams[] = {
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_F64,
     "momentum",
     "heavy-ball momentum factor",
     DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MAX_EXCLUSIVE,
     {0.9, 0},
     0.0,
     1.0,
     0,
     NULL},
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_F64,
     "ema_decay",
     "decay of the moving average of the iterates used for evaluation",
     DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MAX_EXCLUSIVE,
     {0.9, 0},
     0.0,
     1.0,
     0,
     NULL},
};

static const deepobs_state_slot_spec ema_slots[NUM_SLOTS] = {
    {sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_LIKE_PARAMS, "velocity", "heavy-ball velocity",
     DEEPOBS_DTYPE_PARAMS, 0},
    {sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_LIKE_PARAMS, "ema",
     "moving average of the iterates (not bias-corrected)", DEEPOBS_DTYPE_PARAMS, 0},
    {sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_SCALAR, "updates", "updates applied so far",
     DEEPOBS_DTYPE_I64, 0},
};

static const deepobs_optimizer_descriptor ema_descriptor = {
    sizeof(deepobs_optimizer_descriptor),
    DEEPOBS_OPTIMIZER_ABI_VERSION,
    &ema_fingerprint,
    "org.deepobs.example.ema_momentum",
    "ExampleEmaMomentum",
    "1.0.0",
    "heavy-ball momentum, evaluated at an EMA of the iterates (example plugin with state slots)",
    "deepobs-cpp",
    "MIT",
    0,
    NULL,
    DEEPOBS_CAP_CPU | DEEPOBS_CAP_DETERMINISTIC | DEEPOBS_CAP_EVAL_PARAMS | DEEPOBS_CAP_F64,
    2,
    ema_hparams,
    NUM_SLOTS,
    ema_slots,
    ema_create,
    ema_destroy,
    NULL, /* init_state: zeroed slots are the right start */
    ema_step,
    ema_eval_params,
    NULL,
};

DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  return deepobs_plugin_negotiate(host_abi_min, host_abi_max, host) ? &ema_descriptor : NULL;
}
