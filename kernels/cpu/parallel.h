// The threads of the CPU kernels: one process-wide pool and parallel_for over fixed ranges.
//
// Why not OpenMP: an OpenMP region ends in a barrier that waits for every thread of the team,
// including one the OS has not scheduled yet, and idle team threads spin between regions. On a
// machine where another process wants the CPU (a sweep of many small runs side by side) each
// small op then waits for a time slice: a 100-epoch quadratic_deep run took 0.7–42 s instead of
// 0.3 s. Here the calling thread works through the ranges itself and pool threads that are awake
// take ranges too; nobody waits for a thread that has not started one, idle threads spin only
// briefly before they sleep, and an op too small to be worth a wake-up never leaves the caller.
//
// Determinism: the ranges depend only on (n, grain), never on the thread count or on timing, so a
// body whose output for a range depends only on that range gives the same bits for any number of
// threads. Eigen's own (OpenMP) threading is off (EIGEN_DONT_PARALLELIZE); gemm.h splits large
// products itself, into panels whose number follows the thread count but whose results provably
// do not (see gemm.cpp).
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace deepobs::kernels::cpu {

// Threads the CPU kernels use (>= 1). Default: DEEPOBS_NUM_THREADS, else OMP_NUM_THREADS, else the
// CPUs this process may run on (its affinity mask, so `taskset` and cgroup-pinned jobs are
// respected).
int cpu_threads();
// Sets the thread count for all later calls; n < 1 is clamped to 1. Not to be called while a
// parallel_for runs.
void set_cpu_threads(int n);

// The number of threads a parallel_for started here could use: 1 inside a range (nested calls run
// inline) or with a one-thread pool, else cpu_threads(). For kernels whose split costs extra work
// (gemm.h repacks an operand per panel), so that they split only when it can pay off.
int parallel_width();

// Work per range below which a range is not worth handing to another thread, in the unit
// "simple float operations" (one add or multiply-add per element ≈ 1): ~20 µs on one core, well
// above the cost of waking a sleeping thread.
inline constexpr std::int64_t kMinRangeWork = std::int64_t{1} << 16;

// The grain (items per range) for items that cost `work_per_item` units each: enough items that a
// range carries at least kMinRangeWork. Depends only on its arguments.
constexpr std::int64_t grain_for_work(double work_per_item) {
  if (!(work_per_item > 0)) return kMinRangeWork;
  const double items = static_cast<double>(kMinRangeWork) / work_per_item;
  return items <= 1 ? 1 : static_cast<std::int64_t>(items + 0.999999);
}

namespace detail {
using RangeFn = void (*)(const void* body, std::int64_t begin, std::int64_t end);
// Runs fn(body, begin, end) for every range; returns when all ranges are done.
void run_ranges(std::int64_t n, std::int64_t grain, RangeFn fn, const void* body);
}  // namespace detail

// Calls body(begin, end) for the ranges [0, g), [g, 2g), … covering [0, n) (g = grain >= 1, the
// last range shorter). Ranges may run concurrently on the pool's threads, in any order; body must
// only write what belongs to its range. A single range, a one-thread pool, or a call from inside
// another parallel_for runs inline on the calling thread. Exceptions must not escape body.
template <class F>
void parallel_for(std::int64_t n, std::int64_t grain, F&& body) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (n <= grain) {
    body(std::int64_t{0}, n);
    return;
  }
  using Body = std::remove_reference_t<F>;
  detail::run_ranges(
      n, grain,
      [](const void* b, std::int64_t begin, std::int64_t end) {
        (*static_cast<Body*>(const_cast<void*>(b)))(begin, end);
      },
      static_cast<const void*>(&body));
}

}  // namespace deepobs::kernels::cpu
