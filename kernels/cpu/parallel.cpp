#include "kernels/cpu/parallel.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace deepobs::kernels::cpu {
namespace {

// The job word: generation (24 bits) | next range to claim (20) | number of ranges (20). Claiming
// a range is one compare-and-swap on the whole word, so a thread can only ever claim a range of
// the job that is current at that instant (the caller does not publish the next job before every
// range of this one has finished), and the job's fields it then reads are that job's.
constexpr int kRangeBits = 20;
constexpr std::uint64_t kRangeMask = (std::uint64_t{1} << kRangeBits) - 1;
constexpr std::int64_t kMaxRanges = static_cast<std::int64_t>(kRangeMask);

constexpr std::uint64_t pack(std::uint64_t gen, std::uint64_t next, std::uint64_t total) {
  return (gen << (2 * kRangeBits)) | (next << kRangeBits) | total;
}
constexpr std::uint64_t gen_of(std::uint64_t w) {
  return w >> (2 * kRangeBits);
}
constexpr std::uint64_t next_of(std::uint64_t w) {
  return (w >> kRangeBits) & kRangeMask;
}
constexpr std::uint64_t total_of(std::uint64_t w) {
  return w & kRangeMask;
}

// How long an idle thread polls for the next job before it sleeps, and how long a caller polls for
// the last ranges before it yields its time slice: ~50–100 µs of `pause`, enough to bridge the gap
// between the ops of one step, short enough not to starve another process of the CPU.
constexpr int kSpinIterations = 2000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// True on the pool's own threads and on a caller while it works through ranges: a parallel_for
// reached from there runs inline.
thread_local bool t_inside_range = false;

int positive_int_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);  // OMP_NUM_THREADS may be a list: "4,2" → 4
  return n >= 1 && n <= 4096 ? static_cast<int>(n) : 0;
}

// CPUs of this process's affinity mask, capped by a cgroup v2 CPU quota (containers, Slurm).
int available_cpus() {
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = CPU_COUNT(&set);
  std::ifstream quota_file("/sys/fs/cgroup/cpu.max");
  std::string quota;
  long long period = 0;
  if (quota_file >> quota >> period && quota != "max" && period > 0) {
    const long long q = std::atoll(quota.c_str());
    if (q > 0)
      cpus = std::min<int>(cpus, static_cast<int>(std::max(1LL, (q + period - 1) / period)));
  }
  return std::max(cpus, 1);
}

int default_threads() {
  if (const int n = positive_int_env("DEEPOBS_NUM_THREADS")) return n;
  if (const int n = positive_int_env("OMP_NUM_THREADS")) return n;
  return available_cpus();
}

class Pool {
 public:
  static Pool& instance() {
    // Never destroyed: idle threads may still sit in wait() when the process exits.
    static Pool* pool = new Pool();
    return *pool;
  }

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard<std::mutex> caller(caller_mutex_);
    stop_workers();
    threads_.store(std::max(n, 1), std::memory_order_relaxed);
  }

  void run(std::int64_t n, std::int64_t grain, detail::RangeFn fn, const void* body) {
    std::int64_t ranges = (n + grain - 1) / grain;
    if (ranges > kMaxRanges) {  // coarser ranges, still a function of (n, grain) alone
      grain = (n + kMaxRanges - 1) / kMaxRanges;
      ranges = (n + grain - 1) / grain;
    }
    std::unique_lock<std::mutex> caller(caller_mutex_, std::defer_lock);
    if (ranges <= 1 || t_inside_range || threads() <= 1 || !caller.try_lock()) {
      // Another thread's job is running (ops called from two threads): this one runs inline.
      for (std::int64_t b = 0; b < n; b += grain)
        fn(body, b, std::min(n, b + grain));
      return;
    }
    start_workers();
    fn_ = fn;
    body_ = body;
    n_ = n;
    grain_ = grain;
    done_.store(0, std::memory_order_relaxed);
    gen_ = (gen_ + 1) & ((std::uint64_t{1} << (64 - 2 * kRangeBits)) - 1);
    word_.store(pack(gen_, 0, static_cast<std::uint64_t>(ranges)), std::memory_order_seq_cst);
    wake(static_cast<int>(std::min<std::int64_t>(ranges - 1, threads() - 1)));

    t_inside_range = true;
    const std::int64_t mine = work_through(gen_);
    t_inside_range = false;
    // The remaining ranges are running on threads that claimed them (possibly preempted: yield).
    for (int spins = 0; done_.load(std::memory_order_acquire) + mine < ranges; ++spins) {
      if (spins < kSpinIterations)
        cpu_relax();
      else
        std::this_thread::yield();
    }
  }

  // In a child after fork() only the forking thread exists: forget the old threads (their
  // std::thread objects are leaked, never joined) and rebuild the synchronisation objects, which
  // another thread may have held at the instant of the fork.
  void after_fork_in_child() {
    if (!workers_.empty()) (new std::vector<std::thread>())->swap(workers_);
    new (&caller_mutex_) std::mutex();
    new (&sleep_mutex_) std::mutex();
    new (&wake_) std::condition_variable();
    sleepers_.store(0);
    stop_.store(false);
  }

 private:
  Pool() : threads_(default_threads()) {
    pthread_atfork(nullptr, nullptr, [] { Pool::instance().after_fork_in_child(); });
  }

  // Claims and runs ranges of job `gen` until none is left; returns how many it ran.
  std::int64_t work_through(std::uint64_t gen) {
    std::int64_t ran = 0;
    std::uint64_t w = word_.load(std::memory_order_acquire);
    while (gen_of(w) == gen && next_of(w) < total_of(w)) {
      if (!word_.compare_exchange_weak(w, w + (std::uint64_t{1} << kRangeBits),
                                       std::memory_order_acq_rel, std::memory_order_acquire))
        continue;
      const std::int64_t begin = static_cast<std::int64_t>(next_of(w)) * grain_;
      fn_(body_, begin, std::min(n_, begin + grain_));
      ++ran;
      w = word_.load(std::memory_order_acquire);
    }
    return ran;
  }

  void worker_main() {
    t_inside_range = true;
    std::uint64_t seen = gen_of(word_.load(std::memory_order_acquire));
    for (;;) {
      std::uint64_t w = word_.load(std::memory_order_acquire);
      for (int i = 0; i < kSpinIterations && gen_of(w) == seen && !stop_.load(); ++i) {
        cpu_relax();
        w = word_.load(std::memory_order_acquire);
      }
      if (gen_of(w) == seen && !stop_.load()) {
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] {
          w = word_.load(std::memory_order_seq_cst);
          return gen_of(w) != seen || stop_.load();
        });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      if (stop_.load()) return;
      seen = gen_of(w);
      const std::int64_t ran = work_through(seen);
      if (ran > 0) done_.fetch_add(ran, std::memory_order_release);
    }
  }

  void wake(int wanted) {
    // seq_cst store of word_ (caller) / seq_cst increment of sleepers_ (worker): at least one of
    // the two sees the other, so a worker either finds the new job or is in wait() and notified.
    const int sleeping = sleepers_.load(std::memory_order_seq_cst);
    if (sleeping == 0 || wanted <= 0) return;
    { std::lock_guard<std::mutex> lock(sleep_mutex_); }
    if (wanted >= sleeping) {
      wake_.notify_all();
    } else {
      for (int i = 0; i < wanted; ++i)
        wake_.notify_one();
    }
  }

  void start_workers() {
    const int want = threads() - 1;
    if (static_cast<int>(workers_.size()) == want) return;
    stop_workers();
    workers_.reserve(static_cast<std::size_t>(want));
    for (int i = 0; i < want; ++i)
      workers_.emplace_back([this] { worker_main(); });
  }

  void stop_workers() {
    if (workers_.empty()) return;
    {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      stop_.store(true);
    }
    wake_.notify_all();
    for (auto& t : workers_)
      t.join();
    workers_.clear();
    stop_.store(false);
  }

  std::atomic<int> threads_;
  std::mutex caller_mutex_;  // one job at a time
  std::vector<std::thread> workers_;

  // The current job: written by the caller before it publishes word_, read by a thread only
  // after it claimed a range of that job.
  detail::RangeFn fn_ = nullptr;
  const void* body_ = nullptr;
  std::int64_t n_ = 0;
  std::int64_t grain_ = 1;
  std::uint64_t gen_ = 0;
  alignas(64) std::atomic<std::uint64_t> word_{0};
  alignas(64) std::atomic<std::int64_t> done_{0};  // ranges finished by pool threads

  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace

int cpu_threads() {
  return Pool::instance().threads();
}

int parallel_width() {
  return t_inside_range ? 1 : cpu_threads();
}

void set_cpu_threads(int n) {
  Pool::instance().resize(n);
}

namespace detail {
void run_ranges(std::int64_t n, std::int64_t grain, RangeFn fn, const void* body) {
  Pool::instance().run(n, grain, fn, body);
}
}  // namespace detail

}  // namespace deepobs::kernels::cpu
