/* SGD with an Armijo backtracking line search on each mini-batch (CPU), as an optimizer plugin in
 * C99. Shows the loss closure: the plugin declares DEEPOBS_CAP_NEEDS_LOSS_CLOSURE and calls
 * ctx->evaluate to measure the loss of trial points on the SAME mini-batch; the host counts those
 * calls ("optimizer_cost" -> "evaluate_calls" in the result JSON).
 *
 * Each step starts from the scheduled learning rate t = lr and tries θ' = θ − t·g; it accepts the
 * first t with  f(θ') ≤ f(θ) − c·t·‖g‖²  (sufficient decrease), else shrinks t ← shrink·t, at most
 * max_backtracks times, and then takes the smallest step tried. The accepted step size is logged
 * as the scalar "step_size". Trial points live in scratch memory from host->allocate. */
#include <deepobs/optimizer_plugin.h>
#include <deepobs/optimizer_plugin_build.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct armijo {
  const deepobs_host* host;
  double c, shrink;
  int64_t max_backtracks;
  void* trial; /* flat_size elements of the parameters' dtype, from host->allocate */
} armijo;

enum { HP_C, HP_SHRINK, HP_MAX_BACKTRACKS, NUM_HP };

static deepobs_status armijo_create(const deepobs_host* host, const deepobs_problem* problem,
                                    const deepobs_hparam_value* hparams, uint32_t num_hparams,
                                    deepobs_optimizer_instance** out) {
  armijo* a;
  deepobs_status status;
  const size_t element = problem->dtype == DEEPOBS_DTYPE_F64 ? sizeof(double) : sizeof(float);
  if (problem->device.type != DEEPOBS_DEVICE_CPU) {
    host->report_error(host->host_data, DEEPOBS_STATUS_UNSUPPORTED_DEVICE,
                       "the Armijo example runs on the CPU only: pass --device cpu");
    return DEEPOBS_STATUS_UNSUPPORTED_DEVICE;
  }
  if (num_hparams != NUM_HP) {
    host->report_error(host->host_data, DEEPOBS_STATUS_INVALID_ARGUMENT,
                       "expected 3 hyperparameters");
    return DEEPOBS_STATUS_INVALID_ARGUMENT;
  }
  a = (armijo*)calloc(1, sizeof(armijo));
  if (a == NULL) {
    host->report_error(host->host_data, DEEPOBS_STATUS_OUT_OF_MEMORY, "out of memory");
    return DEEPOBS_STATUS_OUT_OF_MEMORY;
  }
  a->host = host;
  a->c = hparams[HP_C].f64;
  a->shrink = hparams[HP_SHRINK].f64;
  a->max_backtracks = hparams[HP_MAX_BACKTRACKS].i64;
  status = host->allocate(host->host_data, (size_t)problem->flat_size * element, &a->trial);
  if (status != DEEPOBS_STATUS_OK) { /* allocate has reported the error */
    free(a);
    return status;
  }
  *out = (deepobs_optimizer_instance*)a;
  return DEEPOBS_STATUS_OK;
}

static void armijo_destroy(deepobs_optimizer_instance* instance) {
  armijo* a = (armijo*)instance;
  a->host->deallocate(a->host->host_data, a->trial);
  free(a);
}

/* trial = params − t·grads. */
static void make_trial(const deepobs_step_context* ctx, void* trial, double t) {
  int64_t i;
  if (ctx->dtype == DEEPOBS_DTYPE_F64) {
    const double* p = (const double*)ctx->params;
    const double* g = (const double*)ctx->grads;
    double* x = (double*)trial;
    for (i = 0; i < ctx->flat_size; ++i)
      x[i] = p[i] - t * g[i];
  } else {
    const float* p = (const float*)ctx->params;
    const float* g = (const float*)ctx->grads;
    float* x = (float*)trial;
    const float tf = (float)t;
    for (i = 0; i < ctx->flat_size; ++i)
      x[i] = p[i] - tf * g[i];
  }
}

static double squared_norm(const deepobs_step_context* ctx) {
  double sum = 0.0;
  int64_t i;
  if (ctx->dtype == DEEPOBS_DTYPE_F64) {
    const double* g = (const double*)ctx->grads;
    for (i = 0; i < ctx->flat_size; ++i)
      sum += g[i] * g[i];
  } else {
    const float* g = (const float*)ctx->grads;
    for (i = 0; i < ctx->flat_size; ++i)
      sum += (double)g[i] * (double)g[i];
  }
  return sum;
}

static deepobs_status armijo_step(deepobs_optimizer_instance* instance,
                                  const deepobs_step_context* ctx) {
  armijo* a = (armijo*)instance;
  const size_t element = ctx->dtype == DEEPOBS_DTYPE_F64 ? sizeof(double) : sizeof(float);
  const double gnorm2 = squared_norm(ctx);
  double f0 = ctx->loss, t = ctx->learning_rate, f = 0.0;
  int64_t tries;
  deepobs_status status;
  if (isnan(f0)) { /* a caller without the step's loss: measure it */
    status = ctx->evaluate(ctx, NULL, &f0, NULL);
    if (status != DEEPOBS_STATUS_OK) return status;
  }
  for (tries = 0;; ++tries) {
    make_trial(ctx, a->trial, t);
    status = ctx->evaluate(ctx, a->trial, &f, NULL);
    if (status != DEEPOBS_STATUS_OK) return status;
    /* Not finite (a NaN gradient or a blown-up trial): no step size can pass; stop shrinking. */
    if (!isfinite(gnorm2) || !isfinite(f0)) break;
    if (f <= f0 - a->c * t * gnorm2 || tries >= a->max_backtracks) break;
    t *= a->shrink;
  }
  memcpy(ctx->params, a->trial, (size_t)ctx->flat_size * element);
  ctx->log_scalar(ctx, "step_size", t);
  return DEEPOBS_STATUS_OK;
}

DEEPOBS_PLUGIN_FINGERPRINT(armijo_fingerprint);

static const deepobs_hparam_spec armijo_hparams[NUM_HP] = {
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_F64,
     "c",
     "sufficient-decrease constant",
     DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MIN_EXCLUSIVE | DEEPOBS_HP_MAX_EXCLUSIVE |
         DEEPOBS_HP_LOG_SCALE,
     {0.1, 0},
     0.0,
     1.0,
     0,
     NULL},
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_F64,
     "shrink",
     "factor applied to a rejected step size",
     DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MIN_EXCLUSIVE | DEEPOBS_HP_MAX_EXCLUSIVE,
     {0.5, 0},
     0.0,
     1.0,
     0,
     NULL},
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_I64,
     "max_backtracks",
     "most step-size reductions per step",
     DEEPOBS_HP_HAS_DEFAULT,
     {0.0, 10},
     0.0,
     60.0,
     0,
     NULL},
};

static const deepobs_optimizer_descriptor armijo_descriptor = {
    sizeof(deepobs_optimizer_descriptor),
    DEEPOBS_OPTIMIZER_ABI_VERSION,
    &armijo_fingerprint,
    "org.deepobs.example.armijo_linesearch",
    "ExampleArmijoSGD",
    "1.0.0",
    "SGD with an Armijo backtracking line search on each mini-batch (example plugin)",
    "deepobs-cpp",
    "MIT",
    0,
    NULL,
    DEEPOBS_CAP_CPU | DEEPOBS_CAP_NEEDS_LOSS_CLOSURE | DEEPOBS_CAP_DETERMINISTIC | DEEPOBS_CAP_F64,
    NUM_HP,
    armijo_hparams,
    0,
    NULL,
    armijo_create,
    armijo_destroy,
    NULL,
    armijo_step,
    NULL,
    NULL,
};

DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  return deepobs_plugin_negotiate(host_abi_min, host_abi_max, host) ? &armijo_descriptor : NULL;
}
