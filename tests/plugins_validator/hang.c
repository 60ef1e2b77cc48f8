/* Never returns from step: the validator must kill the check at its time limit. */
#include <deepobs/optimizer_plugin.h>

static char tag;
static volatile int forever = 1;

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
  (void)i, (void)ctx;
  while (forever) {
  }
  return DEEPOBS_STATUS_OK;
}

#define FAULTY_NAME "hang"
#define FAULTY_CAPS DEEPOBS_CAP_CPU
#define FAULTY_CREATE create
#define FAULTY_DESTROY destroy
#define FAULTY_STEP step
#include "faulty_sgd.h"
