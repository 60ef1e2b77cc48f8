/* A correct SGD built WITHOUT the SDK (default visibility): it also exports `faulty_helper`, which
 * the exported_symbols check must flag. */
#include <deepobs/optimizer_plugin.h>

static char tag;

int faulty_helper(int x);
int faulty_helper(int x) {
  return 2 * x;
}

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
static void sgd_update(const deepobs_step_context* ctx);
static deepobs_status step(deepobs_optimizer_instance* i, const deepobs_step_context* ctx) {
  (void)i;
  sgd_update(ctx);
  return DEEPOBS_STATUS_OK;
}

#define FAULTY_NAME "exports_extra"
#define FAULTY_CAPS (DEEPOBS_CAP_CPU | DEEPOBS_CAP_F64)
#define FAULTY_CREATE create
#define FAULTY_DESTROY destroy
#define FAULTY_STEP step
#include "faulty_sgd.h"
