#include "kernels/cpu/gemm.h"

#include "kernels/cpu/eigen.h"

namespace deepobs::kernels::cpu {
namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using CMap = Eigen::Map<const RowMat<T>>;
template <class T>
using Map = Eigen::Map<RowMat<T>>;

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, const T* b, T beta, T* c) {
  Map<T> C(c, m, n);
  if (beta == T(0)) {
    C.setZero();
  } else if (beta != T(1)) {
    C *= beta;
  }
  if (k == 0) return;
  const CMap<T> A(a, trans_a ? k : m, trans_a ? m : k);
  const CMap<T> B(b, trans_b ? n : k, trans_b ? k : n);
  // noalias(): C never overlaps A or B, so Eigen may write the product straight into C.
  if (!trans_a && !trans_b) C.noalias() += alpha * A * B;
  if (trans_a && !trans_b) C.noalias() += alpha * A.transpose() * B;
  if (!trans_a && trans_b) C.noalias() += alpha * A * B.transpose();
  if (trans_a && trans_b) C.noalias() += alpha * A.transpose() * B.transpose();
}

template <class T>
void add_row_bias(T* out, const T* bias, std::int64_t m, std::int64_t n) {
  Map<T> O(out, m, n);
  const Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> b(bias, n);
  O.rowwise() += b;
}

template <class T>
void column_sums(const T* g, std::int64_t m, std::int64_t n, T* bias_grad) {
  Eigen::Map<Eigen::Matrix<T, 1, Eigen::Dynamic>> out(bias_grad, n);
  out = CMap<T>(g, m, n).colwise().sum();
}

#define DEEPOBS_INSTANTIATE(T)                                                             \
  template void gemm<T>(bool, bool, std::int64_t, std::int64_t, std::int64_t, T, const T*, \
                        const T*, T, T*);                                                  \
  template void add_row_bias<T>(T*, const T*, std::int64_t, std::int64_t);                 \
  template void column_sums<T>(const T*, std::int64_t, std::int64_t, T*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
