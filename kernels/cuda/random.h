// Counter-based random fills on a CUDA device: the twins of kernels/cpu/random.h for f32, giving
// BIT-IDENTICAL values. Both sides evaluate the same DEEPOBS_HD functions of kernels/random_draws.h
// on the same Philox words; the double arithmetic there uses explicitly rounded intrinsics on the
// device (never fused into FMAs) and this file is compiled with -fmad=false as a second guard, so
// the only operations are correctly rounded IEEE ones in the same order as on the CPU.
// CUDA-free header; defined in random.cu.
//
// `out` is device memory of ctx's device holding n floats (0 ≤ n ≤ 2^33), overwritten; work is
// queued on ctx's stream. The parameters mean what they mean in kernels/cpu/random.h.
//
// Capture-ready draws: with `call_at` (device memory, one i64) the draw's call index is read there
// on the device instead of taken from `d`, so a replayed CUDA graph whose step advances that
// counter draws fresh numbers; null keeps d.call.
#pragma once

#include <cstdint>

#include "kernels/philox.h"

namespace deepobs::kernels::cuda {

class KernelContext;

void random_uniform(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n, double lo,
                    double hi, const std::int64_t* call_at = nullptr);
void random_normal(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n, double mean,
                   double stddev, const std::int64_t* call_at = nullptr);
void random_truncated_normal(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n,
                             double mean, double stddev, const std::int64_t* call_at = nullptr);
void random_keep_mask(KernelContext& ctx, const PhiloxDraw& d, float* out, std::int64_t n,
                      double rate, float keep_value, const std::int64_t* call_at = nullptr);

}  // namespace deepobs::kernels::cuda
