#include "kernels/cpu/threading.h"

#include <omp.h>

#include "kernels/cpu/eigen.h"

namespace deepobs::kernels::cpu {

int cpu_threads() {
  return Eigen::nbThreads();
}

void set_cpu_threads(int n) {
  if (n < 1) n = 1;
  Eigen::setNbThreads(n);
  omp_set_num_threads(n);
}

}  // namespace deepobs::kernels::cpu
