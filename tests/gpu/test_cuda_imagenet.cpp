// ImageNet batches on a GPU: built on the CPU's decode threads (every CPU by default for a CUDA
// device), uploaded; the same bits as the CPU data set's in every phase and epoch.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "datasets/imagenet.h"
#include "datasets/imagenet_prepare.h"
#include "tests/cpu/imagenet_jpeg_fixture.h"
#include "tests/cpu/test_datasets_util.h"
#include "twin.h"

namespace deepobs {
namespace {

TEST(CudaImageNet, BatchesEqualTheCpus) {
  SKIP_WITHOUT_GPU();
  datasets::test_util::TempDir tmp;
  datasets::test_util::ImageNetFixture().write_folders(tmp / "ilsvrc");
  const datasets::DataRoot root{tmp / "root", datasets::DataRoot::Source::Explicit};
  datasets::PrepareOptions prepare;
  prepare.source = tmp / "ilsvrc";
  prepare.official_sizes = false;
  datasets::prepare_imagenet(root, prepare);

  datasets::DataSetOptions cpu_options;
  cpu_options.batch_size = 4;
  datasets::DataSetOptions gpu_options = cpu_options;
  gpu_options.device = Device::cuda(0);
  datasets::ImageNetOptions any;
  any.official_sizes = false;
  EXPECT_GE(datasets::imagenet_decode_threads(any, gpu_options.device), 1);
  const auto cpu = datasets::make_imagenet_data_set(root, cpu_options, any);
  const auto gpu = datasets::make_imagenet_data_set(root, gpu_options, any);
  for (const auto phase : {datasets::Phase::Train, datasets::Phase::Test, datasets::Phase::Train,
                           datasets::Phase::TrainEval}) {
    ASSERT_EQ(gpu->batches(phase), cpu->batches(phase));
    cpu->start(phase);
    gpu->start(phase);
    for (datasets::Batch c, g; cpu->next(c);) {
      ASSERT_TRUE(gpu->next(g));
      EXPECT_TRUE(g.inputs.device().is_cuda());
      EXPECT_TRUE(g.labels.device().is_cuda());
      EXPECT_EQ(g.inputs.shape(), (Shape{4, 3, 224, 224}));
      EXPECT_EQ(g.inputs.to(Device::cpu()).to_vector<float>(), c.inputs.to_vector<float>());
      EXPECT_EQ(g.labels.to(Device::cpu()).to_vector<std::int64_t>(),
                c.labels.to_vector<std::int64_t>());
    }
    datasets::Batch extra;
    EXPECT_FALSE(gpu->next(extra));
  }
}

}  // namespace
}  // namespace deepobs
