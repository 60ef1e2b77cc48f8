/* A small but complete CPU plugin for the host tests (tests/cpu/test_plugins.cpp): every kind of
 * hyperparameter, a scalar state slot, host scratch memory, the evaluate / hvp / log_scalar
 * callbacks and eval_params.
 *
 *   direction d = g (mode "plain"), sign(g) ("signed") or H g ("hvp", via ctx->hvp with v = g)
 *   param -= lr * scale * d;  state "count" += 1
 *
 * With use_closure it re-evaluates the loss and gradient on the same mini-batch through
 * ctx->evaluate and fails (NUMERICAL_FAILURE) unless both equal the step's own exactly: the host
 * promises the same examples. It logs "count" every `log_every` steps. eval_params copies the
 * parameters (so the curves equal plain SGD's when scale = 1, mode = plain). */
#include <deepobs/optimizer_plugin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct instance {
  const deepobs_host* host;
  double scale;
  int64_t mode;
  int64_t log_every;
  int use_closure;
  int64_t flat_size;
  int32_t dtype;
  void* scratch; /* flat_size elements: the re-evaluated gradient, then H g */
} instance;

static deepobs_status fail(const deepobs_host* host, deepobs_status s, const char* message) {
  host->report_error(host->host_data, s, message);
  return s;
}

static size_t elem_size(int32_t dtype) {
  return dtype == DEEPOBS_DTYPE_F64 ? 8 : 4;
}

static double get(const void* p, int32_t dtype, int64_t i) {
  return dtype == DEEPOBS_DTYPE_F64 ? ((const double*)p)[i] : (double)((const float*)p)[i];
}

static deepobs_status create(const deepobs_host* host, const deepobs_problem* problem,
                             const deepobs_hparam_value* hp, uint32_t n,
                             deepobs_optimizer_instance** out) {
  instance* inst;
  deepobs_status s;
  if (n != 5) return fail(host, DEEPOBS_STATUS_INVALID_ARGUMENT, "expected 5 hyperparameters");
  if (problem->device.type != DEEPOBS_DEVICE_CPU)
    return fail(host, DEEPOBS_STATUS_UNSUPPORTED_DEVICE, "CPU only");
  if (problem->num_tensors == 0 || problem->tensors[0]->numel <= 0)
    return fail(host, DEEPOBS_STATUS_INVALID_ARGUMENT, "no parameter tensors");
  inst = (instance*)calloc(1, sizeof(instance));
  if (!inst) return fail(host, DEEPOBS_STATUS_OUT_OF_MEMORY, "out of memory");
  inst->host = host;
  inst->scale = hp[0].f64;
  inst->mode = hp[1].i64;
  inst->log_every = hp[2].i64;
  inst->use_closure = hp[3].i64 != 0;
  inst->flat_size = problem->flat_size;
  inst->dtype = problem->dtype;
  s = host->allocate(host->host_data, (size_t)problem->flat_size * elem_size(problem->dtype),
                     &inst->scratch);
  if (s != DEEPOBS_STATUS_OK) {
    free(inst);
    return s;
  }
  *out = (deepobs_optimizer_instance*)inst;
  return DEEPOBS_STATUS_OK;
}

static void destroy(deepobs_optimizer_instance* p) {
  instance* inst = (instance*)p;
  inst->host->deallocate(inst->host->host_data, inst->scratch);
  free(inst);
}

static deepobs_status step(deepobs_optimizer_instance* p, const deepobs_step_context* ctx) {
  instance* inst = (instance*)p;
  int64_t i, *count = (int64_t*)ctx->state[0];
  const double lr = ctx->learning_rate * inst->scale;
  if (inst->use_closure) {
    double loss = 0;
    deepobs_status s = ctx->evaluate(ctx, NULL, &loss, inst->scratch);
    if (s != DEEPOBS_STATUS_OK) return s;
    if (loss != ctx->loss)
      return fail(inst->host, DEEPOBS_STATUS_NUMERICAL_FAILURE,
                  "ctx->evaluate gave another loss than the step's own on the same mini-batch");
    if (memcmp(inst->scratch, ctx->grads, (size_t)ctx->flat_size * elem_size(ctx->dtype)) != 0)
      return fail(inst->host, DEEPOBS_STATUS_NUMERICAL_FAILURE,
                  "ctx->evaluate gave another gradient than the step's own");
  }
  if (inst->mode == 2) {
    deepobs_status s = ctx->hvp(ctx, ctx->grads, inst->scratch);
    if (s != DEEPOBS_STATUS_OK) return s;
  }
  /* The update in the parameters' own precision, so that mode "plain" with scale 1 rounds
   * exactly like the built-in gradient descent (param -= T(lr) * grad). */
  for (i = 0; i < ctx->flat_size; ++i) {
    const double g = get(ctx->grads, ctx->dtype, i);
    double d = g;
    if (inst->mode == 1) d = (g > 0) - (g < 0);
    if (inst->mode == 2) d = get(inst->scratch, ctx->dtype, i);
    if (ctx->dtype == DEEPOBS_DTYPE_F64) {
      ((double*)ctx->params)[i] -= lr * d;
    } else {
      ((float*)ctx->params)[i] -= (float)lr * (float)d;
    }
  }
  *count += 1;
  if (inst->log_every > 0 && ctx->step % inst->log_every == 0)
    ctx->log_scalar(ctx, "count", (double)*count);
  return DEEPOBS_STATUS_OK;
}

static deepobs_status eval_params(deepobs_optimizer_instance* p, const deepobs_step_context* ctx,
                                  void* out) {
  (void)p;
  memcpy(out, ctx->params, (size_t)ctx->flat_size * elem_size(ctx->dtype));
  return DEEPOBS_STATUS_OK;
}

static const char* const kModes[] = {"plain", "signed", "hvp"};

static const deepobs_hparam_spec kHparams[] = {
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_F64,
     "scale",
     "multiplies the learning rate",
     DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MIN_EXCLUSIVE | DEEPOBS_HP_LOG_SCALE,
     {1.0, 0},
     0.0,
     HUGE_VAL,
     0,
     NULL},
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_ENUM,
     "mode",
     "update direction",
     DEEPOBS_HP_HAS_DEFAULT,
     {0.0, 0},
     0.0,
     0.0,
     3,
     kModes},
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_I64,
     "log_every",
     "log every k steps (0: never)",
     DEEPOBS_HP_HAS_DEFAULT,
     {0.0, 0},
     0.0,
     1000.0,
     0,
     NULL},
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_BOOL,
     "use_closure",
     "re-evaluate on the same batch and check",
     DEEPOBS_HP_HAS_DEFAULT,
     {0.0, 0},
     0.0,
     1.0,
     0,
     NULL},
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_F64,
     "unused",
     "required, to test required ones",
     0,
     {0.0, 0},
     -1.0,
     1.0,
     0,
     NULL},
};

static const deepobs_state_slot_spec kSlots[] = {
    {sizeof(deepobs_state_slot_spec), DEEPOBS_SLOT_SCALAR, "count", "steps taken",
     DEEPOBS_DTYPE_I64, 0},
};

static const deepobs_build_fingerprint kFingerprint = {
    sizeof(deepobs_build_fingerprint), 0, 0, NULL, 0, NULL, "test"};

static const deepobs_optimizer_descriptor kDescriptor = {
    sizeof(deepobs_optimizer_descriptor),
    DEEPOBS_OPTIMIZER_ABI_VERSION,
    &kFingerprint,
    "org.deepobs.test.good",
    "GoodTestOptimizer",
    "0.1.0",
    "test plugin with every hyperparameter type",
    "deepobs-cpp tests",
    "MIT",
    0,
    NULL,
    DEEPOBS_CAP_CPU | DEEPOBS_CAP_F64 | DEEPOBS_CAP_NEEDS_LOSS_CLOSURE | DEEPOBS_CAP_NEEDS_HVP |
        DEEPOBS_CAP_DETERMINISTIC | DEEPOBS_CAP_EVAL_PARAMS,
    sizeof(kHparams) / sizeof(kHparams[0]),
    kHparams,
    1,
    kSlots,
    create,
    destroy,
    NULL,
    step,
    eval_params,
    NULL,
};

DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  (void)host_abi_min;
  if (DEEPOBS_ABI_MAJOR_OF(host_abi_max) != DEEPOBS_OPTIMIZER_ABI_MAJOR) {
    host->report_error(host->host_data, DEEPOBS_STATUS_UNSUPPORTED_DEVICE, "needs ABI major 1");
    return NULL;
  }
  return &kDescriptor;
}
