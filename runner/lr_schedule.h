// DeepOBS's learning-rate schedule (SPEC §5.1): a map epoch → lr = {0: base} ∪ {e_i: f_i·base}
// with absolute (not cumulative) factors, applied at the start of each training epoch.
#pragma once

#include <vector>

namespace deepobs::runner {

class LrSchedule {
 public:
  // Throws deepobs::Error naming the lists when their lengths differ, an epoch is negative or
  // repeated, a factor is not finite or not positive, or the base learning rate is not finite and
  // positive.
  LrSchedule(double base, std::vector<int> epochs, std::vector<double> factors);
  // The learning rate of training epoch `epoch` (0-based): the entry with the largest epoch ≤ it.
  double at(int epoch) const;
  bool constant() const { return epochs_.empty(); }

 private:
  double base_;
  std::vector<int> epochs_;
  std::vector<double> factors_;
};

}  // namespace deepobs::runner
