// Where and with what a run was made (DeepOBS issue #24): recorded in every result file.
#pragma once

#include <nlohmann/json.hpp>

namespace deepobs::runner {

// {"deepobs_cpp_version", "git_commit", "build_type", "compiler", "host", "cpu", "cpu_threads",
//  "cpu_kernels_isa": {"march", "level", "extensions", "eigen"}, "cuda_built",
//  "cuda_architectures", "cuda_runtime", "cuda_driver", "cudnn", "cublas", "gpus": [...]}. Never
//  throws for a missing GPU
// or driver.
nlohmann::ordered_json run_fingerprint();

}  // namespace deepobs::runner
