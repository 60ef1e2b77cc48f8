/* SGD whose create allocates (and touches) 256 KiB that destroy never frees. */
#include <stdlib.h>
#include <string.h>

#include <deepobs/optimizer_plugin.h>

static deepobs_status create(const deepobs_host* h, const deepobs_problem* p,
                             const deepobs_hparam_value* v, uint32_t n,
                             deepobs_optimizer_instance** out) {
  enum { kLeak = 1 << 18 };
  char* memory = (char*)malloc(kLeak);
  (void)p, (void)v, (void)n;
  if (memory == NULL) {
    h->report_error(h->host_data, DEEPOBS_STATUS_OUT_OF_MEMORY, "out of memory");
    return DEEPOBS_STATUS_OUT_OF_MEMORY;
  }
  memset(memory, 1, kLeak); /* resident, not just reserved */
  *out = (deepobs_optimizer_instance*)memory;
  return DEEPOBS_STATUS_OK;
}
static void destroy(deepobs_optimizer_instance* i) {
  (void)i; /* the leak */
}
static void sgd_update(const deepobs_step_context* ctx);
static deepobs_status step(deepobs_optimizer_instance* i, const deepobs_step_context* ctx) {
  (void)i;
  sgd_update(ctx);
  return DEEPOBS_STATUS_OK;
}

#define FAULTY_NAME "leaky"
#define FAULTY_CAPS (DEEPOBS_CAP_CPU | DEEPOBS_CAP_F64)
#define FAULTY_CREATE create
#define FAULTY_DESTROY destroy
#define FAULTY_STEP step
#include "faulty_sgd.h"
