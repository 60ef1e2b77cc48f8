#include "kernels/cpu/accumulate.h"

#include <Eigen/Core>

namespace deepobs::kernels::cpu {

template <class T>
using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using CVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
void accumulate(T* y, const T* x, std::int64_t n) {
  Vec<T>(y, n) += CVec<T>(x, n);
}

template <class T>
void add_into(T* out, const T* a, const T* b, std::int64_t n) {
  Vec<T>(out, n) = CVec<T>(a, n) + CVec<T>(b, n);
}

template void accumulate<float>(float*, const float*, std::int64_t);
template void accumulate<double>(double*, const double*, std::int64_t);
template void add_into<float>(float*, const float*, const float*, std::int64_t);
template void add_into<double>(double*, const double*, const double*, std::int64_t);

}  // namespace deepobs::kernels::cpu
