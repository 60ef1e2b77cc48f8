// `deepobs profile <problem> [run's optimizer flags] [--device D] [--steps N] [--warmup W]
// [--json FILE] [--trace FILE]`: trains W warm-up steps, then records N steps with the op
// profiler (core/profiler.h) and prints where the step's time goes: one row per op and phase with
// calls, time, share, FLOPs, bytes, achieved rates and the fraction of the device's limit
// (core/profile_limits.h). Without --optimizer it profiles sgd, without --lr at 0.01.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace deepobs::runner {

struct ProfileOptions {
  int steps = 5;
  int warmup = 2;
  std::string json_path;   // empty: no JSON file
  std::string trace_path;  // empty: no trace file
};

// Exit code: 0 done, 1 error (one line on `err`), 2 usage error.
int profile_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace deepobs::runner
