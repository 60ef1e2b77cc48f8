/* deepobs/optimizer_plugin_build.h — the build fingerprint of a plugin, filled in by the SDK.
 *
 * deepobs_add_optimizer_plugin() (the CMake function of the installed SDK, DeepobsPlugin.cmake)
 * compiles every source of a plugin with definitions that say what the library is built for; the
 * macro below turns them into the deepobs_build_fingerprint the descriptor must point to:
 *
 *   #include <deepobs/optimizer_plugin_build.h>
 *   DEEPOBS_PLUGIN_FINGERPRINT(my_fingerprint);
 *   static const deepobs_optimizer_descriptor descriptor = { ..., &my_fingerprint, ... };
 *
 * Without the SDK's definitions (a plugin built by hand) the fingerprint says "CPU only, no CUDA",
 * which is right for a plugin without CUDA code; a hand-built CUDA plugin must define
 * DEEPOBS_PLUGIN_CUDART_VERSION, DEEPOBS_PLUGIN_GPU_ARCHS / _NUM_GPU_ARCHS and
 * DEEPOBS_PLUGIN_PTX_ARCHS / _NUM_PTX_ARCHS itself (architectures as 10*major + minor, e.g. 90).
 * C99 and C++; includes only the ABI header. */
#ifndef DEEPOBS_OPTIMIZER_PLUGIN_BUILD_H
#define DEEPOBS_OPTIMIZER_PLUGIN_BUILD_H

#include <deepobs/optimizer_plugin.h>

#ifndef DEEPOBS_PLUGIN_CUDART_VERSION
#define DEEPOBS_PLUGIN_CUDART_VERSION 0
#endif
#ifndef DEEPOBS_PLUGIN_NUM_GPU_ARCHS
#define DEEPOBS_PLUGIN_NUM_GPU_ARCHS 0
#define DEEPOBS_PLUGIN_GPU_ARCHS 0
#endif
#ifndef DEEPOBS_PLUGIN_NUM_PTX_ARCHS
#define DEEPOBS_PLUGIN_NUM_PTX_ARCHS 0
#define DEEPOBS_PLUGIN_PTX_ARCHS 0
#endif
#ifndef DEEPOBS_PLUGIN_COMPILER
#define DEEPOBS_PLUGIN_COMPILER "unknown compiler (built without the deepobs SDK)"
#endif

/* Defines `static const deepobs_build_fingerprint var` (and two small arrays beside it) from the
 * SDK's definitions. The arrays always hold at least one element (C has no empty initialiser); the
 * counts say how many are real, and the pointers are NULL when the count is 0. */
#define DEEPOBS_PLUGIN_FINGERPRINT(var)                                 \
  static const uint32_t var##_gpu_archs[] = {DEEPOBS_PLUGIN_GPU_ARCHS}; \
  static const uint32_t var##_ptx_archs[] = {DEEPOBS_PLUGIN_PTX_ARCHS}; \
  static const deepobs_build_fingerprint var = {                        \
      (uint32_t)sizeof(deepobs_build_fingerprint),                      \
      DEEPOBS_PLUGIN_CUDART_VERSION,                                    \
      DEEPOBS_PLUGIN_NUM_GPU_ARCHS,                                     \
      DEEPOBS_PLUGIN_NUM_GPU_ARCHS ? var##_gpu_archs : NULL,            \
      DEEPOBS_PLUGIN_NUM_PTX_ARCHS,                                     \
      DEEPOBS_PLUGIN_NUM_PTX_ARCHS ? var##_ptx_archs : NULL,            \
      DEEPOBS_PLUGIN_COMPILER}

/* The capability bits that follow from the build: DEEPOBS_CAP_CUDA when the SDK compiled CUDA
 * sources into the plugin (DEEPOBS_PLUGIN_HAS_CUDA), else 0. */
#ifdef DEEPOBS_PLUGIN_HAS_CUDA
#define DEEPOBS_PLUGIN_BUILD_CAPS DEEPOBS_CAP_CUDA
#else
#define DEEPOBS_PLUGIN_BUILD_CAPS 0ull
#endif

#define DEEPOBS_PLUGIN_STRINGIFY_(x) #x
#define DEEPOBS_PLUGIN_STRINGIFY(x) DEEPOBS_PLUGIN_STRINGIFY_(x)

/* The negotiation every plugin of this ABI major does in deepobs_optimizer_entry: returns 1 when
 * the host's range [host_abi_min, host_abi_max] contains this header's major (a newer minor host
 * is fine: fields it appended are ignored by this plugin), else reports why through `host` and
 * returns 0, and the entry returns NULL. */
static inline int deepobs_plugin_negotiate(uint32_t host_abi_min, uint32_t host_abi_max,
                                           const deepobs_host* host) {
  const uint32_t major = DEEPOBS_OPTIMIZER_ABI_MAJOR;
  if (DEEPOBS_ABI_MAJOR_OF(host_abi_min) <= major && major <= DEEPOBS_ABI_MAJOR_OF(host_abi_max))
    return 1;
  if (host && host->report_error)
    host->report_error(host->host_data, DEEPOBS_STATUS_INVALID_ARGUMENT,
                       "built against optimizer ABI " DEEPOBS_PLUGIN_STRINGIFY(
                           DEEPOBS_OPTIMIZER_ABI_MAJOR) "." DEEPOBS_PLUGIN_STRINGIFY(
                           DEEPOBS_OPTIMIZER_ABI_MINOR) ", whose major this host does not speak: "
                       "rebuild the plugin against the host's deepobs/optimizer_plugin.h");
  return 0;
}

#endif /* DEEPOBS_OPTIMIZER_PLUGIN_BUILD_H */
