// Builds the f32 batches of a streamed data set on a pool of worker threads, ahead of the
// consumer: while the training step runs on batch b, the workers fill batches b+1 … b+depth−1.
//
// A pass has `batches` batches of `batch_size` examples of `example_floats` floats each.
// Workers claim examples one at a time in pass order (so every worker stays busy until the
// window is full) and call fill(worker, example, out) with out = the example's slot in its
// batch tensor; fill must depend only on (example, its inputs), never on the worker or on
// timing, so that a batch has the same bits for any number of workers. Batch tensors are
// allocated (and `prepare` is called) on the consumer's thread only.
//
// Errors: the first exception a fill throws stops the workers; next() rethrows its message as
// deepobs::Error once the consumer reaches any batch not finished before it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/tensor.h"

namespace deepobs::datasets {

class BatchPrefetcher {
 public:
  using Fill = std::function<void(int worker, std::int64_t example, float* out)>;
  // Called for batch b (on the consumer thread) before any of its examples is filled: the place
  // to compute the batch's random draws that fill reads.
  using Prepare = std::function<void(std::int64_t batch)>;

  // Starts `workers` >= 1 threads keeping up to `depth` >= 1 batches in flight.
  BatchPrefetcher(std::int64_t batches, std::int64_t batch_size, std::int64_t example_floats,
                  int workers, int depth, Prepare prepare, Fill fill);
  // Stops the workers (an unfinished pass is abandoned) and joins them.
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // The next batch as an f32 CPU tensor [batch_size, example_floats], waiting until its examples
  // are done; an undefined tensor after the last batch. Throws the first worker's error.
  Tensor next();
  // How many batches next() has returned.
  std::int64_t consumed() const { return consumed_; }

 private:
  struct Slot {
    Tensor batch;
    std::int64_t done = 0;  // examples filled
  };
  void allocate(std::int64_t batch);  // needs mutex_ held
  void work(int worker);

  const std::int64_t batches_, batch_size_, example_floats_;
  const int depth_;
  Prepare prepare_;
  Fill fill_;

  std::mutex mutex_;
  std::condition_variable work_ready_, batch_ready_;
  std::vector<Slot> slots_;        // batch b lives in slot b % depth
  std::int64_t next_example_ = 0;  // the next example a worker claims
  std::int64_t consumed_ = 0;
  bool stop_ = false;
  std::string error_;
  std::vector<std::thread> threads_;
};

}  // namespace deepobs::datasets
