/* Claims DEEPOBS_CAP_DETERMINISTIC but keeps a global step counter shared by all instances (which
 * the ABI forbids) and scales the step with it: a second identical run differs, and so does a run
 * resumed from a checkpoint. */
#include <deepobs/optimizer_plugin.h>

static long long global_steps;
static char tag;

static deepobs_status create(const deepobs_host* h, const deepobs_problem* p,
                             const deepobs_hparam_value* v, uint32_t n,
                             deepobs_optimizer_instance** out) {
  (void)h, (void)p, (void)v, (void)n;
  *out = (deepobs_optimizer_instance*)&tag;
  return DEEPOBS_STATUS_OK;
}
static void destroy(deepobs_optimizer_instance* i) {
  (void)i;
}
static deepobs_status step(deepobs_optimizer_instance* i, const deepobs_step_context* ctx) {
  int64_t k;
  const float scale = 1.0f / (float)(1 + ++global_steps % 7);
  (void)i;
  if (ctx->dtype != DEEPOBS_DTYPE_F32) return DEEPOBS_STATUS_UNSUPPORTED_DEVICE;
  for (k = 0; k < ctx->flat_size; ++k)
    ((float*)ctx->params)[k] -= scale * (float)ctx->learning_rate * ((const float*)ctx->grads)[k];
  return DEEPOBS_STATUS_OK;
}

#define FAULTY_NAME "nondeterministic"
#define FAULTY_CAPS (DEEPOBS_CAP_CPU | DEEPOBS_CAP_DETERMINISTIC)
#define FAULTY_CREATE create
#define FAULTY_DESTROY destroy
#define FAULTY_STEP step
#include "faulty_sgd.h"
