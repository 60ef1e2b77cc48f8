// `deepobs tune <problem> --optimizer X --space ...`: DeepOBS's tuning protocol (SPEC §8.1, §9).
//
// Phase "tuning": every setting of the space trained with the tuning seed(s). Selection: the
// analyzer's rule (deepobs_analyzer tune-select: mode final or best over the tuning seeds' runs;
// test accuracy, else test loss) picks one setting, written to <tune_dir>/selection.json. Phase
// "rerun": that setting trained with the remaining seeds up to --rerun_best_seeds. Every run is an
// ordinary `deepobs run` into the result tree; one whose result file exists is skipped, so the
// same command, issued again, continues where an interrupted tune stopped (and, with Slurm,
// submits the next phase once the previous one is done; --wait does that in one call).
#pragma once

#include <ostream>

namespace deepobs::runner {

// Exit codes: 0 done (or submitted / printed), 1 a run or a submission failed, 2 usage error.
int tune_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace deepobs::runner
