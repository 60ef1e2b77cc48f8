#include "core/profile_limits.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/backend.h"
#include "core/error.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cuda/profiling.h"

namespace deepobs::profile {
namespace {

using Clock = std::chrono::steady_clock;

// The best of `repeats` timed calls of `f` after one untimed warm-up call, in seconds.
template <class F>
double best_seconds(int repeats, F&& f) {
  f();
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

std::string fixed(double v, int digits) {
  std::string s = std::to_string(v);
  const auto dot = s.find('.');
  return dot == std::string::npos ? s : s.substr(0, dot + (digits > 0 ? digits + 1 : 0));
}

Limits cpu_limits() {
  Limits l;
  // C [n, n] = A [n, n] · B [n, n] in f32: 2n³ FLOPs per product, the operands 6.75 MiB in all
  // (larger than the last-level caches of small machines, small enough to take ~50 ms at 30
  // GFLOP/s).
  constexpr std::int64_t n = 768;
  constexpr int kGemmRepeats = 8;
  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (std::int64_t i = 0; i < n * n; ++i) {
    a[static_cast<std::size_t>(i)] = static_cast<float>(i % 17) * 0.01f;
    b[static_cast<std::size_t>(i)] = static_cast<float>(i % 13) * 0.02f;
  }
  const double gemm_s = best_seconds(kGemmRepeats, [&] {
    kernels::cpu::gemm<float>(false, false, n, n, n, 1.0f, a.data(), b.data(), 0.0f, c.data());
  });
  l.flops_per_second = 2.0 * n * n * n / gemm_s;
  l.flops_how = "GEMM probe: best of " + std::to_string(kGemmRepeats) + " f32 " +
                std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n) +
                " products through kernels::cpu::gemm on " +
                std::to_string(kernels::cpu::cpu_threads()) + " thread(s) (" +
                fixed(gemm_s * 1e3, 1) + " ms each)";
  // A 64 MiB copy: 64 MiB read + 64 MiB written.
  constexpr std::size_t kBytes = 64u << 20;
  constexpr int kCopyRepeats = 3;
  std::vector<std::uint8_t> src(kBytes, 1), dst(kBytes, 0);
  const double copy_s =
      best_seconds(kCopyRepeats, [&] { std::memcpy(dst.data(), src.data(), kBytes); });
  l.bytes_per_second = 2.0 * static_cast<double>(kBytes) / copy_s;
  l.bytes_how = "copy probe: best of " + std::to_string(kCopyRepeats) +
                " single-threaded 64 MiB memcpy (read + write counted)";
  return l;
}

}  // namespace

Limits measure_limits(Device device) {
  backend::check_device(device);
  if (device.is_cpu()) return cpu_limits();
  Limits l;
  if constexpr (backend::kCuda) {
    kernels::cuda::DeviceLimits d;
    std::string why;
    DEEPOBS_CHECK(kernels::cuda::device_limits(device.index, &d, &why), "profile: cannot read the ",
                  "properties of ", device.str(), ": ", why);
    l.flops_per_second = d.fp32_flops_per_s;
    l.bytes_per_second = d.bytes_per_s;
    l.flops_how = "FP32 peak from device properties: " + d.how;
    l.bytes_how = "DRAM bandwidth from device properties (see the line above)";
  }
  return l;
}

}  // namespace deepobs::profile
