// conv_plans of core/cuda_backend.h: the cuDNN plans chosen so far (kernels/cuda/cudnn_conv.h).
#include "core/cuda_backend.h"

#if DEEPOBS_WITH_CUDA
#include "kernels/cuda/cudnn_conv.h"
#endif

namespace deepobs::cuda_backend {

std::vector<ConvPlanRecord> conv_plans(Device device) {
  std::vector<ConvPlanRecord> out;
#if DEEPOBS_WITH_CUDA
  if (!device.is_cuda()) return out;
  for (const auto& p : kernels::cuda::conv_plan_records(device.index))
    out.push_back(ConvPlanRecord{p.operation, p.shape, p.algorithm, p.workspace_bytes});
#else
  (void)device;  // no CUDA backend in this build: no plans
#endif
  return out;
}

}  // namespace deepobs::cuda_backend
