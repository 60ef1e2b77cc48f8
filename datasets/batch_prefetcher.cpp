#include "datasets/batch_prefetcher.h"

#include <exception>

#include "core/error.h"

namespace deepobs::datasets {

BatchPrefetcher::BatchPrefetcher(std::int64_t batches, std::int64_t batch_size,
                                 std::int64_t example_floats, int workers, int depth,
                                 Prepare prepare, Fill fill)
    : batches_(batches),
      batch_size_(batch_size),
      example_floats_(example_floats),
      depth_(depth),
      prepare_(std::move(prepare)),
      fill_(std::move(fill)),
      slots_(static_cast<std::size_t>(depth)) {
  DEEPOBS_CHECK(
      batches >= 0 && batch_size >= 1 && example_floats >= 1 && workers >= 1 && depth >= 1,
      "BatchPrefetcher: bad arguments");
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (std::int64_t b = 0; b < batches_ && b < depth_; ++b)
      allocate(b);
  }
  threads_.reserve(static_cast<std::size_t>(workers));
  for (int w = 0; w < workers; ++w)
    threads_.emplace_back([this, w] { work(w); });
}

BatchPrefetcher::~BatchPrefetcher() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void BatchPrefetcher::allocate(std::int64_t batch) {
  prepare_(batch);
  Slot& s = slots_[static_cast<std::size_t>(batch % depth_)];
  s.batch = Tensor::empty({batch_size_, example_floats_}, DType::F32);
  s.done = 0;
}

void BatchPrefetcher::work(int worker) {
  const std::int64_t total = batches_ * batch_size_;
  for (;;) {
    std::int64_t example = 0;
    float* out = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] {
        return stop_ || !error_.empty() || next_example_ >= total ||
               next_example_ / batch_size_ < consumed_ + depth_;
      });
      if (stop_ || !error_.empty() || next_example_ >= total) return;
      example = next_example_++;
      Slot& s = slots_[static_cast<std::size_t>((example / batch_size_) % depth_)];
      out = s.batch.data<float>() + (example % batch_size_) * example_floats_;
    }
    try {
      fill_(worker, example, out);
    } catch (const std::exception& e) {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (error_.empty()) error_ = e.what();
      batch_ready_.notify_all();
      work_ready_.notify_all();
      return;
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    Slot& s = slots_[static_cast<std::size_t>((example / batch_size_) % depth_)];
    if (++s.done == batch_size_) batch_ready_.notify_all();
  }
}

Tensor BatchPrefetcher::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (consumed_ >= batches_) return Tensor();
  Slot& s = slots_[static_cast<std::size_t>(consumed_ % depth_)];
  batch_ready_.wait(lock, [&] { return s.done == batch_size_ || !error_.empty(); });
  if (s.done != batch_size_) throw Error(error_);
  Tensor out = std::move(s.batch);
  s.batch = Tensor();
  const std::int64_t refill = consumed_ + depth_;
  ++consumed_;
  if (refill < batches_) allocate(refill);
  lock.unlock();
  work_ready_.notify_all();
  return out;
}

}  // namespace deepobs::datasets
