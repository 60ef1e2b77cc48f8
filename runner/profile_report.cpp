#include "runner/profile_report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>
#include <unordered_map>

#include "core/error.h"

namespace deepobs::runner {
namespace {

using profile::Phase;
constexpr auto kPhases = static_cast<std::size_t>(Phase::kCount);

std::size_t index_of(Phase p) {
  return static_cast<std::size_t>(p);
}

// An event's duration in seconds: CUDA-event time on a GPU, host time on the CPU.
double seconds_of(const profile::OpEvent& e, bool gpu) {
  return gpu ? (e.gpu_end_ns - e.gpu_begin_ns) * 1e-9
             : static_cast<double>(e.host_end_ns - e.host_begin_ns) * 1e-9;
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// "-" where a rate has no meaning (no time, or nothing counted).
std::string rate(double amount, double seconds, double scale) {
  return amount > 0 && seconds > 0 ? format("%.2f", amount / seconds / scale) : "-";
}

std::string percent(double amount, double seconds, double limit) {
  return amount > 0 && seconds > 0 && limit > 0 ? format("%.1f", 100 * amount / seconds / limit)
                                                : "-";
}

}  // namespace

ProfileSummary summarise_profile(const std::vector<profile::StepRecord>& steps, bool gpu) {
  DEEPOBS_CHECK(!steps.empty(), "profile: no step was recorded");
  ProfileSummary s;
  s.steps = static_cast<int>(steps.size());
  s.gpu = gpu;
  const double n = s.steps;
  // (phase, name) → row; std::map keeps the output independent of hash order.
  std::map<std::pair<std::size_t, std::string>, ProfileOpRow> rows;
  std::array<double, kPhases> in_ops{};
  std::map<std::tuple<std::string, std::string, std::size_t>, ProfileKernelRow> kernels;
  std::int64_t launches = 0;
  bool launches_known = true;
  for (const auto& step : steps) {
    s.step_seconds += (gpu ? step.gpu_ns : static_cast<double>(step.host_ns)) * 1e-9 / n;
    s.host_step_seconds += static_cast<double>(step.host_ns) * 1e-9 / n;
    double phases = 0;
    for (const auto& p : step.phases) {
      s.phase_seconds[index_of(p.phase)] += seconds_of(p, gpu) / n;
      phases += seconds_of(p, gpu);
    }
    s.unattributed_seconds +=
        ((gpu ? step.gpu_ns : static_cast<double>(step.host_ns)) * 1e-9 - phases) / n;
    std::unordered_map<std::uint64_t, const profile::OpEvent*> by_id;
    for (const auto& e : step.ops) {
      by_id[e.id] = &e;
      auto& r = rows[{index_of(e.phase), e.name}];
      r.name = e.name;
      r.phase = e.phase;
      r.calls += 1 / n;
      r.seconds += seconds_of(e, gpu) / n;
      r.flops += e.cost.flops / n;
      r.bytes += e.cost.bytes / n;
      in_ops[index_of(e.phase)] += seconds_of(e, gpu) / n;
    }
    if (step.kernel_launches < 0) launches_known = false;
    launches += std::max<std::int64_t>(step.kernel_launches, 0);
    for (const auto& k : step.kernels) {
      const auto it = by_id.find(k.op_id);
      const std::string op = it == by_id.end() ? "" : it->second->name;
      const Phase phase = it == by_id.end() ? Phase::kData : it->second->phase;
      auto& r = kernels[{k.name, op, index_of(phase)}];
      r.name = k.name;
      r.op = op;
      r.phase = phase;
      r.calls += 1 / n;
      r.seconds += (k.end_ns - k.begin_ns) * 1e-9 / n;
    }
  }
  s.launches_per_step = launches_known ? static_cast<double>(launches) / n : -1;
  for (std::size_t p = 0; p < kPhases; ++p) {
    if (s.phase_seconds[p] <= 0 && in_ops[p] <= 0) continue;
    ProfileOpRow other;
    other.name = "[other]";
    other.phase = static_cast<Phase>(p);
    other.calls = 1;
    other.seconds = s.phase_seconds[p] - in_ops[p];
    other.residual = true;
    rows[{p, other.name}] = other;
  }
  for (auto& [key, row] : rows)
    s.ops.push_back(std::move(row));
  std::stable_sort(s.ops.begin(), s.ops.end(), [](const auto& a, const auto& b) {
    if (a.phase != b.phase) return a.phase < b.phase;
    if (a.residual != b.residual) return b.residual;  // [other] last in its phase
    return a.seconds > b.seconds;
  });
  for (auto& [key, row] : kernels)
    s.kernels.push_back(std::move(row));
  std::stable_sort(s.kernels.begin(), s.kernels.end(),
                   [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
  return s;
}

void print_profile_table(std::ostream& out, const ProfileHeader& h, const ProfileSummary& s) {
  const double step = s.step_seconds;
  out << "deepobs profile: " << h.problem << ", " << h.optimizer << ", batch " << h.batch_size
      << ", " << h.device << ", " << s.steps << " profiled step(s) after " << h.warmup
      << " warm-up step(s)\n"
      << "step: " << format("%.3f", step * 1e3) << " ms"
      << (s.gpu ? " (CUDA events; host " + format("%.3f", s.host_step_seconds * 1e3) + " ms)"
                : " (host clock)");
  if (s.launches_per_step >= 0)
    out << ", " << format("%.0f", s.launches_per_step) << " kernel launches per step";
  out << "\nlimits: " << format("%.1f", h.limits.flops_per_second * 1e-9) << " GFLOP/s ("
      << h.limits.flops_how << ")\n        " << format("%.1f", h.limits.bytes_per_second * 1e-9)
      << " GB/s (" << h.limits.bytes_how << ")\n"
      << "FLOPs: a multiply-add is 2; bytes: each input read and each output written once "
         "(docs/PERFORMANCE.md, \"Profiling\")\n\n";
  char line[320];
  const char* fmt = "%-34s %-16s %7s %10s %10s %6s %9s %9s %8s %8s %6s %6s\n";
  std::snprintf(line, sizeof line, fmt, "op", "phase", "calls", "total ms", "mean us", "share",
                "MFLOP", "MB", "GFLOP/s", "GB/s", "%peak", "%bw");
  out << line;
  Phase current = Phase::kCount;
  for (const auto& r : s.ops) {
    if (r.phase != current) {
      current = r.phase;
      const double ps = s.phase_seconds[index_of(current)];
      std::snprintf(line, sizeof line, "%-34s %-16s %7s %10.3f %10s %5.1f%%\n",
                    (std::string("== ") + profile::phase_name(current)).c_str(), "", "", ps * 1e3,
                    "", step > 0 ? 100 * ps / step : 0.0);
      out << line;
    }
    const std::string name = r.name.size() > 34 ? r.name.substr(0, 33) + "~" : r.name;
    std::snprintf(
        line, sizeof line, fmt, name.c_str(), profile::phase_name(r.phase),
        r.residual ? "-" : format("%.1f", r.calls).c_str(), format("%.3f", r.seconds * 1e3).c_str(),
        r.residual || r.calls <= 0 ? "-" : format("%.1f", r.seconds / r.calls * 1e6).c_str(),
        format("%.1f", step > 0 ? 100 * r.seconds / step : 0.0).c_str(),
        r.flops > 0 ? format("%.2f", r.flops * 1e-6).c_str() : "-",
        r.bytes > 0 ? format("%.2f", r.bytes * 1e-6).c_str() : "-",
        rate(r.flops, r.seconds, 1e9).c_str(), rate(r.bytes, r.seconds, 1e9).c_str(),
        percent(r.flops, r.seconds, h.limits.flops_per_second).c_str(),
        percent(r.bytes, r.seconds, h.limits.bytes_per_second).c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "%-34s %-16s %7s %10.3f\n", "== between phases", "", "",
                s.unattributed_seconds * 1e3);
  out << line;
  if (!s.gpu) return;
  out << "\nGPU kernels (CUPTI)";
  if (s.kernels.empty()) {
    out << ": none listed" << (h.kernel_note.empty() ? "" : " (" + h.kernel_note + ")") << "\n";
    return;
  }
  out << ", by time per step:\n";
  std::snprintf(line, sizeof line, "%-60s %-24s %7s %10s\n", "kernel", "launched by", "calls",
                "total ms");
  out << line;
  for (const auto& k : s.kernels) {
    const std::string name = k.name.size() > 60 ? k.name.substr(0, 59) + "~" : k.name;
    const std::string by =
        k.op.empty() ? "(outside ops)" : k.op + " (" + profile::phase_name(k.phase) + ")";
    std::snprintf(line, sizeof line, "%-60s %-24s %7.1f %10.3f\n", name.c_str(), by.c_str(),
                  k.calls, k.seconds * 1e3);
    out << line;
  }
}

nlohmann::ordered_json profile_json(const ProfileHeader& h, const ProfileSummary& s) {
  nlohmann::ordered_json j;
  j["problem"] = h.problem;
  j["optimizer"] = h.optimizer;
  j["device"] = h.device;
  j["batch_size"] = h.batch_size;
  j["warmup_steps"] = h.warmup;
  j["profiled_steps"] = s.steps;
  j["step_seconds"] = s.step_seconds;
  j["host_step_seconds"] = s.host_step_seconds;
  j["step_timer"] = s.gpu ? "CUDA events" : "host clock";
  j["launches_per_step"] =
      s.launches_per_step >= 0 ? nlohmann::ordered_json(s.launches_per_step) : nullptr;
  j["unattributed_seconds"] = s.unattributed_seconds;
  j["limits"] = {{"flops_per_second", h.limits.flops_per_second},
                 {"bytes_per_second", h.limits.bytes_per_second},
                 {"flops_how", h.limits.flops_how},
                 {"bytes_how", h.limits.bytes_how}};
  nlohmann::ordered_json phases = nlohmann::ordered_json::array();
  for (std::size_t p = 0; p < kPhases; ++p)
    phases.push_back(
        {{"name", profile::phase_name(static_cast<Phase>(p))}, {"seconds", s.phase_seconds[p]}});
  j["phases"] = phases;
  nlohmann::ordered_json ops = nlohmann::ordered_json::array();
  for (const auto& r : s.ops)
    ops.push_back({{"name", r.name},
                   {"phase", profile::phase_name(r.phase)},
                   {"calls", r.calls},
                   {"seconds", r.seconds},
                   {"flops", r.flops},
                   {"bytes", r.bytes},
                   {"share", s.step_seconds > 0 ? r.seconds / s.step_seconds : 0.0},
                   {"residual", r.residual}});
  j["ops"] = ops;
  nlohmann::ordered_json kernels = nlohmann::ordered_json::array();
  for (const auto& k : s.kernels)
    kernels.push_back({{"name", k.name},
                       {"op", k.op},
                       {"phase", profile::phase_name(k.phase)},
                       {"calls", k.calls},
                       {"seconds", k.seconds}});
  j["kernels"] = kernels;
  if (!h.kernel_note.empty()) j["kernel_note"] = h.kernel_note;
  return j;
}

nlohmann::ordered_json chrome_trace(const ProfileHeader& h,
                                    const std::vector<profile::StepRecord>& steps, bool gpu) {
  // Trace-event timestamps and durations are microseconds; pid/tid name the tracks.
  constexpr int kPid = 1, kHostTid = 1, kGpuOpsTid = 2, kStreamTidBase = 100;
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  const auto meta = [&](const char* what, int tid, const std::string& name) {
    nlohmann::ordered_json e = {{"name", what}, {"ph", "M"}, {"pid", kPid}};
    if (tid >= 0) e["tid"] = tid;
    e["args"] = {{"name", name}};
    events.push_back(e);
  };
  meta("process_name", -1, "deepobs profile " + h.problem + " (" + h.device + ")");
  meta("thread_name", kHostTid, "host ops");
  if (gpu) meta("thread_name", kGpuOpsTid, "GPU ops (CUDA events)");
  const auto complete = [&](const std::string& name, const std::string& cat, int tid, double ts_ns,
                            double dur_ns, nlohmann::ordered_json args) {
    events.push_back({{"name", name},
                      {"cat", cat},
                      {"ph", "X"},
                      {"ts", ts_ns * 1e-3},
                      {"dur", std::max(dur_ns, 0.0) * 1e-3},
                      {"pid", kPid},
                      {"tid", tid},
                      {"args", std::move(args)}});
  };
  std::map<std::uint32_t, bool> streams;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& st = steps[i];
    const auto base = static_cast<double>(st.begin_ns);
    complete("step " + std::to_string(i), "step", kHostTid, base, static_cast<double>(st.host_ns),
             nlohmann::ordered_json::object());
    for (const auto& p : st.phases)
      complete(p.name, "phase", kHostTid, base + static_cast<double>(p.host_begin_ns),
               static_cast<double>(p.host_end_ns - p.host_begin_ns),
               nlohmann::ordered_json::object());
    std::unordered_map<std::uint64_t, const profile::OpEvent*> by_id;
    for (const auto& e : st.ops) {
      by_id[e.id] = &e;
      nlohmann::ordered_json args = {{"flops", e.cost.flops}, {"bytes", e.cost.bytes}};
      complete(e.name, profile::phase_name(e.phase), kHostTid,
               base + static_cast<double>(e.host_begin_ns),
               static_cast<double>(e.host_end_ns - e.host_begin_ns), args);
      if (gpu)
        complete(e.name, profile::phase_name(e.phase), kGpuOpsTid, base + e.gpu_begin_ns,
                 e.gpu_end_ns - e.gpu_begin_ns, args);
    }
    for (const auto& k : st.kernels) {
      streams[k.stream] = true;
      const auto it = by_id.find(k.op_id);
      complete(k.name, k.is_kernel ? "kernel" : "memory",
               kStreamTidBase + static_cast<int>(k.stream), base + k.begin_ns,
               k.end_ns - k.begin_ns, {{"op", it == by_id.end() ? "" : it->second->name}});
    }
  }
  for (const auto& [stream, used] : streams)
    meta("thread_name", kStreamTidBase + static_cast<int>(stream),
         "GPU stream " + std::to_string(stream) + " (CUPTI)");
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

}  // namespace deepobs::runner
