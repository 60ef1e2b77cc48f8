// The CPU thread pool (kernels/cpu/parallel.h) and the kernels it splits: every range exactly
// once, fixed range boundaries, bit-identical results for any thread count, inline nesting, calls
// from several threads, and a usable pool in a forked child.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"

namespace deepobs {
namespace {

using kernels::cpu::cpu_threads;
using kernels::cpu::parallel_for;
using kernels::cpu::set_cpu_threads;

// Restores the thread count a test changed.
class ParallelTest : public ::testing::Test {
 protected:
  void TearDown() override { set_cpu_threads(saved_); }
  int saved_ = cpu_threads();
};

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v)
    x = dist(gen);
  return v;
}

TEST_F(ParallelTest, EveryRangeOnceWithFixedBoundaries) {
  for (int threads : {1, 2, 3, 7}) {
    set_cpu_threads(threads);
    for (std::int64_t n : {0, 1, 5, 64, 1000, 100003}) {
      for (std::int64_t grain : {1, 7, 64, 4096}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        std::atomic<bool> aligned{true};
        parallel_for(n, grain, [&](std::int64_t begin, std::int64_t end) {
          if (begin % grain != 0 || !(end == begin + grain || end == n)) aligned = false;
          for (std::int64_t i = begin; i < end; ++i)
            hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
        EXPECT_TRUE(aligned) << "n " << n << " grain " << grain;
        for (std::int64_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1)
              << "n " << n << " grain " << grain << " threads " << threads << " item " << i;
      }
    }
  }
}

TEST_F(ParallelTest, UsesSeveralThreadsForLargeWorkAndOneForSmall) {
  set_cpu_threads(4);
  // Small: a single range never leaves the calling thread.
  const auto caller = std::this_thread::get_id();
  bool inline_only = true;
  parallel_for(100, 1000, [&](std::int64_t, std::int64_t) {
    inline_only = inline_only && std::this_thread::get_id() == caller;
  });
  EXPECT_TRUE(inline_only);
  // Large: with ranges of real work, at least one other thread takes part. (Whether it does is up
  // to the scheduler; across many jobs it must happen at least once.)
  std::atomic<bool> other{false};
  for (int job = 0; job < 200 && !other; ++job) {
    parallel_for(64, 1, [&](std::int64_t, std::int64_t) {
      if (std::this_thread::get_id() != caller) other = true;
      volatile double s = 0;
      for (int i = 0; i < 20000; ++i)
        s = s + i;
    });
  }
  EXPECT_TRUE(other);
}

TEST_F(ParallelTest, NestedCallsRunInlineAndCallsFromTwoThreadsAreCorrect) {
  set_cpu_threads(3);
  std::vector<std::int64_t> sums(8, 0);
  parallel_for(8, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      std::int64_t s = 0;
      const auto outer = std::this_thread::get_id();
      bool same_thread = true;
      parallel_for(1000, 10, [&](std::int64_t b, std::int64_t e) {
        same_thread = same_thread && std::this_thread::get_id() == outer;
        for (std::int64_t i = b; i < e; ++i)
          s += i;
      });
      sums[static_cast<std::size_t>(r)] = same_thread ? s : -1;
    }
  });
  for (auto s : sums)
    EXPECT_EQ(s, 999 * 1000 / 2);

  // Two threads issuing jobs at once: one gets the pool, the other runs inline; both complete.
  std::vector<std::int64_t> a(200000, 0), b(200000, 0);
  const auto fill = [](std::vector<std::int64_t>& v) {
    for (int rep = 0; rep < 50; ++rep)
      parallel_for(static_cast<std::int64_t>(v.size()), 1000, [&](std::int64_t s, std::int64_t e) {
        for (std::int64_t i = s; i < e; ++i)
          v[static_cast<std::size_t>(i)] += i;
      });
  };
  std::thread other([&] { fill(b); });
  fill(a);
  other.join();
  for (std::size_t i = 0; i < a.size(); i += 997) {
    EXPECT_EQ(a[i], 50 * static_cast<std::int64_t>(i));
    EXPECT_EQ(b[i], 50 * static_cast<std::int64_t>(i));
  }
}

TEST_F(ParallelTest, PoolWorksInAForkedChild) {
#if defined(__SANITIZE_ADDRESS__)
  // GCC 12's ASan allocator takes no lock around fork(): a worker of the parent that was inside
  // ASan's allocator at the fork leaves its mutex locked in the child, whose workers then hang
  // (seen once in the sanitizer run). glibc's malloc has fork handlers; the normal build tests it.
  GTEST_SKIP() << "fork with running threads is unsafe under GCC 12's AddressSanitizer";
#endif
  set_cpu_threads(3);
  std::atomic<std::int64_t> total{0};
  parallel_for(64, 1, [&](std::int64_t b, std::int64_t e) { total += e - b; });  // threads exist
  ASSERT_EQ(total.load(), 64);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::atomic<std::int64_t> t{0};
    for (int rep = 0; rep < 20; ++rep)
      parallel_for(1000, 10, [&](std::int64_t b, std::int64_t e) { t += e - b; });
    set_cpu_threads(2);
    parallel_for(1000, 10, [&](std::int64_t b, std::int64_t e) { t += e - b; });
    _exit(t.load() == 21000 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// The split GEMM: panels of columns (wide C) or rows (narrow C) must reproduce the unsplit,
// single-threaded product bit for bit (gemm_blocked.h: an element's value does not depend on the
// split). The number of panels follows the thread count, so each count below splits differently.
TEST_F(ParallelTest, GemmPanelsGiveTheUnsplitProductForAnyThreadCount) {
  struct Case {
    std::int64_t m, n, k;
    bool ta, tb;
  };
  const std::vector<Case> cases = {
      {128, 1000, 784, false, false},  // fmnist_mlp's first layer: column panels
      {784, 1000, 128, true, false},   // its weight gradient
      {128, 784, 1000, false, true},   // its input gradient
      {500, 100, 1000, true, true},    // narrow C: row panels
      {77, 1029, 301, false, false},   // ragged edges
  };
  for (const auto& c : cases) {
    const auto a = random_floats(static_cast<std::size_t>(c.m * c.k), 1);
    const auto b = random_floats(static_cast<std::size_t>(c.k * c.n), 2);
    std::vector<float> unsplit;
    for (int threads : {1, 2, 3, 4, 7}) {
      set_cpu_threads(threads);
      std::vector<float> out(static_cast<std::size_t>(c.m * c.n), 9.0f);
      kernels::cpu::gemm<float>(c.ta, c.tb, c.m, c.n, c.k, 0.5f, a.data(), b.data(), 0.0f,
                                out.data());
      if (threads == 1) {
        unsplit = out;
        // The value itself: one element against a double sum (the blocked kernel's own tests
        // check every element and shape class).
        double ref = 0;
        for (std::int64_t kk = 0; kk < c.k; ++kk) {
          const float av = c.ta ? a[static_cast<std::size_t>(kk * c.m + c.m - 1)]
                                : a[static_cast<std::size_t>((c.m - 1) * c.k + kk)];
          const float bv = c.tb ? b[static_cast<std::size_t>((c.n - 1) * c.k + kk)]
                                : b[static_cast<std::size_t>(kk * c.n + c.n - 1)];
          ref += static_cast<double>(av) * static_cast<double>(bv);
        }
        EXPECT_NEAR(out.back(), 0.5 * ref, 1e-4);
        continue;
      }
      EXPECT_EQ(0, std::memcmp(out.data(), unsplit.data(), out.size() * sizeof(float)))
          << c.m << "x" << c.n << "x" << c.k << " ta " << c.ta << " tb " << c.tb << " threads "
          << threads;
    }
  }
}

}  // namespace
}  // namespace deepobs
