// Checkpoints of a resumable run (`deepobs run … --resume`): everything an uninterrupted run would
// carry from one epoch boundary to the next, so that a run continued from one produces the same
// curves bit for bit (docs/DESIGN.md, "Checkpoints").
//
// A checkpoint is taken at an epoch boundary (runner/trainer.h, TrainerConfig::at_epoch_boundary):
// after the epoch's evaluation, between data passes, when no step is in flight. It holds
//   - the run's settings as a JSON text (RunOptions, resolved hyperparameters, build) that a
//     resumed run must match exactly;
//   - the loop position (epochs trained, global step, elapsed time, step times);
//   - the record so far (every curve, the mini-batch losses, epoch_seconds);
//   - the flat parameters and every module buffer (batch-norm moving statistics, the model's step
//     counter, which is the call index of dropout and noise draws; per-phase LSTM state is zero
//     between passes but saved all the same);
//   - the optimizer's state slots (Optimizer::save_state, built-ins and plugins alike) and its
//     bookkeeping (step times, callback counts, logged scalars);
//   - the data set's pass state (DataSet::pass_state: which permutation and augmentation draws the
//     next passes use);
//   - the epochs at which earlier runs of this setting were resumed.
// The learning-rate schedule needs no state: it is a function of the epoch.
//
// File layout (host byte order, little-endian on every supported machine):
//   "DOBSCKPT" | u32 format version | u64 body size | u64 FNV-1a 64 of the body | body
// so a truncated, extended or altered file is recognised before anything is restored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "optimizers/optimizer.h"
#include "problems/problem.h"
#include "runner/result_record.h"
#include "runner/trainer.h"

namespace deepobs::runner {

inline constexpr std::uint32_t kCheckpointFormatVersion = 1;

// A file that is not a complete, intact checkpoint of this format (truncated, wrong size,
// checksum mismatch, not a checkpoint at all); `deepobs run --discard_corrupt_checkpoint` starts
// fresh instead.
class CorruptCheckpoint : public Error {
 public:
  using Error::Error;
};

// A tensor's bytes on the host.
struct SavedTensor {
  std::string name;
  std::uint8_t dtype = 0;  // DType code
  std::int64_t numel = 0;
  std::vector<std::uint8_t> bytes;
};

struct Checkpoint {
  std::string settings;  // canonical JSON text of the run's settings (run_command.cpp)
  LoopPosition position;
  std::vector<double> train_losses, test_losses, valid_losses;
  std::vector<double> train_accuracies, test_accuracies, valid_accuracies;
  std::vector<double> minibatch_train_losses, epoch_seconds;
  SavedTensor params;
  std::vector<SavedTensor> buffers;  // Module::named_buffers order
  std::vector<std::uint8_t> optimizer_state;
  OptimizerBookkeeping optimizer_bookkeeping;
  std::vector<std::int64_t> data_state;
  std::vector<std::int64_t> resumed_at;  // epochs at which earlier runs resumed, oldest first
};

// Copies the live state of a run at an epoch boundary (tensors come to the host).
Checkpoint capture_checkpoint(std::string settings, const LoopPosition& position,
                              problems::Problem& problem, const Optimizer& optimizer,
                              const RunRecord& record);
// Puts `c` back into a freshly built problem and optimizer of the same settings and into the
// record; returns the loop position to resume at. Checks every tensor's name, dtype and size
// first and throws deepobs::Error (naming `path`) before changing anything when one differs.
LoopPosition restore_checkpoint(const Checkpoint& c, const std::filesystem::path& path,
                                problems::Problem& problem, Optimizer& optimizer,
                                RunRecord& record);

// The file's bytes, and their inverse; decode throws CorruptCheckpoint naming `path`.
std::string encode_checkpoint(const Checkpoint& c);
Checkpoint decode_checkpoint(const std::string& bytes, const std::filesystem::path& path);

// encode + write_file_atomically, and read + decode (CorruptCheckpoint for a bad file, Error when
// it cannot be read).
void write_checkpoint(const std::filesystem::path& path, const Checkpoint& c);
Checkpoint read_checkpoint(const std::filesystem::path& path);

// Throws deepobs::Error naming `path` and the first setting that differs ("learning_rate is 0.1
// in the checkpoint, 0.2 in this run") unless the two settings texts describe the same run.
void check_same_settings(const std::string& saved, const nlohmann::ordered_json& current,
                         const std::filesystem::path& path);

}  // namespace deepobs::runner
