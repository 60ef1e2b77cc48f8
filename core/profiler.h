// The op profiler behind `deepobs profile`: every public op and every autograd node opens an
// OpScope, the profile driver opens a PhaseScope around each part of a training step, and while a
// profile::Session is recording, each outermost scope becomes one OpEvent (name, phase, host
// interval, GPU interval, FLOPs and bytes of its cost function).
//
// When nothing is recording, an OpScope is one test of a global flag and nothing else: the cost
// function is not called, no clock is read (docs/PERFORMANCE.md, "Profiling", has the
// before/after timing). In a CUDA build, the scopes also push NVTX ranges named after the op and
// phase when the process runs under an NVTX tool (Nsight Systems sets NVTX_INJECTION64_PATH) or
// with DEEPOBS_NVTX=1, even in `deepobs run`.
//
// Counting convention of the cost functions (next to each op in core/ops/): a multiply-add is 2
// FLOPs; every other arithmetic operation, comparison, exp/log/sqrt is 1 FLOP; bytes are the
// minimum traffic: every input read once and every output written once, at the tensors' dtype
// size (caches, im2col buffers and workspaces are not counted). Backward costs count only the
// gradients a rule computes (an input gradient and a weight gradient of a conv each cost as much
// as its forward pass).
//
// Nesting: only the outermost scope records; the ops an op or a backward rule calls inside itself
// are part of its row. Only the thread that started the Session records (data-loading threads
// are not instrumented).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"

namespace deepobs::profile {

// The parts of a training step, in the order a step runs them.
enum class Phase : std::uint8_t { kData, kForward, kLossReadback, kBackward, kUpdate, kCount };
// "data", "forward", "loss read-back", "backward", "optimizer update".
const char* phase_name(Phase phase);

// What one call of an op costs (see the counting convention above).
struct Cost {
  double flops = 0;
  double bytes = 0;
};
// The cost of an op call (`forward`, what its row counts) and of the backward rule of the autograd
// node it records (`backward`, counted by that node's row in the backward phase).
struct OpCost {
  Cost forward;
  Cost backward;
};

// Bytes of `elements` values of `element_size` bytes (a small helper for the cost functions).
inline double bytes_of(std::int64_t elements, std::size_t element_size) {
  return static_cast<double>(elements) * static_cast<double>(element_size);
}

// An elementwise op with `inputs` operands and one output of `n` elements of `element_size`
// bytes: `flops` per output element; its backward rule computes `gradients` input gradients at
// `backward_flops` per element each and reads `backward_reads` n-element tensors (the output
// gradient and what the rule saved) besides writing the gradients.
inline OpCost elementwise_cost(std::int64_t n, std::size_t element_size, double flops, int inputs,
                               double backward_flops, int gradients, int backward_reads) {
  const double dn = static_cast<double>(n);
  OpCost c;
  c.forward = {dn * flops, bytes_of(n * (inputs + 1), element_size)};
  if (gradients > 0)
    c.backward = {dn * backward_flops * gradients,
                  bytes_of(n * (backward_reads + gradients), element_size)};
  return c;
}

namespace detail {
// Bit 0: a Session records on some thread; bit 1: NVTX ranges are wanted. Atomic so that a thread
// other than the recording one may test it; a relaxed load is a plain load on x86 and ARM.
extern std::atomic<int> g_mode;
void open_op(const char* name, const OpCost& cost);
void close_op();
void open_phase(Phase phase);
void close_phase();
}  // namespace detail

// True while a Session records or NVTX ranges are wanted: the one branch an op pays otherwise.
inline bool active() {
  return detail::g_mode.load(std::memory_order_relaxed) != 0;
}

// Marks one op call. `cost` is a callable returning OpCost, called only while active(). `name`
// must outlive the Session (a string literal).
class OpScope {
 public:
  template <class CostFn>
  OpScope(const char* name, CostFn&& cost) {
    if (active()) [[unlikely]] {
      detail::open_op(name, cost());
      open_ = true;
    }
  }
  ~OpScope() {
    if (open_) detail::close_op();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  bool open_ = false;
};

// Marks a part of the training step; scopes opened inside it belong to its phase.
class PhaseScope {
 public:
  explicit PhaseScope(Phase phase) {
    if (active()) {
      detail::open_phase(phase);
      open_ = true;
    }
  }
  ~PhaseScope() {
    if (open_) detail::close_phase();
  }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  bool open_ = false;
};

// The backward cost of the op being recorded on this thread, handed to the first autograd node it
// records (and cleared, so a composite op's inner nodes do not count it twice). Zero when not
// recording.
Cost take_backward_cost();

// One recorded outermost op call or phase. Times are nanoseconds from the start of its step; on a
// GPU, gpu_* are the CUDA-event times on the device's stream (-1 on the CPU).
struct OpEvent {
  std::string name;
  Phase phase = Phase::kData;
  bool is_phase = false;  // a PhaseScope (name = phase_name)
  std::int64_t host_begin_ns = 0, host_end_ns = 0;
  double gpu_begin_ns = -1, gpu_end_ns = -1;
  Cost cost;
  std::uint64_t id = 0;  // unique in the Session; CUPTI correlates kernels with it
};

// A GPU kernel (or memcpy/memset) that CUPTI saw, attributed to the op that launched it.
struct KernelEvent {
  std::string name;
  std::uint64_t op_id = 0;          // OpEvent::id of the launching op, 0 when outside every op
  double begin_ns = 0, end_ns = 0;  // from the start of its step, on the event clock
  std::uint32_t stream = 0;
  bool is_kernel = true;  // false for a memcpy/memset
};

struct StepRecord {
  std::int64_t begin_ns = 0;    // host time of the step's start, from the Session's start
  std::int64_t host_ns = 0;     // host wall time of the whole step
  double gpu_ns = -1;           // device time of the whole step (CUDA events), -1 on the CPU
  std::vector<OpEvent> ops;     // outermost ops in the order they began
  std::vector<OpEvent> phases;  // the phases in order
  std::vector<KernelEvent> kernels;
  std::int64_t kernel_launches = -1;  // -1 when unknown (CPU, or CUPTI unavailable)
};

// Records the scopes of this thread between begin_step() and end_step(). One Session at a time;
// it ends recording (but not NVTX) when destroyed. On a GPU it times every scope with CUDA events
// and, when CUPTI can be started, lists the kernels each op launched.
class Session {
 public:
  explicit Session(Device device);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void begin_step();
  // Waits for the device, and returns the step's events.
  StepRecord end_step();
  Device device() const;
  // Empty when CUPTI records kernels; else why not (shown by `deepobs profile`).
  const std::string& kernel_tracing_note() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace deepobs::profile
