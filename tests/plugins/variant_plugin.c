/* One plain-SGD plugin, compiled once per variant (tests/CMakeLists.txt sets exactly one
 * VARIANT_* macro) into the libraries the loader tests refuse or accept:
 *   VARIANT_OLDER_MINOR   built against the ABI 1.0 header (tests/plugins/abi_1_0): loads, runs
 *   VARIANT_NEWER_MINOR   claims ABI 1.999 with a longer descriptor: loads (tail ignored)
 *   VARIANT_WRONG_MAJOR   claims ABI 2.0 and returns its descriptor anyway: refused by the host
 *   VARIANT_REFUSES       returns NULL with a reason: refused with that reason
 *   VARIANT_ERROR_AT_STEP fails with NUMERICAL_FAILURE at global step `fail_at`
 *   VARIANT_MISSING_STEP  step is NULL
 *   VARIANT_BAD_DEFAULTS  a default outside its range
 *   VARIANT_BUILTIN_NAME  calls itself "AdamOptimizer"
 *   VARIANT_NO_ENTRY      exports no entry point at all */
#include <deepobs/optimizer_plugin.h>
#include <stdio.h>
#include <stdlib.h>

static const deepobs_host* g_unused_host;

typedef struct instance {
  const deepobs_host* host;
  int64_t fail_at;
} instance;

static deepobs_status step(deepobs_optimizer_instance* p, const deepobs_step_context* ctx);

static deepobs_status create(const deepobs_host* host, const deepobs_problem* problem,
                             const deepobs_hparam_value* hp, uint32_t n,
                             deepobs_optimizer_instance** out) {
  instance* inst = (instance*)calloc(1, sizeof(instance));
  (void)problem;
#ifdef VARIANT_MISSING_STEP
  (void)step; /* written, but not put into the descriptor */
#endif
  if (!inst) return DEEPOBS_STATUS_OUT_OF_MEMORY;
  inst->host = host;
  inst->fail_at = n > 0 ? hp[0].i64 : -1;
  *out = (deepobs_optimizer_instance*)inst;
  return DEEPOBS_STATUS_OK;
}

static void destroy(deepobs_optimizer_instance* p) {
  free(p);
}

static deepobs_status step(deepobs_optimizer_instance* p, const deepobs_step_context* ctx) {
  instance* inst = (instance*)p;
  int64_t i;
  if (ctx->step == inst->fail_at) {
    char message[128];
    snprintf(message, sizeof message, "curvature estimate turned negative at step %lld",
             (long long)ctx->step);
    inst->host->report_error(inst->host->host_data, DEEPOBS_STATUS_NUMERICAL_FAILURE, message);
    return DEEPOBS_STATUS_NUMERICAL_FAILURE;
  }
  for (i = 0; i < ctx->flat_size; ++i) {
    if (ctx->dtype == DEEPOBS_DTYPE_F64)
      ((double*)ctx->params)[i] -= ctx->learning_rate * ((const double*)ctx->grads)[i];
    else
      ((float*)ctx->params)[i] -= (float)ctx->learning_rate * ((const float*)ctx->grads)[i];
  }
  return DEEPOBS_STATUS_OK;
}

#if defined(VARIANT_ERROR_AT_STEP) || defined(VARIANT_BAD_DEFAULTS)
static const deepobs_hparam_spec kHparams[] = {
#ifdef VARIANT_ERROR_AT_STEP
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_I64,
     "fail_at",
     "global step that fails",
     DEEPOBS_HP_HAS_DEFAULT,
     {0.0, 3},
     0.0,
     1e9,
     0,
     NULL},
#else
    {sizeof(deepobs_hparam_spec),
     DEEPOBS_HP_F64,
     "beta",
     "a decay rate",
     DEEPOBS_HP_HAS_DEFAULT | DEEPOBS_HP_MAX_EXCLUSIVE,
     {1.5, 0},
     0.0,
     1.0,
     0,
     NULL},
#endif
};
#define NUM_HPARAMS 1
#define HPARAMS kHparams
#else
#define NUM_HPARAMS 0
#define HPARAMS NULL
#endif

#if defined(VARIANT_WRONG_MAJOR)
#define ABI DEEPOBS_ABI_VERSION(2, 0)
#elif defined(VARIANT_NEWER_MINOR)
#define ABI DEEPOBS_ABI_VERSION(1, 999)
#else
#define ABI DEEPOBS_OPTIMIZER_ABI_VERSION
#endif

#ifdef VARIANT_BUILTIN_NAME
#define NAME "AdamOptimizer"
#else
#define NAME "VariantTestOptimizer"
#endif

#ifdef VARIANT_MISSING_STEP
#define STEP NULL
#else
#define STEP step
#endif

static const deepobs_build_fingerprint kFingerprint = {
    sizeof(deepobs_build_fingerprint), 0, 0, NULL, 0, NULL, "test"};

/* A descriptor as a later minor would lay it out: the 1.x fields, then fields this host does not
 * know. struct_size covers all of it. */
typedef struct longer_descriptor {
  deepobs_optimizer_descriptor base;
  uint64_t appended_in_a_later_minor[4];
} longer_descriptor;

static const longer_descriptor kDescriptor = {
    {
#ifdef VARIANT_NEWER_MINOR
        sizeof(longer_descriptor),
#else
        sizeof(deepobs_optimizer_descriptor),
#endif
        ABI,
        &kFingerprint,
        "org.deepobs.test.variant",
        NAME,
        "0.1.0",
        "plain SGD in several broken and unbroken builds",
        NULL,
        NULL,
        0,
        NULL,
        DEEPOBS_CAP_CPU | DEEPOBS_CAP_F64,
        NUM_HPARAMS,
        HPARAMS,
        0,
        NULL,
        create,
        destroy,
        NULL,
        STEP,
        NULL,
        NULL,
    },
    {1, 2, 3, 4},
};

#ifndef VARIANT_NO_ENTRY
DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  (void)host_abi_min;
  (void)host_abi_max;
  g_unused_host = host;
#ifdef VARIANT_REFUSES
  host->report_error(host->host_data, DEEPOBS_STATUS_UNSUPPORTED_DEVICE,
                     "this build needs AVX-512, which this CPU lacks");
  return kDescriptor.base.struct_size == 0 ? &kDescriptor.base : NULL; /* always NULL */
#else
  return &kDescriptor.base;
#endif
}
#else
/* Something exported, so the library is a valid shared object without the entry point. */
DEEPOBS_OPTIMIZER_EXPORT int not_an_optimizer(void) {
  return g_unused_host != NULL && kDescriptor.base.id != NULL;
}
#endif
