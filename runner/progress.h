// What the user sees while a run trains: on a terminal a live status line per epoch (step, loss,
// steps/s, ETA) redrawn in place; otherwise plain lines per epoch, so logs stay readable. The
// evaluation lines follow DeepOBS's "TRAIN:"/"TEST:" wording.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace deepobs::runner {

class Progress {
 public:
  // `live`: redraw a status line in place (use when `out` is a terminal).
  Progress(std::ostream& out, bool live, bool quiet = false);

  void evaluation(int epoch, int num_epochs, const std::string& phase, double loss,
                  std::optional<double> accuracy);
  void epoch_start(int epoch, int num_epochs, std::int64_t steps, double learning_rate);
  // Called after every step; redraws at most ten times a second.
  void step(std::int64_t step, double loss);
  void epoch_end(double seconds);
  void minibatch_loss(std::int64_t global_step, double loss);
  void message(const std::string& line);

 private:
  void clear_live_line();
  std::ostream& out_;
  bool live_, quiet_;
  bool line_open_ = false;
  int epoch_ = 0, num_epochs_ = 0;
  std::int64_t steps_ = 0;
  std::chrono::steady_clock::time_point epoch_start_{}, last_draw_{};
};

}  // namespace deepobs::runner
