// The character-sequence data set on a GPU: uploaded once, every batch gathered on the device,
// the same ids as on the CPU in every phase.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "datasets/sequence.h"
#include "twin.h"

namespace deepobs {
namespace {

datasets::SequenceSpec spec() {
  std::vector<std::int64_t> train(5101), test(2600);
  for (std::size_t i = 0; i < train.size(); ++i)
    train[i] = static_cast<std::int64_t>((i * 7) % 83);
  for (std::size_t i = 0; i < test.size(); ++i)
    test[i] = static_cast<std::int64_t>((i * 5 + 1) % 83);
  datasets::SequenceSpec s;
  s.name = "tolstoi";
  s.train = Tensor::from_vector(train, {5101});
  s.test = Tensor::from_vector(test, {2600});
  s.sequence_length = 50;
  s.vocabulary_size = 83;
  s.train_eval_size = 2500;
  return s;
}

TEST(CudaSequenceDataSet, BatchesEqualTheCpus) {
  SKIP_WITHOUT_GPU();
  datasets::DataSetOptions cpu_options;
  cpu_options.batch_size = 25;
  datasets::DataSetOptions gpu_options = cpu_options;
  gpu_options.device = Device::cuda(0);
  for (const bool validation : {false, true}) {
    cpu_options.validation = gpu_options.validation = validation;
    datasets::SequenceDataSet cpu(spec(), cpu_options), gpu(spec(), gpu_options);
    for (const auto phase : {datasets::Phase::Train, datasets::Phase::TrainEval,
                             datasets::Phase::Valid, datasets::Phase::Test}) {
      if (!cpu.has_phase(phase)) continue;
      ASSERT_EQ(gpu.batches(phase), cpu.batches(phase));
      cpu.start(phase);
      gpu.start(phase);
      for (datasets::Batch c, g; cpu.next(c);) {
        ASSERT_TRUE(gpu.next(g));
        EXPECT_TRUE(g.inputs.device().is_cuda());
        EXPECT_EQ(g.inputs.shape(), (Shape{25, 50}));
        EXPECT_EQ(g.inputs.to(Device::cpu()).to_vector<std::int64_t>(),
                  c.inputs.to_vector<std::int64_t>());
        EXPECT_EQ(g.labels.to(Device::cpu()).to_vector<std::int64_t>(),
                  c.labels.to_vector<std::int64_t>());
      }
    }
  }
}

}  // namespace
}  // namespace deepobs
