#include "runner/lr_schedule.h"

#include <cmath>
#include <set>

#include "core/error.h"

namespace deepobs::runner {

LrSchedule::LrSchedule(double base, std::vector<int> epochs, std::vector<double> factors)
    : base_(base), epochs_(std::move(epochs)), factors_(std::move(factors)) {
  DEEPOBS_CHECK(std::isfinite(base_) && base_ > 0, "--lr must be a positive number, got ", base_);
  DEEPOBS_CHECK(epochs_.size() == factors_.size(), "--lr_sched_epochs has ", epochs_.size(),
                " values but --lr_sched_factors has ", factors_.size(),
                " (give one factor per epoch)");
  std::set<int> seen;
  for (std::size_t i = 0; i < epochs_.size(); ++i) {
    DEEPOBS_CHECK(epochs_[i] >= 0, "--lr_sched_epochs: epoch ", epochs_[i], " is negative");
    DEEPOBS_CHECK(seen.insert(epochs_[i]).second, "--lr_sched_epochs: epoch ", epochs_[i],
                  " appears twice");
    DEEPOBS_CHECK(std::isfinite(factors_[i]) && factors_[i] > 0, "--lr_sched_factors: factor ",
                  factors_[i], " must be a positive number");
  }
}

double LrSchedule::at(int epoch) const {
  double lr = base_;
  int best = -1;
  for (std::size_t i = 0; i < epochs_.size(); ++i) {
    if (epochs_[i] <= epoch && epochs_[i] > best) {
      best = epochs_[i];
      lr = factors_[i] * base_;
    }
  }
  return lr;
}

}  // namespace deepobs::runner
