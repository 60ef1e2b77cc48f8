#include "runner/progress.h"

#include <cstdio>

namespace deepobs::runner {
namespace {

std::string clock_str(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string num(double v, const char* fmt = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

Progress::Progress(std::ostream& out, bool live, bool quiet)
    : out_(out), live_(live), quiet_(quiet) {}

void Progress::clear_live_line() {
  if (!line_open_) return;
  out_ << "\r\033[K";
  line_open_ = false;
}

void Progress::evaluation(int epoch, int num_epochs, const std::string& phase, double loss,
                          std::optional<double> accuracy) {
  if (quiet_) return;
  clear_live_line();
  out_ << "epoch " << epoch << "/" << num_epochs << "  " << phase << ": loss " << num(loss);
  if (accuracy) out_ << ", acc " << num(*accuracy, "%.4f");
  out_ << "\n" << std::flush;
}

void Progress::epoch_start(int epoch, int num_epochs, std::int64_t steps, double learning_rate) {
  epoch_ = epoch;
  num_epochs_ = num_epochs;
  steps_ = steps;
  epoch_start_ = last_draw_ = std::chrono::steady_clock::now();
  if (quiet_ || live_) return;
  out_ << "epoch " << epoch + 1 << "/" << num_epochs << "  training " << steps << " steps at lr "
       << num(learning_rate) << "\n"
       << std::flush;
}

void Progress::step(std::int64_t step, double loss) {
  if (quiet_ || !live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (step + 1 < steps_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(step + 1) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(steps_ - step - 1) / rate : -1.0;
  out_ << "\r\033[Kepoch " << epoch_ + 1 << "/" << num_epochs_ << "  step " << step + 1 << "/"
       << steps_ << "  loss " << num(loss, "%.4f") << "  " << num(rate, "%.1f") << " steps/s  ETA "
       << clock_str(eta) << std::flush;
  line_open_ = true;
}

void Progress::epoch_end(double seconds) {
  if (quiet_) return;
  clear_live_line();
  out_ << "epoch " << epoch_ + 1 << "/" << num_epochs_ << "  trained in " << num(seconds, "%.2f")
       << " s (" << num(static_cast<double>(steps_) / seconds, "%.1f") << " steps/s)\n"
       << std::flush;
}

void Progress::minibatch_loss(std::int64_t global_step, double loss) {
  if (quiet_) return;
  clear_live_line();
  out_ << "  step " << global_step << ": minibatch loss " << num(loss) << "\n" << std::flush;
}

void Progress::message(const std::string& line) {
  clear_live_line();
  out_ << line << "\n" << std::flush;
}

}  // namespace deepobs::runner
