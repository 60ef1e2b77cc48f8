/* Shared by the deliberately broken plugins of this folder (tests/cpu/test_validate_plugin.cpp):
 * a plain SGD descriptor whose step function, capabilities and name each plugin chooses. Each
 * plugin defines FAULTY_STEP, FAULTY_CREATE, FAULTY_DESTROY, FAULTY_CAPS, FAULTY_NAME before
 * including this file once. */
#include <deepobs/optimizer_plugin.h>
#include <deepobs/optimizer_plugin_build.h>

#include <stddef.h>

static inline void sgd_update(const deepobs_step_context* ctx) {
  int64_t i;
  if (ctx->dtype == DEEPOBS_DTYPE_F64) {
    double* p = (double*)ctx->params;
    const double* g = (const double*)ctx->grads;
    for (i = 0; i < ctx->flat_size; ++i)
      p[i] -= ctx->learning_rate * g[i];
  } else {
    float* p = (float*)ctx->params;
    const float* g = (const float*)ctx->grads;
    for (i = 0; i < ctx->flat_size; ++i)
      p[i] -= (float)ctx->learning_rate * g[i];
  }
}

DEEPOBS_PLUGIN_FINGERPRINT(faulty_fingerprint);

static const deepobs_optimizer_descriptor faulty_descriptor = {
    sizeof(deepobs_optimizer_descriptor),
    DEEPOBS_OPTIMIZER_ABI_VERSION,
    &faulty_fingerprint,
    "org.deepobs.test." FAULTY_NAME,
    "Faulty_" FAULTY_NAME,
    "0.0.1",
    "a deliberately broken plugin for the validator's tests",
    NULL,
    NULL,
    0,
    NULL,
    FAULTY_CAPS,
    0,
    NULL,
    0,
    NULL,
    FAULTY_CREATE,
    FAULTY_DESTROY,
    NULL,
    FAULTY_STEP,
    NULL,
    NULL,
};

DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  return deepobs_plugin_negotiate(host_abi_min, host_abi_max, host) ? &faulty_descriptor : NULL;
}
