/* signSGD: theta -= lr * sign(g). A complete deepobs optimizer plugin. */
#include <deepobs/optimizer_plugin.h>
#include <deepobs/optimizer_plugin_build.h>

static char instance; /* no per-run data: any non-NULL handle will do */

static deepobs_status create(const deepobs_host* host, const deepobs_problem* problem,
                             const deepobs_hparam_value* hparams, uint32_t num_hparams,
                             deepobs_optimizer_instance** out) {
  (void)host, (void)problem, (void)hparams, (void)num_hparams;
  *out = (deepobs_optimizer_instance*)&instance;
  return DEEPOBS_STATUS_OK;
}

static void destroy(deepobs_optimizer_instance* self) {
  (void)self;
}

static deepobs_status step(deepobs_optimizer_instance* self, const deepobs_step_context* ctx) {
  float* theta = (float*)ctx->params;
  const float* g = (const float*)ctx->grads;
  const float lr = (float)ctx->learning_rate;
  (void)self;
  for (int64_t i = 0; i < ctx->flat_size; ++i)
    theta[i] -= g[i] > 0 ? lr : g[i] < 0 ? -lr : 0.0f;
  return DEEPOBS_STATUS_OK;
}

DEEPOBS_PLUGIN_FINGERPRINT(fingerprint);

static const deepobs_optimizer_descriptor descriptor = {
    .struct_size = sizeof(deepobs_optimizer_descriptor),
    .abi_version = DEEPOBS_OPTIMIZER_ABI_VERSION,
    .fingerprint = &fingerprint,
    .id = "org.example.sign_sgd",
    .name = "SignSGD",
    .version = "0.1.0",
    .capabilities = DEEPOBS_CAP_CPU | DEEPOBS_CAP_DETERMINISTIC,
    .create = create,
    .destroy = destroy,
    .step = step};

DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  return deepobs_plugin_negotiate(host_abi_min, host_abi_max, host) ? &descriptor : NULL;
}
