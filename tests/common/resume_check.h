// Shared checks of resumable runs (`deepobs run … --resume`) for the CPU and GPU suites: a run
// continued from its checkpoint must end with the curves of an uninterrupted run, bit for bit.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace deepobs::testing_support {

// The parsed JSON of a file.
nlohmann::json read_json(const std::filesystem::path& path);
// The one result file (*.json) under `dir` (a test failure when there is not exactly one).
std::filesystem::path result_file(const std::filesystem::path& dir);
// The checkpoint files (*.checkpoint) under `dir`.
std::vector<std::filesystem::path> checkpoint_files(const std::filesystem::path& dir);
// Expects equal curves (every *_losses / *_accuracies key, the mini-batch losses and the
// optimizer's logged scalars, compared as JSON text) and equal step counts.
void expect_same_curves(const nlohmann::json& a, const nlohmann::json& b);

// `args` (a complete `deepobs run` command line without --output_dir) run three ways under
// `dir`: plainly; with --resume --keep_checkpoint (its last checkpoint, at epoch N−1, stays);
// and, after that result file is removed, with --resume again, which continues from that
// checkpoint. Expects the resumed result to equal the other two in its curves, to record
// resumed_at_epochs [N−1], and the checkpoint to be gone afterwards.
void check_resume_from_last_epoch(const std::vector<std::string>& args,
                                  const std::filesystem::path& dir);

// A Fashion-MNIST-format folder of 256 training and 128 test images with random pixels and
// labels under `dir`/fmnist, for runs with --data_dir `dir` --data_sizes any; returns `dir`.
std::filesystem::path write_fmnist_fixture(const std::filesystem::path& dir);

}  // namespace deepobs::testing_support
