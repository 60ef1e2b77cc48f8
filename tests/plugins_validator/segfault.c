/* Writes through a null pointer in every step: the validator must report SIGSEGV and survive. */
#include <stdint.h>

#include <deepobs/optimizer_plugin.h>

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
  /* The address comes from a volatile so the compiler cannot see the null and emit a trap. */
  volatile uintptr_t address = 0;
  (void)i, (void)ctx;
  *(volatile int*)address = 1;
  return DEEPOBS_STATUS_OK;
}

#define FAULTY_NAME "segfault"
#define FAULTY_CAPS DEEPOBS_CAP_CPU
#define FAULTY_CREATE create
#define FAULTY_DESTROY destroy
#define FAULTY_STEP step
#include "faulty_sgd.h"
