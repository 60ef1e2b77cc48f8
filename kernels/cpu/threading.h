// Threads used by the CPU kernels (Eigen's GEMM and the OpenMP loops). Defaults to the number of
// cores (OMP_NUM_THREADS overrides). Results do not depend on the thread count except through
// Eigen's GEMM blocking, which is fixed for a given count, so a run is reproducible on one machine.
#pragma once

namespace deepobs::kernels::cpu {

int cpu_threads();
// Sets the thread count for Eigen and OpenMP; n < 1 is clamped to 1.
void set_cpu_threads(int n);

}  // namespace deepobs::kernels::cpu
