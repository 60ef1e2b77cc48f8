// `deepobs reproduce <problem>`: runs the published baselines' own tuned setting with our engine
// and tests, epoch by epoch, whether our seed band matches theirs.
//
// For each optimizer (SGD, Momentum, Adam) the setting is the one the analyzer picks from the
// baselines in mode `most` (the setting DeepOBS re-ran with 10 seeds), found by the Python
// analyzer (`deepobs_analyzer reproduce-select`). Each requested seed is trained in-process as an
// ordinary `deepobs run` whose result file goes to <output_dir>/results/. Then, for every compared
// curve (train_eval and test loss, and accuracy where the problem has one) at every checked epoch,
// Welch's two-sample t-test compares our per-seed values with the baselines' values of the same
// seeds; the p-values of all checks of the invocation are adjusted with Holm–Bonferroni, and a
// check whose adjusted p is <= α is a significant deviation. Output: a table on stdout, the
// summary <output_dir>/reproduce_<problem>.json and the figure <output_dir>/reproduce_<problem>.png
// (matplotlib under the analyzer's Python; without it the table still comes).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace deepobs::runner {

// Exit codes of `deepobs reproduce`.
inline constexpr int kReproduceConsistent = 0;  // no check deviates significantly
inline constexpr int kReproduceDeviation = 1;   // at least one does (one-line reason on stderr)
// Usage or input error: bad flags, unknown problem, no baselines (folder, problem, optimizer),
// malformed baseline files, fewer baseline seeds than requested.
inline constexpr int kReproduceUsage = 2;
// The comparison could not be made: a training run failed, or the analyzer's Python (or numpy)
// is missing.
inline constexpr int kReproduceFailed = 3;

int reproduce_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// "42-51" → 42…51, "42,44,50" → those, "42-44,50" → 42, 43, 44, 50. Throws deepobs::Error for
// malformed text, negative or repeated seeds and an empty list.
std::vector<int> parse_seeds(const std::string& text);

// The epochs checked when the compared curves have entries 0…last_epoch: every epoch when
// last_epoch <= 10, else epoch 0 and round(k · last_epoch / 10) for k = 1…10 (0, 10, …, 100 for
// 100 epochs): the start, the shape and the end of the curve, without testing 100 correlated
// epochs one by one.
std::vector<int> checked_epochs(int last_epoch);

}  // namespace deepobs::runner
