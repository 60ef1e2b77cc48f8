#include "core/profiler.h"

#include <chrono>
#include <cstdlib>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/backend.h"
#include "core/error.h"
#include "kernels/cuda/events.h"
#include "kernels/cuda/profiling.h"

namespace deepobs::profile {

struct Session::State {
  Device device;
  std::thread::id thread;
  bool gpu = false;
  bool in_step = false;
  std::int64_t session_begin_ns = 0;
  std::int64_t step_begin_ns = 0;
  std::uint64_t step_cupti_ns = 0;
  int depth = 0;  // open op scopes of the recording thread
  Phase phase = Phase::kData;
  std::vector<Phase> phase_stack;
  std::vector<std::size_t> open_ops;  // index into ops of the outermost open op
  std::vector<std::size_t> open_phases;
  std::uint64_t next_id = 1;
  StepRecord step;
  // GPU: a (begin, end) event pair per recorded scope, in the order of ops then phases; plus the
  // step's own pair.
  std::vector<std::pair<void*, void*>> pool, op_events, phase_events;
  std::pair<void*, void*> step_events{nullptr, nullptr};
  bool kernel_trace = false;
  std::string kernel_note;
};

namespace detail {

namespace {

constexpr int kRecording = 1;
constexpr int kNvtx = 2;

int initial_mode() {
  if constexpr (backend::kCuda) {
    const char* forced = std::getenv("DEEPOBS_NVTX");
    if ((forced && *forced && *forced != '0') || kernels::cuda::nvtx_tool_attached()) return kNvtx;
  }
  return 0;
}

std::atomic<Session::State*> g_state{nullptr};
thread_local Cost t_backward_cost;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The recording state when this thread records a step, else null.
Session::State* recorder() {
  Session::State* s = g_state.load(std::memory_order_acquire);
  return s && s->in_step && s->thread == std::this_thread::get_id() ? s : nullptr;
}

void nvtx_push(const char* name) {
  if constexpr (backend::kCuda)
    if (g_mode.load(std::memory_order_relaxed) & kNvtx) kernels::cuda::nvtx_push(name);
}

void nvtx_pop() {
  if constexpr (backend::kCuda)
    if (g_mode.load(std::memory_order_relaxed) & kNvtx) kernels::cuda::nvtx_pop();
}

std::pair<void*, void*> record_begin(Session::State& s) {
  std::pair<void*, void*> pair{nullptr, nullptr};
  if constexpr (backend::kCuda) {
    auto& ctx = backend::context(s.device);
    if (s.pool.empty()) {
      void* a = kernels::cuda::event_create(ctx);
      s.pool.emplace_back(a, kernels::cuda::event_create(ctx));
    }
    pair = s.pool.back();
    s.pool.pop_back();
    kernels::cuda::event_record(ctx, pair.first);
  }
  return pair;
}

void record_end(Session::State& s, void* event) {
  if constexpr (backend::kCuda) kernels::cuda::event_record(backend::context(s.device), event);
}

}  // namespace

std::atomic<int> g_mode{initial_mode()};

void open_op(const char* name, const OpCost& cost) {
  nvtx_push(name);
  Session::State* s = recorder();
  if (!s) return;
  if (s->depth++ > 0) return;  // inside another op: part of its row
  OpEvent e;
  e.name = name;
  e.phase = s->phase;
  e.cost = cost.forward;
  e.id = s->next_id++;
  t_backward_cost = cost.backward;
  if constexpr (backend::kCuda) {
    if (s->gpu) {
      s->op_events.push_back(record_begin(*s));
      if (s->kernel_trace) kernels::cuda::kernel_trace_push(e.id);
    }
  }
  e.host_begin_ns = now_ns() - s->step_begin_ns;
  s->open_ops.push_back(s->step.ops.size());
  s->step.ops.push_back(std::move(e));
}

void close_op() {
  Session::State* s = recorder();
  if (s && s->depth > 0 && --s->depth == 0 && !s->open_ops.empty()) {
    OpEvent& e = s->step.ops[s->open_ops.back()];
    e.host_end_ns = now_ns() - s->step_begin_ns;
    if constexpr (backend::kCuda) {
      if (s->gpu) {
        if (s->kernel_trace) kernels::cuda::kernel_trace_pop();
        record_end(*s, s->op_events[s->open_ops.back()].second);
      }
    }
    s->open_ops.pop_back();
    t_backward_cost = {};
  }
  nvtx_pop();
}

void open_phase(Phase phase) {
  nvtx_push(phase_name(phase));
  Session::State* s = recorder();
  if (!s) return;
  s->phase_stack.push_back(s->phase);
  s->phase = phase;
  OpEvent e;
  e.name = phase_name(phase);
  e.phase = phase;
  e.is_phase = true;
  if (s->gpu) s->phase_events.push_back(record_begin(*s));
  e.host_begin_ns = now_ns() - s->step_begin_ns;
  s->open_phases.push_back(s->step.phases.size());
  s->step.phases.push_back(std::move(e));
}

void close_phase() {
  Session::State* s = recorder();
  if (s && !s->open_phases.empty()) {
    OpEvent& e = s->step.phases[s->open_phases.back()];
    e.host_end_ns = now_ns() - s->step_begin_ns;
    if (s->gpu) record_end(*s, s->phase_events[s->open_phases.back()].second);
    s->open_phases.pop_back();
    s->phase = s->phase_stack.back();
    s->phase_stack.pop_back();
  }
  nvtx_pop();
}

}  // namespace detail

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kData:
      return "data";
    case Phase::kForward:
      return "forward";
    case Phase::kLossReadback:
      return "loss read-back";
    case Phase::kBackward:
      return "backward";
    case Phase::kUpdate:
      return "optimizer update";
    case Phase::kCount:
      break;
  }
  return "?";
}

Cost take_backward_cost() {
  return std::exchange(detail::t_backward_cost, Cost{});
}

Session::Session(Device device) : state_(std::make_unique<State>()) {
  DEEPOBS_CHECK(detail::g_state == nullptr,
                "profile: a profiling session is already running (one at a time)");
  backend::check_device(device);
  state_->device = device;
  state_->thread = std::this_thread::get_id();
  state_->gpu = backend::kCuda && device.is_cuda();
  if (!state_->gpu) state_->kernel_note = "CPU: no kernels to trace";
  if constexpr (backend::kCuda) {
    if (state_->gpu) {
      std::string why;
      state_->kernel_trace = kernels::cuda::kernel_trace_start(&why);
      if (!state_->kernel_trace) state_->kernel_note = "CUPTI unavailable: " + why;
    }
  }
  state_->session_begin_ns = detail::now_ns();
  detail::g_state = state_.get();
  detail::g_mode |= detail::kRecording;
}

Session::~Session() {
  detail::g_mode &= ~detail::kRecording;
  detail::g_state = nullptr;
  if constexpr (backend::kCuda) {
    if (state_->kernel_trace) kernels::cuda::kernel_trace_stop();
    auto& s = *state_;
    for (auto* list : {&s.pool, &s.op_events, &s.phase_events})
      for (auto& [a, b] : *list) {
        kernels::cuda::event_destroy(a);
        kernels::cuda::event_destroy(b);
      }
    kernels::cuda::event_destroy(s.step_events.first);
    kernels::cuda::event_destroy(s.step_events.second);
  }
}

Device Session::device() const {
  return state_->device;
}

const std::string& Session::kernel_tracing_note() const {
  return state_->kernel_note;
}

void Session::begin_step() {
  State& s = *state_;
  DEEPOBS_CHECK(!s.in_step, "profile: begin_step() twice without end_step()");
  s.step = StepRecord{};
  s.depth = 0;
  s.phase = Phase::kData;
  s.phase_stack.clear();
  s.open_ops.clear();
  s.open_phases.clear();
  if constexpr (backend::kCuda) {
    if (s.gpu) {
      if (s.kernel_trace) kernels::cuda::kernel_trace_flush();  // drop what came before
      s.pool.insert(s.pool.end(), s.op_events.begin(), s.op_events.end());
      s.pool.insert(s.pool.end(), s.phase_events.begin(), s.phase_events.end());
      s.op_events.clear();
      s.phase_events.clear();
      if (!s.step_events.first)
        s.step_events = detail::record_begin(s);
      else
        kernels::cuda::event_record(backend::context(s.device), s.step_events.first);
      s.step_cupti_ns = kernels::cuda::kernel_trace_timestamp();
    }
  }
  s.step_begin_ns = detail::now_ns();
  s.step.begin_ns = s.step_begin_ns - s.session_begin_ns;
  s.in_step = true;
}

StepRecord Session::end_step() {
  State& s = *state_;
  DEEPOBS_CHECK(s.in_step, "profile: end_step() without begin_step()");
  DEEPOBS_CHECK(s.open_ops.empty() && s.open_phases.empty(),
                "profile: end_step() with an op or phase still open");
  s.in_step = false;
  if constexpr (backend::kCuda) {
    if (s.gpu) {
      auto& ctx = backend::context(s.device);
      kernels::cuda::event_record(ctx, s.step_events.second);
      kernels::cuda::event_synchronize(s.step_events.second);
      s.step.host_ns = detail::now_ns() - s.step_begin_ns;
      void* origin = s.step_events.first;
      const auto ns = [&](void* e) { return kernels::cuda::event_elapsed_ms(origin, e) * 1e6; };
      s.step.gpu_ns = ns(s.step_events.second);
      for (std::size_t i = 0; i < s.step.ops.size(); ++i) {
        s.step.ops[i].gpu_begin_ns = ns(s.op_events[i].first);
        s.step.ops[i].gpu_end_ns = ns(s.op_events[i].second);
      }
      for (std::size_t i = 0; i < s.step.phases.size(); ++i) {
        s.step.phases[i].gpu_begin_ns = ns(s.phase_events[i].first);
        s.step.phases[i].gpu_end_ns = ns(s.phase_events[i].second);
      }
      if (s.kernel_trace) {
        std::int64_t launches = 0;
        for (const auto& k : kernels::cuda::kernel_trace_flush()) {
          if (k.begin_ns < s.step_cupti_ns) continue;  // queued before the step
          launches += k.is_kernel ? 1 : 0;
          s.step.kernels.push_back(
              {k.name, k.external_id, static_cast<double>(k.begin_ns - s.step_cupti_ns),
               static_cast<double>(k.end_ns - s.step_cupti_ns), k.stream, k.is_kernel});
        }
        s.step.kernel_launches = launches;
      }
      return std::move(s.step);
    }
  }
  s.step.host_ns = detail::now_ns() - s.step_begin_ns;
  return std::move(s.step);
}

}  // namespace deepobs::profile
