// The host's reading of plugin descriptors (optimizers/include/deepobs/optimizer_plugin.h): ABI
// version negotiation, descriptor validation into a typed OptimizerInfo, and the build-fingerprint
// check against a device. Shared by the built-in optimizers (compiled in) and the loader of
// shared libraries (plugin_loader.h), so both go through exactly the same checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/device.h"
#include "optimizers/include/deepobs/optimizer_plugin.h"
#include "optimizers/optimizer.h"

namespace deepobs {

// The ABI range this host speaks: every 1.x up to the header it was compiled with.
inline constexpr std::uint32_t kHostAbiMin = DEEPOBS_ABI_VERSION(DEEPOBS_OPTIMIZER_ABI_MAJOR, 0);
inline constexpr std::uint32_t kHostAbiMax = DEEPOBS_OPTIMIZER_ABI_VERSION;

// "1.0".
std::string abi_version_string(std::uint32_t version);

// Throws deepobs::Error "<where>: built against optimizer ABI 2.0, but this deepobs speaks
// 1.0 to 1.N: rebuild the plugin against this deepobs's optimizer_plugin.h" when the major differs
// from the host's. A newer minor of the same major is accepted (appended fields are ignored).
void check_abi_version(std::uint32_t plugin_version, const std::string& where);

// Validates `descriptor` and returns the host's copy. `origin` is "built-in" or the library's path
// (messages say "plugin <path>: ..." or "built-in optimizer <id>: ..."). Reads every struct and
// array with the struct_size the plugin wrote (DEEPOBS_HAS_FIELD rules). Throws deepobs::Error
// with one line for: a too-small struct_size, a wrong ABI major, a missing fingerprint, a
// malformed id/name/version, no device capability, a missing required function (create, destroy,
// step), eval_params inconsistent with DEEPOBS_CAP_EVAL_PARAMS, a CUDA capability without a CUDA
// fingerprint, and every malformed hyperparameter (bad name or type, min > max, a default that is
// missing a value, not finite or outside its range, an enum without choices) or state slot.
OptimizerInfo info_from_descriptor(const deepobs_optimizer_descriptor* descriptor,
                                   const std::string& origin);

// What the fingerprint check needs to know about the device and this host.
struct DeviceFacts {
  Device device = Device::cpu();
  int compute_capability = 0;  // 10*major + minor; 0 for the CPU
  int host_cuda_runtime = 0;   // this binary's CUDA runtime (1000*major + 10*minor); 0 without
  int cuda_driver = 0;         // the installed driver's CUDA version; 0 if unknown
  std::string device_name{};   // for messages, e.g. "NVIDIA H100 80GB HBM3"
};

// The facts for `device` as this process sees them (queries the CUDA runtime for a CUDA device).
DeviceFacts device_facts(Device device);

// Why the plugin described by `info` cannot run on the device `facts` describes (capability
// missing, built for another CUDA major or a newer CUDA than the driver, no GPU binary or PTX for
// the device's architecture), as one line without the "plugin ...:" prefix; nullopt when it can.
std::optional<std::string> fingerprint_refusal(const OptimizerInfo& info, const DeviceFacts& facts);

// Throws deepobs::Error "optimizer <id> (<origin>): <refusal>" when fingerprint_refusal says no.
void check_fingerprint(const OptimizerInfo& info, const DeviceFacts& facts);

}  // namespace deepobs
