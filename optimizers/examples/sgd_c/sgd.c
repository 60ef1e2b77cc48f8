/* Plain stochastic gradient descent, θ ← θ − lr·g, as an optimizer plugin in C99 (CPU only).
 * The smallest complete plugin: no hyperparameters, no state, one step function. Build it with
 * deepobs_add_optimizer_plugin(example_sgd SOURCES sgd.c) and run it with
 * `deepobs run quadratic_deep --optimizer ./libexample_sgd.so --learning_rate 0.01`. */
#include <deepobs/optimizer_plugin.h>
#include <deepobs/optimizer_plugin_build.h>

/* No per-instance data: create hands back the address of this byte as the (non-NULL) handle. */
static char instance_tag;

static deepobs_status sgd_create(const deepobs_host* host, const deepobs_problem* problem,
                                 const deepobs_hparam_value* hparams, uint32_t num_hparams,
                                 deepobs_optimizer_instance** out) {
  (void)hparams;
  (void)num_hparams;
  if (problem->device.type != DEEPOBS_DEVICE_CPU) {
    host->report_error(host->host_data, DEEPOBS_STATUS_UNSUPPORTED_DEVICE,
                       "this example runs on the CPU only: pass --device cpu");
    return DEEPOBS_STATUS_UNSUPPORTED_DEVICE;
  }
  *out = (deepobs_optimizer_instance*)&instance_tag;
  return DEEPOBS_STATUS_OK;
}

static void sgd_destroy(deepobs_optimizer_instance* instance) {
  (void)instance;
}

static deepobs_status sgd_step(deepobs_optimizer_instance* instance,
                               const deepobs_step_context* ctx) {
  (void)instance;
  const int64_t n = ctx->flat_size;
  if (ctx->dtype == DEEPOBS_DTYPE_F64) {
    double* p = (double*)ctx->params;
    const double* g = (const double*)ctx->grads;
    for (int64_t i = 0; i < n; ++i)
      p[i] -= ctx->learning_rate * g[i];
  } else {
    float* p = (float*)ctx->params;
    const float* g = (const float*)ctx->grads;
    const float lr = (float)ctx->learning_rate;
    for (int64_t i = 0; i < n; ++i)
      p[i] -= lr * g[i];
  }
  return DEEPOBS_STATUS_OK;
}

DEEPOBS_PLUGIN_FINGERPRINT(sgd_fingerprint);
static const char* const sgd_aliases[] = {"example_sgd"};

static const deepobs_optimizer_descriptor sgd_descriptor = {
    sizeof(deepobs_optimizer_descriptor),
    DEEPOBS_OPTIMIZER_ABI_VERSION,
    &sgd_fingerprint,
    "org.deepobs.example.sgd_c",
    "ExampleSGD",
    "1.0.0",
    "plain SGD in C: theta -= lr * g (example plugin)",
    "deepobs-cpp",
    "MIT",
    1,
    sgd_aliases,
    DEEPOBS_CAP_CPU | DEEPOBS_CAP_DETERMINISTIC | DEEPOBS_CAP_F64,
    0,
    NULL,
    0,
    NULL,
    sgd_create,
    sgd_destroy,
    NULL, /* init_state: no state */
    sgd_step,
    NULL, /* eval_params */
    NULL, /* get_extension */
};

DEEPOBS_OPTIMIZER_EXPORT const deepobs_optimizer_descriptor* deepobs_optimizer_entry(
    uint32_t host_abi_min, uint32_t host_abi_max, const deepobs_host* host) {
  return deepobs_plugin_negotiate(host_abi_min, host_abi_max, host) ? &sgd_descriptor : NULL;
}
