// What `deepobs profile` makes of the recorded steps (core/profiler.h): the per-step table of ops
// by phase, its --json form and the Chrome trace-event file of --trace.
//
// Every figure is per profiled step (the mean over the steps). An op's time is its host interval
// on the CPU and its CUDA-event interval on a GPU. Each phase also has a row "[other]": the phase's
// time not inside any op (autograd bookkeeping, allocation, host work between kernels), so that a
// phase's rows add up to the phase; the phases add up to the step except for the few instructions
// between them (`unattributed_seconds`).
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/profile_limits.h"
#include "core/profiler.h"

namespace deepobs::runner {

struct ProfileOpRow {
  std::string name;
  profile::Phase phase = profile::Phase::kData;
  double calls = 0;       // per step
  double seconds = 0;     // per step
  double flops = 0;       // per step
  double bytes = 0;       // per step
  bool residual = false;  // the phase's "[other]" row
};

struct ProfileKernelRow {
  std::string name;
  std::string op;  // the op that launched it ("" outside every op)
  profile::Phase phase = profile::Phase::kData;
  double calls = 0;    // per step
  double seconds = 0;  // per step (CUPTI's kernel duration)
};

struct ProfileSummary {
  int steps = 0;
  bool gpu = false;
  double step_seconds = 0;          // the step's time (device time on a GPU)
  double host_step_seconds = 0;     // host wall time of the step
  double unattributed_seconds = 0;  // step time outside every phase
  double launches_per_step = -1;    // -1: unknown (CPU, or CUPTI unavailable)
  std::array<double, static_cast<std::size_t>(profile::Phase::kCount)> phase_seconds{};
  std::vector<ProfileOpRow> ops;          // by phase (step order), then by time, descending
  std::vector<ProfileKernelRow> kernels;  // by time, descending
};

// Throws deepobs::Error when `steps` is empty.
ProfileSummary summarise_profile(const std::vector<profile::StepRecord>& steps, bool gpu);

// The facts printed above the table and stored in the JSON.
struct ProfileHeader {
  std::string problem, optimizer, device;
  int batch_size = 0, warmup = 0;
  profile::Limits limits;
  std::string kernel_note;  // why no kernels are listed, when none are
};

void print_profile_table(std::ostream& out, const ProfileHeader& header,
                         const ProfileSummary& summary);
// {"step_seconds", "launches_per_step", "ops": [{"name", "phase", "calls", "seconds", "flops",
// "bytes", ...}], ...}: see docs/PERFORMANCE.md, "Profiling".
nlohmann::ordered_json profile_json(const ProfileHeader& header, const ProfileSummary& summary);
// Chrome trace-event format (JSON object form): host ops as complete ("X") events with their
// phase as category on one thread track, each step and phase as enclosing events, and on a GPU
// the ops' CUDA-event intervals and CUPTI's kernels on tracks of their own.
nlohmann::ordered_json chrome_trace(const ProfileHeader& header,
                                    const std::vector<profile::StepRecord>& steps, bool gpu);

}  // namespace deepobs::runner
