// The run's device and numerical policies (--device, --deterministic, --tf32) and what the result
// file records about them. Kept apart from run_command.cpp so the device policy is testable alone
// and its JSON keys merge without touching the others.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/cuda_backend.h"
#include "core/device.h"

namespace deepobs::runner {

// --device: "auto" is cuda:0 when Device::cuda_available(), else the CPU; "cpu" the CPU;
// "cuda"/"cuda:N" that GPU. Throws deepobs::Error with one line naming the flag, the reason and
// the fix when CUDA is asked for but this binary has no CUDA backend, no GPU is usable (with the
// runtime's reason when it gave one), or N is not a device; and for any other text.
Device resolve_run_device(const std::string& requested);

// Sets the device's numerical policies before anything runs on it (cuda_backend::set_policies).
// Nothing to set for the CPU, which is always deterministic and never uses TF32.
void set_run_policies(Device device, const cuda_backend::Policies& policies);

// What the result file records about the device, as keys to merge into the result JSON:
//   "device_info":     {"name": "cpu"|"cuda:N", "type", and for a GPU "gpu" (name, compute
//                       capability, memory GiB, SMs) and the CUDA runtime/driver, cuDNN and cuBLAS
//                       versions},
//   "policies":        {"deterministic": bool, "tf32": bool} as requested (the CPU is always
//                       deterministic and never uses TF32; the request is recorded anyway),
//   "conv_algorithms": [{"operation", "shape", "algorithm", "workspace_bytes"}] chosen so far
//                       (cuda_backend::conv_plans; empty on the CPU),
//   "device_memory":   {"current_bytes", "peak_bytes", "reserved_bytes", "cuda_malloc_calls"} of
//                       the caching allocator (GPU runs only; peak_memory_bytes stays the host's).
// Call it after training so the plans and the peak are complete.
nlohmann::ordered_json device_report(Device device, const cuda_backend::Policies& policies);

}  // namespace deepobs::runner
