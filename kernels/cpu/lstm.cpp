#include "kernels/cpu/lstm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/gemm.h"

namespace deepobs::kernels::cpu {
namespace {

template <class T>
T sigmoid(T z) {
  return T(1) / (T(1) + std::exp(-z));
}

// x [batch, steps, width] (batch-major) ↔ [steps, batch, width] (time-major, what the per-step
// GEMMs want).
template <class T>
void to_time_major(const LstmShape& s, std::int64_t width, const T* src, T* dst) {
  for (std::int64_t b = 0; b < s.batch; ++b)
    for (std::int64_t t = 0; t < s.steps; ++t)
      std::copy_n(src + (b * s.steps + t) * width, width, dst + (t * s.batch + b) * width);
}
template <class T>
void to_batch_major(const LstmShape& s, std::int64_t width, const T* src, T* dst) {
  for (std::int64_t b = 0; b < s.batch; ++b)
    for (std::int64_t t = 0; t < s.steps; ++t)
      std::copy_n(src + (t * s.batch + b) * width, width, dst + (b * s.steps + t) * width);
}

}  // namespace

template <class T>
LstmSpaceSizes lstm_space_sizes(const LstmShape& s) {
  return {0, static_cast<std::size_t>(s.steps * s.batch * 5 * s.hidden) * sizeof(T)};
}

template <class T>
void lstm_forward(const LstmShape& s, T forget_bias, const T* x, const T* h0, const T* c0,
                  const T* kernel, const T* bias, T* y, T* h_out, T* c_out, void* /*weight_space*/,
                  void* reserve) {
  const std::int64_t B = s.batch, S = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  T* gates = static_cast<T*>(reserve);  // [S, B, 4H]: pre-activations, then activated gates
  T* cells = gates + S * B * G;         // [S, B, H]
  std::vector<T> xt(static_cast<std::size_t>(S * B * I));
  to_time_major(s, I, x, xt.data());
  // The input part of every step at once: [S·B, I]·kernel[0:I] (rows of the first I kernel rows).
  gemm<T>(false, false, S * B, G, I, T(1), xt.data(), kernel, T(0), gates);
  const T* recurrent = kernel + I * G;
  std::vector<T> h(static_cast<std::size_t>(B * H));
  const T* h_prev = h0;
  const T* c_prev = c0;
  for (std::int64_t t = 0; t < S; ++t) {
    T* z = gates + t * B * G;
    T* c = cells + t * B * H;
    gemm<T>(false, false, B, G, H, T(1), h_prev, recurrent, T(1), z);
    for (std::int64_t b = 0; b < B; ++b) {
      T* zb = z + b * G;
      for (std::int64_t u = 0; u < H; ++u) {
        // TF: gates = matmul + bias; c = c·σ(f + forget_bias) + σ(i)·tanh(j); h = tanh(c)·σ(o).
        const T i = sigmoid(zb[u] + bias[u]);
        const T j = std::tanh(zb[H + u] + bias[H + u]);
        const T f = sigmoid((zb[2 * H + u] + bias[2 * H + u]) + forget_bias);
        const T o = sigmoid(zb[3 * H + u] + bias[3 * H + u]);
        const T cell = c_prev[b * H + u] * f + i * j;
        const T out = std::tanh(cell) * o;
        zb[u] = i;
        zb[H + u] = j;
        zb[2 * H + u] = f;
        zb[3 * H + u] = o;
        c[b * H + u] = cell;
        h[static_cast<std::size_t>(b * H + u)] = out;
        y[(b * S + t) * H + u] = out;
      }
    }
    h_prev = h.data();
    c_prev = c;
  }
  std::copy_n(h_prev, B * H, h_out);
  std::copy_n(c_prev, B * H, c_out);
}

template <class T>
void lstm_backward(const LstmShape& s, const T* x, const T* h0, const T* c0, const T* kernel,
                   const T* y, const T* dy, const T* dh_out, const T* dc_out,
                   const void* /*weight_space*/, void* reserve, T* dx, T* dh0, T* dc0, T* dkernel,
                   T* dbias, void* /*dweight_space*/) {
  const std::int64_t B = s.batch, S = s.steps, I = s.input, H = s.hidden, G = 4 * H;
  T* gates = static_cast<T*>(reserve);  // activated gates in, gate pre-activation gradients out
  const T* cells = gates + S * B * G;
  const T* recurrent = kernel + I * G;
  std::vector<T> dh(static_cast<std::size_t>(B * H), T(0)), dc(dh);
  if (dh_out) std::copy_n(dh_out, B * H, dh.begin());
  if (dc_out) std::copy_n(dc_out, B * H, dc.begin());
  for (std::int64_t t = S - 1; t >= 0; --t) {
    T* z = gates + t * B * G;
    const T* c = cells + t * B * H;
    const T* c_prev = t > 0 ? cells + (t - 1) * B * H : c0;
    for (std::int64_t b = 0; b < B; ++b) {
      T* zb = z + b * G;
      for (std::int64_t u = 0; u < H; ++u) {
        const std::size_t k = static_cast<std::size_t>(b * H + u);
        const T dh_t = dh[k] + (dy ? dy[(b * S + t) * H + u] : T(0));
        const T i = zb[u], j = zb[H + u], f = zb[2 * H + u], o = zb[3 * H + u];
        const T tc = std::tanh(c[b * H + u]);
        const T dcell = dc[k] + dh_t * o * (T(1) - tc * tc);
        dc[k] = dcell * f;
        zb[u] = dcell * j * i * (T(1) - i);
        zb[H + u] = dcell * i * (T(1) - j * j);
        zb[2 * H + u] = dcell * c_prev[b * H + u] * f * (T(1) - f);
        zb[3 * H + u] = dh_t * tc * o * (T(1) - o);
      }
    }
    // dh_{t−1} = dz_t · recurrentᵀ
    gemm<T>(false, true, B, H, G, T(1), z, recurrent, T(0), dh.data());
  }
  std::copy_n(dh.begin(), B * H, dh0);
  std::copy_n(dc.begin(), B * H, dc0);
  const T* dz = gates;  // [S·B, 4H]
  column_sums<T>(dz, S * B, G, dbias);
  // dkernel[0:I] = x_timemajorᵀ·dz; dkernel[I:] = h_prevᵀ·dz with h_prev[t] = h_{t−1} (h0 at t 0).
  std::vector<T> buf(static_cast<std::size_t>(S * B * std::max(I, H)));
  to_time_major(s, I, x, buf.data());
  gemm<T>(true, false, I, G, S * B, T(1), buf.data(), dz, T(0), dkernel);
  std::copy_n(h0, B * H, buf.begin());
  for (std::int64_t t = 1; t < S; ++t)
    for (std::int64_t b = 0; b < B; ++b)
      std::copy_n(y + (b * S + t - 1) * H, H, buf.begin() + (t * B + b) * H);
  gemm<T>(true, false, H, G, S * B, T(1), buf.data(), dz, T(0), dkernel + I * G);
  // dx = dz·kernel[0:I]ᵀ, time-major, then back to [batch, steps, input].
  std::vector<T> dxt(static_cast<std::size_t>(S * B * I));
  gemm<T>(false, true, S * B, I, G, T(1), dz, kernel, T(0), dxt.data());
  to_batch_major(s, I, dxt.data(), dx);
}

#define DEEPOBS_INSTANTIATE(T)                                                                   \
  template LstmSpaceSizes lstm_space_sizes<T>(const LstmShape&);                                 \
  template void lstm_forward<T>(const LstmShape&, T, const T*, const T*, const T*, const T*,     \
                                const T*, T*, T*, T*, void*, void*);                             \
  template void lstm_backward<T>(const LstmShape&, const T*, const T*, const T*, const T*,       \
                                 const T*, const T*, const T*, const T*, const void*, void*, T*, \
                                 T*, T*, T*, T*, void*);
DEEPOBS_INSTANTIATE(float)
DEEPOBS_INSTANTIATE(double)
#undef DEEPOBS_INSTANTIATE

}  // namespace deepobs::kernels::cpu
